"""Scale figures: the processor and the analyzer at 10,000,000 transactions over 100,000 users, against the same at
1,000,000 over 10,000 (each user ~100 transactions in both: the store grows by users). Writes .bench/scale.json.

- full_load_minutes_10m: a new instance's full load, driven as the timer drives it: runs of at most the load budget
  (AnalyticsLoadBudgetS), each of which must end under the host's functionTimeout (10 minutes, host.json); the
  total and every run are reported, the last one with the sync and the first (full) publication it runs.
- publish_ms_per_1k_changes_10m_vs_1m: rounds of 1,000 changes (creates, corrections, deletions through the real
  write path), each synced and published; publication milliseconds per 1,000 changes, 10M over 1M (target <= 1.5).
- analyzer_p95_ms_10m: monthly-summary and category-breakdown against the published snapshot, as the analyzer in
  Azure reads it (target <= 20).
- alerts_flatness: µs per change the budget alerts spend (the analyzer's AlertState, running totals in MariaDB)
  with every user's totals in place, 10M over 1M (target <= 1.5): the same changes, to random users' existing
  totals, each checked against a budget.
- disk sizes: MariaDB's tables, the working store, the snapshot directory and what its current manifest names.

    nice make bench-scale          # or: .venv/bin/python -m bench.scale [--sizes 1m,10m]

It takes a while (about half an hour here): run it when the machine is quiet. BENCH_SCALE_KEEP=1 keeps the MariaDB
databases (budget_bench_scale_*) for the next run instead of dropping them.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from bench import rows
from bench.analyzer import p95
from bench.processor import changes
from shared.adapters.analytics.load import LoadResult
from shared.adapters.analytics.publish import current_snapshot, publish_snapshot, read_manifest
from shared.adapters.analytics.sync import sync
from shared.adapters.mysql.store import Store
from shared.services.processor import Processor
from shared.services.queries import answer
from shared.settings import Settings

RESULTS = Path(".bench/scale.json")
SIZES = {"1m": (1_000_000, 10_000), "10m": (10_000_000, 100_000)}  # transactions, users
FUNCTION_TIMEOUT_S = 600  # host.json functionTimeout: 00:10:00
WARMUP, ROUNDS = 2, 10


def run(results: dict, sizes: list[str]) -> None:
    logging.getLogger("budget.processor").setLevel(logging.WARNING)
    budget = Settings.model_fields["analytics_load_budget_s"].default
    keep = os.environ.get("BENCH_SCALE_KEEP") == "1"
    with tempfile.TemporaryDirectory(prefix="bench-scale-", dir=os.environ.get("BENCH_SCALE_DIR")) as tmp:
        for size in sizes:
            count, users = SIZES[size]
            name = f"budget_bench_scale_{size}"
            engine = _database(name, count, users, results, size, keep)
            try:
                store, share = Path(tmp) / size / "analytics.db", Path(tmp) / size / "share"
                processor = Processor(
                    engine=engine, store_path=str(store), snapshot_dir=str(share), min_interval_s=0,
                    load_budget_s=budget,
                )  # fmt: skip
                _full_load(processor, results, size, budget)
                _publish_rounds(engine, store, share, results, size, users)
                _analyzer(share, results, size, users)
                _alerts(engine, results, size, users)
                _sizes(engine, name, store, share, results, size)
            finally:
                engine.dispose()
                if not keep:
                    rows.drop_database(name)
                shutil.rmtree(Path(tmp) / size, ignore_errors=True)
    if "publish_ms_per_1k_changes_1m" in results and "publish_ms_per_1k_changes_10m" in results:
        ratio = results["publish_ms_per_1k_changes_10m"] / results["publish_ms_per_1k_changes_1m"]
        results["publish_ms_per_1k_changes_10m_vs_1m"] = round(ratio, 3)
        print(f"publish_ms_per_1k_changes_10m_vs_1m {ratio:.3f} (target <= 1.5)")
    if "alerts_us_per_change_1m" in results and "alerts_us_per_change_10m" in results:
        ratio = results["alerts_us_per_change_10m"] / results["alerts_us_per_change_1m"]
        results["alerts_flatness"] = round(ratio, 3)
        print(f"alerts_flatness {ratio:.3f} (target <= 1.5)")


def _database(name: str, count: int, users: int, results: dict, size: str, keep: bool) -> sa.Engine:
    engine = sa.create_engine(f"mysql+pymysql://root@127.0.0.1:3306/{name}", isolation_level="READ COMMITTED")
    if keep:
        try:
            with engine.connect() as conn:
                if conn.execute(sa.text("SELECT COUNT(*) FROM transactions")).scalar_one() >= count:
                    print(f"{size}: reusing {name}")
                    return engine
        except sa.exc.SQLAlchemyError:
            pass
    engine.dispose()
    engine = rows.database(name)
    started = time.perf_counter()
    rate = rows.load(name, count=count, users=users, seed=count, progress=lambda n: print(f"  {n:,} rows", flush=True))
    results[f"mysql_rows_per_s_{size}"] = round(rate)
    print(f"{size}: wrote {count:,} transactions over {users:,} users in {time.perf_counter() - started:.0f}s")
    return engine


def _full_load(processor: Processor, results: dict, size: str, budget: float) -> None:
    """The timer's runs on a new instance: load steps until the load is in place, then the run that syncs and
    publishes (in the same run when the load left half its budget): until then the analyzer has nothing new."""
    runs = []
    while True:
        started, loaded = time.perf_counter(), Path(processor.store_path).exists()
        result = processor.run()
        loading = isinstance(result, LoadResult)
        if loading:
            what = f"load {'done' if result.done else 'paused at ' + result.phase}, {result.steps} steps"
        else:
            what = ("" if loaded else "the load's last steps, then ") + "sync and the first (full) publication"
        runs.append({"seconds": round(time.perf_counter() - started, 1), "did": what})
        print(f"  run {len(runs)}: {runs[-1]['seconds']}s, {what}", flush=True)
        if not loading:
            break
    total = sum(r["seconds"] for r in runs)
    longest = max(r["seconds"] for r in runs)
    results[f"full_load_minutes_{size}"] = round(total / 60, 2)
    results[f"full_load_runs_{size}"] = runs
    results[f"full_load_longest_run_s_{size}"] = longest
    results["function_timeout_s"] = FUNCTION_TIMEOUT_S
    results["load_budget_s"] = budget
    print(
        f"full_load_minutes_{size} {total / 60:.2f} over {len(runs)} timer runs (load budget {budget:.0f}s a run; the "
        f"longest run {longest:.0f}s; target: every run under host.json's functionTimeout, {FUNCTION_TIMEOUT_S}s)"
    )


def _publish_rounds(engine: sa.Engine, store: Path, share: Path, results: dict, size: str, users: int) -> None:
    """Rounds of 1,000 changes synced and published; the first WARMUP rounds build the fold credit up."""
    writer, rng = Store(engine), random.Random(size)
    pick = sa.text(
        "SELECT user_id, id FROM transactions WHERE user_id = :u AND deleted = 0 ORDER BY id LIMIT 1 OFFSET :o"
    )
    with engine.connect() as conn:  # random users' rows, by primary key (ORDER BY RAND() would sort 10M rows)
        found = (conn.execute(pick, {"u": rows.user_name(rng.randrange(users)), "o": rng.randrange(50)}).first()
                 for _ in range(600 * (WARMUP + ROUNDS)))  # fmt: skip
        existing = list(dict.fromkeys(tuple(r) for r in found if r))[: 500 * (WARMUP + ROUNDS)]
    publish_ms, sync_ms, written = [], [], []
    for round_ in range(WARMUP + ROUNDS):
        writer.apply(changes(rng, existing[round_ * 500 : round_ * 500 + 500], users))
        before = read_manifest(current_snapshot(share)).files()
        started = time.perf_counter()
        sync(engine=engine, path=store)
        synced = time.perf_counter()
        manifest = read_manifest(publish_snapshot(store, share))
        published = time.perf_counter()
        if round_ >= WARMUP:
            sync_ms.append((synced - started) * 1000)
            publish_ms.append((published - synced) * 1000)
            written.append(sum((share / f).stat().st_size for f in manifest.files() - before))
    per_1k = sum(publish_ms) / ROUNDS  # 1,000 changes a round
    results[f"publish_ms_per_1k_changes_{size}"] = round(per_1k, 1)
    results[f"publish_ms_rounds_{size}"] = [round(m) for m in publish_ms]
    results[f"publish_mb_written_per_1k_changes_{size}"] = round(statistics.mean(written) / 2**20, 1)
    results[f"sync_ms_per_1k_changes_{size}"] = round(statistics.median(sync_ms), 1)
    manifest = read_manifest(current_snapshot(share))
    results[f"snapshot_files_{size}"] = {"shards": len(manifest.shards), "layers": len(manifest.layers)}
    print(
        f"publish_ms_per_1k_changes_{size} {per_1k:.0f} (mean of {ROUNDS} rounds after {WARMUP}; rounds "
        f"{[round(m) for m in publish_ms]}), {statistics.mean(written) / 2**20:.1f} MB written a round; "
        f"{len(manifest.shards)} shards, {len(manifest.layers)} layers; sync {statistics.median(sync_ms):.0f} ms"
    )


def _analyzer(share: Path, results: dict, size: str, users: int, calls: int = 2_000) -> None:
    rng, samples = random.Random(9), []
    for i in range(calls):
        user = rows.user_name(rng.randrange(users))
        month = f"2025-{rng.randint(2, 11):02d}"
        if i % 2:
            name, params = "monthly-summary", {"month": month}
        else:  # partial months at both ends: totals plus an index range scan per edge
            name, params = "category-breakdown", {"from": "2024-01-15", "to": f"{month}-10"}
        t0 = time.perf_counter()
        answer(name, params, user_id=user, is_admin=False, store_path=str(share))
        samples.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    answer("all-users-summary", {"month": "2025-06"}, user_id="admin", is_admin=True, store_path=str(share))
    results[f"admin_summary_ms_{size}"] = round((time.perf_counter() - t0) * 1000, 1)
    results[f"analyzer_p95_ms_{size}"] = round(p95(samples), 3)
    admin = results[f"admin_summary_ms_{size}"]
    print(f"analyzer_p95_ms_{size} {p95(samples):.2f} (target <= 20; all-users-summary over every file {admin:.0f} ms)")


def _alerts(engine: sa.Engine, results: dict, size: str, users: int, measured: int = 2_000, batch: int = 100) -> None:
    """The alert state as the change feed leaves it after every transaction (each user's running totals and feed
    position), then `measured` changes to random users' existing totals, in the trigger's batches."""
    from shared.adapters.mysql.alert_state import AlertState

    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM alert_spend"))
        conn.execute(sa.text("DELETE FROM alert_progress"))
        conn.execute(
            sa.text(
                "INSERT INTO alert_spend (user_id, month, category, currency, spent) SELECT user_id, "
                "DATE_FORMAT(booking_date, '%Y-%m'), category, currency, SUM(amount) FROM transactions "
                "WHERE type = 'expense' AND deleted = 0 GROUP BY 1, 2, 3, 4"
            )
        )
        conn.execute(
            sa.text("INSERT INTO alert_progress (user_id, seq) SELECT user_id, MAX(change_seq) FROM transactions "
                    "GROUP BY user_id")
        )  # fmt: skip
        totals = conn.execute(sa.text("SELECT COUNT(*) FROM alert_spend")).scalar_one()
    rng, seq, targets = random.Random(size), 10**15, []
    with engine.begin() as conn:
        for i in range(measured):
            key = conn.execute(
                sa.text("SELECT user_id, month, category, currency FROM alert_spend WHERE user_id = :u LIMIT 1"),
                {"u": rows.user_name(rng.randrange(users))},
            ).first()
            if key is None:
                continue
            targets.append(key)
            conn.execute(  # a limit no change reaches: each change is checked against it, no alert is raised
                sa.text(
                    "INSERT IGNORE INTO budgets (user_id, category, month, amount, currency, version, change_seq, "
                    "last_updated) VALUES (:u, :c, :m, 999999999, :cur, 1, :s, NOW(6))"
                ),
                {"u": key[0], "c": key[2], "m": key[1], "cur": key[3], "s": seq + i},
            )
    state, records = AlertState(engine), []
    for i, (user, month, category, currency) in enumerate(targets):
        after = {"type": "expense", "amount": "0.01", "currency": currency, "category": category,
                 "date": f"{month}-10"}  # fmt: skip
        records.append({"kind": "transaction", "seq": seq + 10 * measured + i, "user_id": user,
                        "id": str(uuid.uuid4()), "version": 1, "before": None, "after": after})  # fmt: skip
    before = _pool(engine)
    started = time.perf_counter()
    for i in range(0, len(records), batch):
        state.apply(records[i : i + batch], now_iso=time.strftime("%Y-%m-%dT%H:%M:%S"))
    per_change = (time.perf_counter() - started) / len(records) * 1e6
    after_pool = _pool(engine)
    misses = (after_pool["Innodb_buffer_pool_reads"] - before["Innodb_buffer_pool_reads"]) / len(records)
    pages = (after_pool["Innodb_buffer_pool_read_requests"] - before["Innodb_buffer_pool_read_requests"]) / len(records)
    results[f"alerts_us_per_change_{size}"] = round(per_change, 1)
    results[f"alert_totals_{size}"] = totals
    results[f"alerts_disk_reads_per_change_{size}"] = round(misses, 2)
    results[f"alerts_page_reads_per_change_{size}"] = round(pages, 1)
    results["innodb_buffer_pool_mb"] = after_pool["pool_mb"]
    print(
        f"alerts_us_per_change_{size} {per_change:.1f} over {totals:,} running totals; what limits it: "
        f"{pages:.1f} page reads a change, {misses:.2f} of them from disk (InnoDB buffer pool "
        f"{after_pool['pool_mb']} MB)"
    )


def _pool(engine: sa.Engine) -> dict[str, int]:
    """The server's InnoDB buffer-pool counters: page reads asked for, and those that had to go to disk."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_read%'")).all()
        pool = conn.execute(sa.text("SELECT @@innodb_buffer_pool_size")).scalar_one()
    counters = {name: int(value) for name, value in rows if str(value).isdigit()}
    return {**counters, "pool_mb": int(pool) // 2**20}


def _sizes(engine: sa.Engine, name: str, store: Path, share: Path, results: dict, size: str) -> None:
    with engine.connect() as conn:
        mysql = conn.execute(
            sa.text("SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = :d"),
            {"d": name},
        ).scalar_one()
    sizes = {
        "mysql": int(mysql),
        "working_store": sum(p.stat().st_size for p in store.parent.glob(f"{store.name}*") if p.is_file()),
        "snapshot_dir": sum(p.stat().st_size for p in share.iterdir() if p.is_file()),
        "snapshot_current": sum((share / f).stat().st_size for f in read_manifest(current_snapshot(share)).files()),
    }
    results[f"disk_mb_{size}"] = {k: round(v / 2**20) for k, v in sizes.items()}
    print(f"disk MB at {size}: {results[f'disk_mb_{size}']}")


def main() -> int:
    sizes = sys.argv[sys.argv.index("--sizes") + 1].split(",") if "--sizes" in sys.argv else list(SIZES)
    results: dict = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "run": uuid.uuid4().hex[:8]}
    run(results, sizes)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
