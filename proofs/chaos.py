"""Chaos ingest: transactions from several users posted concurrently while the storage process is SIGKILLed
and MariaDB restarts; afterwards MySQL holds exactly the accepted transactions and the analytics store
equals a GROUP BY over MySQL.

    python -m proofs.chaos                       # 20,000 transactions, 8 users, 3 kills, 1 MariaDB restart
    python -m proofs.chaos --transactions 2000 --kills 2 --no-mariadb-restart

A 503 means "not confirmed", so the client retries it with the same id, as a real client would; an id
counts as accepted once it got a 202. Invariants: every accepted id is exactly one row, no row exists
that was not posted, every row holds what was posted. Exit status 1 if any fails.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from proofs.common import Stack, restart_mariadb, wait_for
from proofs.traffic import Posted, Record, post_all, transactions


@dataclass(frozen=True)
class ChaosConfig:
    transactions: int = 20_000
    users: int = 8
    concurrency: int = 16
    rate: float = 250.0  # requests/s ceiling: the ingest outlasts the faults (each stalls storage ~10 s)
    kills: int = 3
    restart_mariadb: bool = True
    max_attempts: int = 40
    drain_timeout_s: float = 300
    seed: int = 6


@dataclass
class ChaosResult:
    posted: int = 0
    accepted: int = 0
    stored: int = 0
    lost: int = 0
    duplicated: int = 0
    extra: int = 0  # rows whose id was never posted
    wrong: int = 0  # rows that differ from what was posted
    unconfirmed_stored: int = 0  # ids never 202'd that are rows anyway (allowed: 503 is "not confirmed")
    statuses: Counter = field(default_factory=Counter)
    kills: int = 0
    pending_at_faults: list[int] = field(default_factory=list)  # accepted ids not yet rows as each fault hit
    mariadb_down_s: float | None = None
    dead_letters: int = 0
    analytics_groups: int = 0
    analytics_mismatches: int = 0
    client_mismatches: int = 0  # MySQL groups that differ from totals computed from the client's record
    ingest_s: float = 0.0
    drain_s: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            not (self.lost or self.duplicated or self.extra or self.wrong or self.dead_letters)
            and not (self.analytics_mismatches or self.client_mismatches)
            and self.stored == self.accepted + self.unconfirmed_stored
        )

    def line(self) -> str:
        return f"chaos: accepted={self.accepted} stored={self.stored} lost={self.lost} duplicated={self.duplicated}"


def _fault_plan(cfg: ChaosConfig) -> list[tuple[float, str]]:
    """(fraction of ids done, fault): kills spread over the run, the MariaDB restart between the first two."""
    plan = [((i + 1) / (cfg.kills + 1), "kill") for i in range(cfg.kills)]
    if cfg.restart_mariadb:
        plan.append((1.5 / (cfg.kills + 1) if cfg.kills else 0.5, "mariadb"))
    return sorted(plan)


class Faults(threading.Thread):
    """Fires each fault once its share of the ingest is done and storage is writing with work pending."""

    def __init__(self, stack: Stack, cfg: ChaosConfig, record: Record, result: ChaosResult, log) -> None:
        super().__init__(name="chaos-faults", daemon=True)
        self.stack, self.cfg, self.record, self.result, self.log = stack, cfg, record, result, log
        self.error: BaseException | None = None
        self.rows_at_last_fault = stack.row_count()

    def _armed(self) -> int | None:
        """Rows now, once the storage process has written since the last fault (and so is consuming)."""
        rows = self.stack.row_count()
        idle = self.record.done >= self.cfg.transactions and rows >= len(self.record.accepted)
        return rows if rows > self.rows_at_last_fault or idle else None

    def run(self) -> None:
        try:
            for fraction, fault in _fault_plan(self.cfg):
                wait_for(
                    lambda f=fraction: self.record.done >= f * self.cfg.transactions,
                    timeout=600,
                    interval=0.05,
                    what=f"{fraction:.0%} of the ingest",
                )
                # A new member waits out the dead one's session first: a fault before it writes proves nothing.
                rows = wait_for(self._armed, timeout=120, interval=0.05, what="storage writing with work pending")
                pending = len(self.record.accepted) - rows
                self.result.pending_at_faults.append(pending)
                if fault == "kill":
                    self.stack.kill_triggers()
                    self.stack.start_triggers()
                    self.result.kills += 1
                    what = f"SIGKILL storage #{self.result.kills}"
                else:
                    self.result.mariadb_down_s = restart_mariadb()
                    what = f"MariaDB restart ({self.result.mariadb_down_s:.1f}s without a server)"
                self.log(f"  {what} at {self.record.done} ids done, {rows} rows, {pending} accepted not yet rows")
                self.rows_at_last_fault = rows
        except BaseException as exc:  # noqa: BLE001 - re-raised by the main thread
            self.error = exc


def run(cfg: ChaosConfig, log=print) -> ChaosResult:
    result = ChaosResult(posted=cfg.transactions)
    stack = Stack.start("chaos")
    try:
        users = [f"chaos-{stack.run}-{i}" for i in range(cfg.users)]
        tokens = {u: stack.issuer.token(u, ttl_s=7_200) for u in users}
        items = transactions(cfg.transactions, users, cfg.seed)
        base_url = stack.start_http("receiver")
        stack.start_triggers("storage")
        record = Record()
        _warm_up(stack, base_url, items[0], tokens, record)
        faults = Faults(stack, cfg, record, result, log)
        log(
            f"chaos: posting {cfg.transactions} transactions from {cfg.users} users "
            f"({cfg.concurrency} connections, <= {cfg.rate:.0f} req/s); faults: {cfg.kills} x SIGKILL storage"
            + (", 1 x MariaDB restart" if cfg.restart_mariadb else "")
        )
        started = time.monotonic()
        faults.start()
        asyncio.run(
            post_all(
                base_url,
                items[1:],
                tokens,
                record,
                concurrency=cfg.concurrency,
                rate=cfg.rate,
                max_attempts=cfg.max_attempts,
            )
        )
        result.ingest_s = time.monotonic() - started
        faults.join()
        if faults.error:
            raise faults.error
        stack.alive()
        drained = time.monotonic()
        wait_for(lambda: stack.storage_lag() == 0, timeout=cfg.drain_timeout_s, interval=0.5, what="storage lag 0")
        result.drain_s = time.monotonic() - drained
        _verify(stack, items, record, result)
        _verify_analytics(stack, items, result)
        log(
            f"chaos: requests={sum(result.statuses.values())} "
            + " ".join(f"{'no-answer' if s == 0 else s}={n}" for s, n in sorted(result.statuses.items()))
            + f"; kills={result.kills} mariadb_restart="
            + (f"{result.mariadb_down_s:.1f}s" if result.mariadb_down_s is not None else "none")
            + f"; accepted-not-yet-rows at each fault: {result.pending_at_faults}"
            + f"; ingest {result.ingest_s:.1f}s, drained {result.drain_s:.1f}s after"
        )
        log(
            f"chaos: unconfirmed-but-stored={result.unconfirmed_stored} extra={result.extra} wrong={result.wrong} "
            f"dead-letters={result.dead_letters}; analytics store vs GROUP BY over MySQL: "
            f"{result.analytics_groups} groups, {result.analytics_mismatches} differ; "
            f"MySQL vs the client's record: {result.client_mismatches} differ"
        )
        log(result.line())
        return result
    finally:
        stack.close()


def _warm_up(stack: Stack, base_url: str, first: Posted, tokens: dict[str, str], record: Record) -> None:
    """The first transaction alone, until it is a row: the storage process is consuming before any fault."""
    asyncio.run(post_all(base_url, [first], tokens, record, concurrency=1, rate=0, max_attempts=40))
    if first.id not in record.accepted:
        raise RuntimeError("the receiver never accepted the warm-up transaction")
    wait_for(lambda: stack.row_count() >= 1, timeout=120, what="the warm-up transaction to be stored")


def _verify(stack: Stack, items: list[Posted], record: Record, result: ChaosResult) -> None:
    posted = {p.id: p for p in items}
    rows = stack.rows()
    accepted = record.accepted
    result.statuses = record.counts()
    result.accepted = len(accepted)
    result.stored = sum(len(r) for r in rows.values())
    result.lost = sum(1 for tid in accepted if tid not in rows)
    result.duplicated = sum(1 for r in rows.values() if len(r) > 1)
    result.extra = sum(1 for tid in rows if tid not in posted)
    result.wrong = sum(
        1
        for tid, r in rows.items()
        if tid in posted and r[0] != (posted[tid].user, posted[tid].body["type"], posted[tid].amount)
    )
    result.unconfirmed_stored = sum(1 for tid in rows if tid in posted and tid not in accepted)
    result.dead_letters = stack.dead_letters()


_MYSQL_TOTALS = (
    "SELECT user_id, DATE_FORMAT(booking_date, '%Y-%m'), category, currency, "
    "SUM(CASE WHEN type = 'income' THEN amount ELSE 0 END), "
    "SUM(CASE WHEN type = 'expense' THEN amount ELSE 0 END), COUNT(*) "
    "FROM transactions WHERE deleted = 0 GROUP BY 1, 2, 3, 4"
)


def _verify_analytics(stack: Stack, items: list[Posted], result: ChaosResult) -> None:
    """One processor run into a fresh SQLite file; its totals must equal MySQL's, and MySQL's the client's."""
    import sqlite3

    import sqlalchemy as sa

    from shared.adapters.analytics.schema import from_e4
    from shared.adapters.analytics.sync import sync

    engine = stack.engine()
    store = stack.work / "analytics-proof.db"
    try:
        sync(engine=engine, path=store)
        with engine.connect() as conn:
            mysql = {
                (u, m, c, cur): (Decimal(i), Decimal(e), int(n))
                for u, m, c, cur, i, e, n in conn.execute(sa.text(_MYSQL_TOTALS))
            }
    finally:
        engine.dispose()
    reader = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        analytics = {
            (u, m, c, cur): (from_e4(i), from_e4(e), int(n))
            for u, m, c, cur, i, e, n in reader.execute(
                "SELECT user_id, month, category, currency, income_e4, expense_e4, count FROM monthly_totals"
            )
        }
    finally:
        reader.close()
    stored = set(stack.rows())
    expected: dict[tuple, list] = {}
    for p in items:
        if p.id in stored:
            key = (p.user, p.body["date"][:7], p.body["category"], p.body["currency"])
            totals = expected.setdefault(key, [Decimal(0), Decimal(0), 0])
            totals[0 if p.body["type"] == "income" else 1] += p.amount
            totals[2] += 1
    client = {k: (v[0], v[1], v[2]) for k, v in expected.items()}
    result.analytics_groups = len(mysql)
    result.analytics_mismatches = sum(1 for k in mysql.keys() | analytics.keys() if mysql.get(k) != analytics.get(k))
    result.client_mismatches = sum(1 for k in mysql.keys() | client.keys() if mysql.get(k) != client.get(k))


def main(argv: list[str] | None = None) -> int:
    defaults = ChaosConfig()
    parser = argparse.ArgumentParser(prog="python -m proofs.chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=defaults.transactions)
    parser.add_argument("--users", type=int, default=defaults.users)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--rate", type=float, default=defaults.rate, help="requests/s ceiling (0: none)")
    parser.add_argument("--kills", type=int, default=defaults.kills, help="SIGKILLs of the storage process")
    parser.add_argument("--no-mariadb-restart", dest="restart_mariadb", action="store_false")
    args = parser.parse_args(argv)
    cfg = ChaosConfig(
        transactions=args.transactions,
        users=args.users,
        concurrency=args.concurrency,
        rate=args.rate,
        kills=args.kills,
        restart_mariadb=args.restart_mariadb,
    )
    result = run(cfg, log=lambda s: print(s, flush=True))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
