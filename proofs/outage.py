"""Broker outage: Tansu stopped under a steady request rate, restarted on the same port with the same topics.

    python -m proofs.outage                          # 200 req/s: 10 s up, 10 s down, 20 s up again
    python -m proofs.outage --down 5 --after 10

While the broker is away the receiver must answer 503, never 202: Tansu's memory is gone when it stops, so
a 202 for an event no broker acknowledged would be a transaction lost for good. It must recover by itself.
Afterwards every id that never got a 202 is posted again with the same id (what a client does with a 503),
and every 202 sent after the stop must be exactly one row. 202s from before the stop whose events were still
unconsumed in the old broker's memory are counted apart: they are the in-memory broker's loss, not the
receiver's (a real Kafka keeps them). Exit status 1 if an invariant fails.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

from proofs.common import Stack, wait_for
from proofs.traffic import Posted, Record, Request, Sample, open_loop, post_all, transactions


@dataclass(frozen=True)
class OutageConfig:
    rate: float = 200.0
    before_s: float = 10.0
    down_s: float = 10.0
    after_s: float = 20.0
    users: int = 4
    drain_timeout_s: float = 180
    retry_attempts: int = 10


@dataclass
class OutageResult:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    down_statuses: Counter = field(default_factory=Counter)  # requests sent while no broker had its topics
    down_s: float = 0.0  # from the stop until the new broker listened with its topics
    first_202_after_s: float | None = None  # from the broker's return to the first 202 answer
    steady_after_s: float | None = None  # from the broker's return to the first of an unbroken run of 202s
    accepted_after_stop: int = 0
    accepted_after_stop_missing: int = 0  # must be 0: a 202 without a row
    accepted_before_stop_missing: int = 0  # unconsumed in Tansu's memory when it stopped
    retried: int = 0  # ids without a 202 posted again after the outage
    retried_accepted: int = 0
    retried_missing: int = 0
    duplicated: int = 0
    extra: int = 0
    unexpected: int = 0  # statuses other than 202 and 503 (0 = no answer counts as unexpected too)
    no_answers: list[str] = field(default_factory=list)  # when each was sent and what the client saw

    @property
    def ok(self) -> bool:
        return (
            self.down_statuses.get(503, 0) > 0
            and self.first_202_after_s is not None
            and self.retried == self.retried_accepted
            and not (self.accepted_after_stop_missing or self.retried_missing)
            and not (self.duplicated or self.extra or self.unexpected)
        )

    def lines(self) -> list[str]:
        count = " ".join(f"{'no-answer' if s == 0 else s}={n}" for s, n in sorted(self.statuses.items()))
        down = " ".join(f"{'no-answer' if s == 0 else s}={n}" for s, n in sorted(self.down_statuses.items()))
        return [
            f"outage: requests={self.requests} {count}; sent while the broker was down ({self.down_s:.1f}s): {down}",
            f"outage: recovery: first 202 {_fmt(self.first_202_after_s)} after the broker was back, "
            f"every request 202 from {_fmt(self.steady_after_s)}",
            f"outage: 202s for requests sent after the old broker was gone (acknowledged by the new one): "
            f"{self.accepted_after_stop}, without a row: {self.accepted_after_stop_missing}; "
            f"202s from before, unconsumed in Tansu's memory when it stopped: {self.accepted_before_stop_missing}",
            f"outage: ids retried with the same id after the outage: {self.retried}, 202: {self.retried_accepted}, "
            f"without a row: {self.retried_missing}; duplicated={self.duplicated} extra={self.extra}",
            *(f"outage: no answer: {line}" for line in self.no_answers),
        ]


def _fmt(seconds: float | None) -> str:
    return "never" if seconds is None else f"+{seconds:.1f}s"


class Clock:
    """The outage's moments, in seconds from the load's start."""

    stop: float = 0.0  # asked to stop
    dead: float = 0.0  # the process is gone: nothing sent after this can be in the old broker
    back: float = 0.0


async def _drive(stack: Stack, base_url: str, cfg: OutageConfig, tokens: dict[str, str], log) -> tuple:
    users = list(tokens)
    bodies: dict[str, Posted] = {}

    def build(i: int) -> Request:
        item = transactions(1, [users[i % len(users)]], seed=i)[0]
        item.body["id"] = str(uuid.uuid4())
        bodies[item.id] = item
        auth = {"Authorization": f"Bearer {tokens[item.user]}"}
        return ("post", item.id, "POST", "/api/transactions", item.body, auth)

    clock = Clock()
    limits = httpx.Limits(max_connections=2_000, max_keepalive_connections=256)
    timeout = httpx.Timeout(30, pool=60)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:
        start = time.monotonic()

        async def outage() -> None:
            await asyncio.sleep(cfg.before_s)
            clock.stop = time.monotonic() - start
            await asyncio.to_thread(stack.stop_broker)
            clock.dead = time.monotonic() - start
            log(f"  broker stopped at {clock.stop:.1f}s, gone at {clock.dead:.1f}s")
            await asyncio.sleep(max(0.0, start + clock.dead + cfg.down_s - time.monotonic()))
            await asyncio.to_thread(stack.start_broker)
            clock.back = time.monotonic() - start
            log(f"  broker back with its topics at {clock.back:.1f}s (empty: Tansu keeps nothing)")

        total = cfg.before_s + cfg.down_s + cfg.after_s
        samples, _ = await asyncio.gather(
            open_loop(client, rate=cfg.rate, duration_s=total, build=build, start=start), outage()
        )
    return samples, bodies, clock


def _analyse(samples: list[Sample], clock: Clock, result: OutageResult) -> None:
    result.requests = len(samples)
    result.statuses = Counter(s.status for s in samples)
    result.down_s = clock.back - clock.dead
    result.down_statuses = Counter(s.status for s in samples if clock.dead <= s.sent < clock.back)
    result.unexpected = sum(1 for s in samples if s.status not in (202, 503))
    result.no_answers = [
        f"sent at {s.sent:.2f}s, gave up at {s.done:.2f}s: {s.error}" for s in samples if s.status == 0
    ]
    after = sorted((s for s in samples if s.sent >= clock.dead), key=lambda s: s.sent)
    accepted_done = [s.done for s in after if s.status == 202 and s.done >= clock.back]
    result.first_202_after_s = (min(accepted_done) - clock.back) if accepted_done else None
    last_refused = max((i for i, s in enumerate(after) if s.status != 202), default=None)
    if last_refused is None:
        result.steady_after_s = 0.0
    elif last_refused + 1 < len(after):
        result.steady_after_s = max(0.0, after[last_refused + 1].sent - clock.back)


def run(cfg: OutageConfig, log=print) -> OutageResult:
    result = OutageResult()
    stack = Stack.start("outage")
    try:
        users = [f"outage-{stack.run}-{i}" for i in range(cfg.users)]
        tokens = {u: stack.issuer.token(u, ttl_s=7_200) for u in users}
        base_url = stack.start_http("receiver")
        stack.start_triggers("storage")
        log(
            f"outage: {cfg.rate:.0f} req/s for {cfg.before_s + cfg.down_s + cfg.after_s:.0f}s; "
            f"Tansu stopped at {cfg.before_s:.0f}s for {cfg.down_s:.0f}s, then restarted on the same port"
        )
        samples, bodies, clock = asyncio.run(_drive(stack, base_url, cfg, tokens, log))
        _analyse(samples, clock, result)
        # The client's remedy for a 503: the same id again. Never 202'd ids are retried until accepted.
        ever = {s.key for s in samples if s.status == 202}
        refused = list({s.key: bodies[s.key] for s in samples if s.key not in ever}.values())
        record = Record()
        asyncio.run(
            post_all(base_url, refused, tokens, record, concurrency=64, rate=0, max_attempts=cfg.retry_attempts)
        )
        result.retried, result.retried_accepted = len(refused), len(record.accepted)
        stack.alive()
        wait_for(lambda: stack.storage_lag() == 0, timeout=cfg.drain_timeout_s, interval=0.5, what="storage lag 0")
        rows = stack.rows()
        accepted_after = {s.key for s in samples if s.status == 202 and s.sent >= clock.dead}
        accepted_before = {s.key for s in samples if s.status == 202 and s.sent < clock.dead}
        result.accepted_after_stop = len(accepted_after)
        result.accepted_after_stop_missing = sum(1 for k in accepted_after if k not in rows)
        result.accepted_before_stop_missing = sum(1 for k in accepted_before if k not in rows)
        result.retried_missing = sum(1 for p in refused if p.id not in rows)
        result.duplicated = sum(1 for r in rows.values() if len(r) > 1)
        result.extra = sum(1 for k in rows if k not in bodies)
        for line in result.lines():
            log(line)
        return result
    finally:
        stack.close()


def main(argv: list[str] | None = None) -> int:
    defaults = OutageConfig()
    parser = argparse.ArgumentParser(prog="python -m proofs.outage", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=defaults.rate, help="requests/s")
    parser.add_argument("--before", type=float, default=defaults.before_s, help="seconds of load before the stop")
    parser.add_argument("--down", type=float, default=defaults.down_s, help="seconds without a broker")
    parser.add_argument("--after", type=float, default=defaults.after_s, help="seconds of load after the restart")
    args = parser.parse_args(argv)
    cfg = OutageConfig(rate=args.rate, before_s=args.before, down_s=args.down, after_s=args.after)
    result = run(cfg, log=lambda s: print(s, flush=True))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
