"""Analyzer figures: query latency on a 1,000,000-transaction store, and a Kafka query round trip against a bare
produce->consume round trip on the same broker in the same run.

    .venv/bin/python -m bench.analyzer

The round trip goes through the runner's KafkaTriggerLoop, which hands a batch over as soon as one message is
there (poll, then drain without waiting; fetch.wait.max.ms 10 locally): about 9 ms against 7 ms for a bare
produce->consume here. What is left is the query itself, the token check and the reply's acks=all.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import tempfile
import threading
import time
import uuid
from pathlib import Path

TRANSACTIONS = 1_000_000
USERS = 2_000
HEAVY_SHARE = 0.1  # one user holds a tenth of the store: the worst case for partial-month edges
MONTHS = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
CATEGORIES = ["groceries", "rent", "travel", "fun", "health", "transport", "salary", "gifts"]


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def build_store(path: Path, rng: random.Random) -> list[str]:
    """The store as the processor leaves it: the contract's DDL, rows, monthly totals and sync state."""
    from shared.adapters.analytics.changes import STORE_COLUMNS
    from shared.adapters.analytics.schema import DDL
    from shared.adapters.analytics.sharding import backfill_users

    insert = f"INSERT INTO transactions ({STORE_COLUMNS}) VALUES ({', '.join(['?'] * 14)})"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    for statement in DDL:
        conn.execute(statement)
    users = [f"user-{i:05d}" for i in range(USERS)]
    heavy = int(TRANSACTIONS * HEAVY_SHARE)
    per_user = (TRANSACTIONS - heavy) // (USERS - 1)
    owners = [users[0]] * heavy + [u for u in users[1:] for _ in range(per_user)]
    owners += [users[-1]] * (TRANSACTIONS - len(owners))
    chunk = []
    for n, user in enumerate(owners):
        month = rng.choice(MONTHS)
        kind = "income" if rng.random() < 0.1 else "expense"
        currency = "EUR" if rng.random() < 0.9 else "USD"
        chunk.append(
            (user, f"{n:012d}", kind, rng.randint(100, 500_000) * 100, currency,
             "salary" if kind == "income" else rng.choice(CATEGORIES), None,
             f"{month}-{rng.randint(1, 28):02d}", month, "[]", 1_700_000_000_000_000 + n, 1, n + 1, None)
        )  # fmt: skip
        if len(chunk) == 50_000:
            conn.executemany(insert, chunk)
            chunk = []
    if chunk:
        conn.executemany(insert, chunk)
    conn.execute(
        "INSERT INTO monthly_totals (user_id, month, category, currency, income_e4, expense_e4, count, transactions) "
        "SELECT user_id, month, category, currency, SUM(CASE WHEN type = 'income' THEN amount_e4 ELSE 0 END), "
        "SUM(CASE WHEN type = 'expense' THEN amount_e4 ELSE 0 END), COUNT(*), COUNT(*) "
        "FROM transactions GROUP BY user_id, month, category, currency"
    )
    backfill_users(conn)  # what a publication reads to place users in shards
    conn.execute(
        "INSERT INTO sync_state (id, watermark, synced_at, transactions) VALUES (1, ?, ?, ?)",
        (TRANSACTIONS, dt.datetime.now(dt.UTC).isoformat(), TRANSACTIONS),
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return users


def query_latency(path: Path, users: list[str], rng: random.Random, calls: int = 2_000) -> float:
    """p95 (ms) of monthly-summary and category-breakdown, each call opening its snapshot as a request does."""
    from shared.services.queries import answer

    samples = []
    for i in range(calls):
        user = users[0] if i % 10 == 0 else rng.choice(users)
        month = rng.choice(MONTHS[1:-1])
        if i % 2:
            name, params = "monthly-summary", {"month": month}
        else:  # a period with partial months at both ends: totals plus an index range scan per edge
            name, params = "category-breakdown", {"from": f"{MONTHS[0]}-15", "to": f"{month}-10"}
        t0 = time.perf_counter()
        answer(name, params, user_id=user, is_admin=False, store_path=str(path))
        samples.append((time.perf_counter() - t0) * 1000)
    return p95(samples)


def _settings(broker, state: Path, store: Path):
    """Settings for the bench's own broker and store, and the token issuer they trust."""
    from shared.adapters.auth.devissuer import DEV_AUDIENCE, DEV_ISSUER, DevIssuer

    run = uuid.uuid4().hex[:8]
    from shared.settings import Settings

    issuer = DevIssuer(state / "dev-issuer").ensure()
    settings = Settings(
        **{
            "KafkaBrokerList": broker.bootstrap,
            "TransactionsTopic": f"bench-transactions-{run}",
            "DeadLetterTopic": f"bench-transactions-{run}.dlt",
            "QueriesTopic": f"bench-queries-{run}",
            "ResultsTopic": f"bench-results-{run}",
            "AlertsTopic": f"bench-alerts-{run}",
            "AnalyzerConsumerGroup": f"bench-analyzer-{run}",
            "DATABASE_URL": f"sqlite:///{state / 'budget.db'}",
            "AuthIssuer": DEV_ISSUER,
            "AuthAudience": DEV_AUDIENCE,
            "AuthJwksUrl": issuer.jwks_url,
            "AnalyticsStorePath": str(store),
        }
    )
    return settings, issuer


def raw_round_trip(settings, rounds: int) -> float:
    """p95 (ms) of one message produced and consumed, the fastest way a bare client can: poll, short fetch wait."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    from shared.adapters.kafka.config import client_config, producer_config

    topic = f"{settings.results_topic}.raw"
    admin = AdminClient(client_config(settings, role="bench"))  # kept alive until the topic exists
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(10)
    producer = Producer(producer_config(settings, role="bench"))
    conf = client_config(settings, role="bench")
    conf.update({"group.id": uuid.uuid4().hex, "enable.auto.commit": False, "fetch.wait.max.ms": 10})
    consumer = Consumer(conf)
    _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    consumer.assign([TopicPartition(topic, 0, high)])
    samples = []
    for i in range(rounds + 5):
        t0 = time.perf_counter()
        producer.produce(topic, b'{"request_id": "x"}')
        producer.flush(10)
        while (m := consumer.poll(5)) is None or m.error():
            pass
        if i >= 5:
            samples.append((time.perf_counter() - t0) * 1000)
    consumer.close()
    return p95(samples)


def query_round_trip(settings, token: str, rounds: int) -> float:
    """p95 (ms) of a monthly-summary asked over Kafka and answered through the answer_queries trigger."""
    from cli.query_client import QueryClient
    from cli.runner.index import index
    from cli.runner.triggers import KafkaTriggerLoop
    from functions.app import build
    from shared.adapters.kafka.admin import ensure_topics
    from shared.bootstrap import Root

    ensure_topics(settings)
    stop = threading.Event()
    root = Root(settings)
    _, app = build(root)
    fn = next(f for f in index(app) if f.name == "answer_queries")
    loop = KafkaTriggerLoop(fn, stop, settings, max_batch=64)  # the Kafka extension's default batch size
    loop.start()
    client = QueryClient(settings, client_id="bench")
    try:
        if not loop.ready.wait(30):
            raise RuntimeError("the query trigger was not assigned its partitions")
        samples = []
        for i in range(rounds + 3):
            t0 = time.perf_counter()
            reply = client.ask("monthly-summary", {"month": MONTHS[5]}, token=token, timeout_s=30)
            if not reply.get("ok"):
                raise RuntimeError(f"the analyzer refused the bench query: {reply}")
            if i >= 3:
                samples.append((time.perf_counter() - t0) * 1000)
        return p95(samples)
    finally:
        client.close()
        stop.set()
        loop.join(10)
        root.close()


def run(results: dict) -> None:
    from local_kafka.tansu import TansuBroker
    from shared.adapters.analytics.publish import publish_snapshot

    rng = random.Random(4)
    with tempfile.TemporaryDirectory(prefix="bench-analyzer-") as tmp:
        state = Path(tmp)
        store = state / "analytics.db"
        t0 = time.perf_counter()
        users = build_store(store, rng)
        print(f"analyzer: built a store of {TRANSACTIONS:,} transactions in {time.perf_counter() - t0:.1f}s")
        results["analyzer_p95_ms"] = round(query_latency(store, users, rng), 3)
        print(f"analyzer_p95_ms (monthly-summary, category-breakdown): {results['analyzer_p95_ms']}")
        share = state / "snapshots"  # as the analyzer in Azure reads it: the user's shard or layer of a publication
        publish_snapshot(store, share)
        results["analyzer_p95_ms_published"] = round(query_latency(share, users, rng), 3)
        print(
            f"analyzer_p95_ms_published (the same, from the published shards): {results['analyzer_p95_ms_published']}"
        )

        broker = TansuBroker(log_path=state / "tansu.log").start()
        try:
            settings, issuer = _settings(broker, state, store)
            rounds = 60
            query = query_round_trip(settings, issuer.token(users[1]), rounds)
            raw = raw_round_trip(settings, rounds * 3)
            results["query_roundtrip_p95_ms"] = round(query, 3)
            results["raw_produce_consume_p95_ms"] = round(raw, 3)
            results["query_roundtrip_vs_raw"] = round(query / raw, 2)
            print(f"query round trip p95 {query:.1f} ms, bare produce->consume p95 {raw:.1f} ms")
            print(f"query_roundtrip_vs_raw: {results['query_roundtrip_vs_raw']}")
        finally:
            broker.stop()


if __name__ == "__main__":
    out: dict = {}
    run(out)
    print(out)
