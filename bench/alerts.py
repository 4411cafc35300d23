"""Budget alerts' cost per change, with a month of 100 rows and with a month of 100,000 rows (issue 10).

The alert state keeps a running total per user, month, category and currency, so a change costs the same however
many rows its month already holds: `alerts_flatness` = µs per change at 100,000 rows ÷ µs per change at 100.
`alerts_flatness_accounts` is the same for expenses booked in an account against a budget naming 20 accounts
(the most a set holds: its check sums 20 per-account totals).
Both runs use one scratch MariaDB database migrated to head, the real AlertState, records as storage relays them.
"""

from __future__ import annotations

import time
import uuid

import orjson

from bench.common import create_database, drop_database

MEASURED = 2_000  # changes timed at each size, in batches as the trigger gets them
BATCH = 100


ACCOUNTS = [str(uuid.UUID(int=i + 1)) for i in range(20)]


def _record(seq: int, user: str, amount: str = "1.00") -> dict:
    after = {"type": "expense", "amount": amount, "currency": "EUR", "category": "food", "date": "2031-05-10"}
    if user.endswith("-accounts"):
        after["account_id"] = ACCOUNTS[seq % len(ACCOUNTS)]
    return {"kind": "transaction", "seq": seq, "user_id": user, "id": str(uuid.uuid4()), "version": 1,
            "before": None, "after": after}  # fmt: skip


def _per_change_us(state, user: str, rows: int, seq: int) -> tuple[float, int]:
    """Fill the month with `rows` changes, then time MEASURED more; returns µs per change and the next seq."""
    for start in range(0, rows, 1_000):
        state.apply([_record(seq + i, user) for i in range(min(1_000, rows - start))], now_iso="2031-05-10T00:00:00")
        seq += min(1_000, rows - start)
    t0 = time.perf_counter()
    for _ in range(MEASURED // BATCH):
        state.apply([_record(seq + i, user, "0.01") for i in range(BATCH)], now_iso="2031-05-10T00:00:00")
        seq += BATCH
    return (time.perf_counter() - t0) / MEASURED * 1e6, seq


def run(results: dict) -> None:
    import sqlalchemy as sa

    from shared.adapters.mysql.alert_state import AlertState
    from shared.adapters.mysql.migrate import migrate

    name = f"bench_alerts_{uuid.uuid4().hex[:8]}"
    create_database(name)
    engine = sa.create_engine(f"mysql+pymysql://root@127.0.0.1:3306/{name}", isolation_level="READ COMMITTED")
    try:
        migrate(engine)
        state = AlertState(engine)
        figures, seq = {}, 1
        for suffix, accounts in (("", None), ("-accounts", orjson.dumps(ACCOUNTS).decode())):
            for rows in (100, 100_000):
                user = f"bench-{rows}{suffix}"
                with engine.begin() as conn:  # a budget the month's spending is checked against on every change
                    conn.execute(
                        sa.text(
                            "INSERT INTO budgets (user_id, category, month, amount, currency, accounts, version, "
                            "change_seq) VALUES (:u, 'food', '2031-05', 1000000000, 'EUR', :a, 1, :s)"
                        ),
                        {"u": user, "a": accounts, "s": seq},
                    )
                figures[(suffix, rows)], seq = _per_change_us(state, user, rows, seq + 1)
                print(f"alerts{suffix}: {figures[(suffix, rows)]:.1f} µs a change with {rows:,} rows in the month")
        results["alerts_us_per_change_100"] = round(figures[("", 100)], 1)
        results["alerts_us_per_change_100k"] = round(figures[("", 100_000)], 1)
        results["alerts_flatness"] = round(figures[("", 100_000)] / figures[("", 100)], 2)
        results["alerts_us_per_change_accounts_100k"] = round(figures[("-accounts", 100_000)], 1)
        results["alerts_flatness_accounts"] = round(figures[("-accounts", 100_000)] / figures[("-accounts", 100)], 2)
        print(f"alerts_flatness (target <= 1.5): {results['alerts_flatness']}")
        print(f"alerts_flatness_accounts (target <= 1.5): {results['alerts_flatness_accounts']}")
    finally:
        engine.dispose()
        drop_database(name)


if __name__ == "__main__":
    out: dict = {}
    run(out)
    print(out)
