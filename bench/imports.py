"""Import benchmark, side by side with the batch endpoint carrying the same rows in the same run.

import_rows_per_s: a 100,000-row bank CSV (German export, ~6 MB) through `budget import --wait` (the CLI reads it,
one POST /api/imports, receiver -> Kafka -> storage) until every row is in MariaDB.
import_vs_batch_ingest: that rate over POST /api/transactions/batch carrying the same 100,000 rows (1,000 per
request, four clients, as bench.ingest does) into another account, until every row is in MariaDB. Target >= 0.8.
The stack is bench.ingest's: its own Tansu broker, a scratch database, `budget serve http` (receiver and storage)
and `budget serve triggers` (storage) as processes.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

from bench.common import create_database, drop_database, free_port, mysql, stop, wait_port
from local_kafka.tansu import TansuBroker
from shared.adapters.auth.devissuer import DEV_AUDIENCE, DEV_ISSUER, DevIssuer

ROWS = 100_000
BATCH = 1_000
PAYEES = ["REWE Markt GmbH", "Bäckerei Müller", "Stadtwerke München", "Drogerie Rossmann", "Deutsche Bahn AG"]


def _rows(n: int) -> list[tuple[dt.date, str, str, str]]:
    """(day, payee, memo, signed amount with a decimal point): distinct rows over a year, a fifth of them income."""
    start = dt.date(2025, 1, 1)
    return [
        (
            start + dt.timedelta(days=i * 365 // n),
            PAYEES[i % len(PAYEES)],
            f"Kartenzahlung {i}",
            f"{'' if i % 5 == 0 else '-'}{1 + i % 997}.{i % 100:02d}",
        )
        for i in range(n)
    ]


def _csv(rows: list[tuple]) -> bytes:
    lines = ["Buchungstag;Empfänger;Verwendungszweck;Betrag;Währung"]
    lines += [f"{d:%d.%m.%Y};{p};{m};{a.replace('.', ',')};EUR" for d, p, m, a in rows]
    return ("\n".join(lines) + "\n").encode()


def _batches(rows: list[tuple], account: str) -> list[list[dict]]:
    items = [
        {
            "type": "expense" if a.startswith("-") else "income",
            "amount": a.lstrip("-"),
            "currency": "EUR",
            "category": "uncategorized",
            "date": d.isoformat(),
            "description": m,
            "payee": p,
            "account_id": account,
        }
        for d, p, m, a in rows
    ]
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)]


def _count(database: str, account: str) -> int:
    conn = mysql(database)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM transactions WHERE account_id = %s", (account,))
            return cur.fetchone()[0]
    finally:
        conn.close()


def _wait_count(database: str, account: str, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _count(database, account) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {n} rows in {account} after {timeout}s")
        time.sleep(0.1)


def _open(client: httpx.Client, name: str) -> str:
    body = {"name": name, "type": "checking", "currency": "EUR", "opening_balance": "0", "opening_date": "2024-01-01"}
    answer = client.post("/api/accounts", json=body)
    answer.raise_for_status()
    op = client.get(f"/api/operations/{answer.json()['operation']}", params={"wait": 10}).json()
    assert op["status"] == "applied", op
    return answer.json()["id"]


def _budget_import(env: dict, url: str, token: str, path: Path, account: str) -> None:
    command = [sys.executable, "-m", "cli.main", "import", str(path), "--account", account, "--wait", "--url", url,
               "--token", token]  # fmt: skip
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def import_vs_batch(env: dict, token: str, database: str, work: Path) -> dict:
    rows = _rows(ROWS)
    path = work / "import-100k.csv"
    path.write_bytes(_csv(rows))
    port = free_port()
    http = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "http", "--port", str(port), "--workers", "1"],
                            env={**env, "BudgetServices": "receiver,storage"})  # fmt: skip
    triggers = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "triggers"],
                                env={**env, "BudgetServices": "storage"})  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_port(port)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
            warm, imported, batched = (_open(client, name) for name in ("Warm-up", "Imported", "Batched"))
            warm_rows = _rows(BATCH)
            warm_path = work / "import-warm.csv"
            warm_path.write_bytes(_csv(warm_rows))
            _budget_import(env, url, token, warm_path, warm)  # imports, the producer's connection, the token cache
            client.post(
                "/api/transactions/batch", json={"transactions": _batches(warm_rows, warm)[0]}
            ).raise_for_status()
            _wait_count(database, warm, 2 * BATCH, timeout=120)

            started = time.perf_counter()
            _budget_import(env, url, token, path, imported)
            _wait_count(database, imported, ROWS, timeout=900)
            import_rps = ROWS / (time.perf_counter() - started)

            parts = _batches(rows, batched)
            started = time.perf_counter()

            def send(mine: list[list[dict]]) -> None:
                with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as c:
                    for batch in mine:
                        c.post("/api/transactions/batch", json={"transactions": batch}).raise_for_status()

            threads = [threading.Thread(target=send, args=(parts[i::4],)) for i in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            _wait_count(database, batched, ROWS, timeout=900)
            batch_rps = ROWS / (time.perf_counter() - started)
    finally:
        stop(http, triggers)
    size_mb = path.stat().st_size / 1e6
    print(
        f"budget import of {ROWS:,} CSV rows ({size_mb:.1f} MB) -> MariaDB {import_rps:,.0f} rows/s vs the batch "
        f"endpoint {batch_rps:,.0f} rows/s -> {import_rps / batch_rps:.2f}"
    )
    return {
        "import_rows_per_s": round(import_rps),
        "import_batch_ingest_rows_per_s": round(batch_rps),
        "import_vs_batch_ingest": round(import_rps / batch_rps, 3),
    }


def run(results: dict) -> None:
    run_id = uuid.uuid4().hex[:8]
    work = Path(".bench/work").resolve()
    work.mkdir(parents=True, exist_ok=True)
    broker = TansuBroker(log_path=work / "tansu-imports.log").start()
    database = f"budget_bench_imports_{run_id}"
    create_database(database)
    issuer = DevIssuer(work / "dev-issuer").ensure()
    env = {
        **os.environ,
        "KafkaBrokerList": broker.bootstrap,
        "DATABASE_URL": f"mysql+pymysql://root@127.0.0.1:3306/{database}",
        "AuthIssuer": DEV_ISSUER,
        "AuthAudience": DEV_AUDIENCE,
        "AuthJwksUrl": issuer.jwks_url,
        "TransactionsTopic": f"bench-imports-{run_id}",
        "DeadLetterTopic": f"bench-imports-{run_id}.dlt",
        "StorageConsumerGroup": f"bench-imports-storage-{run_id}",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "BUDGET_HOME": str(work),
    }
    try:
        schema_and_topics = (
            "from cli.runner.stack import prepare; from shared.settings import Settings; prepare(Settings())"
        )
        subprocess.run([sys.executable, "-c", schema_and_topics], env=env, check=True)
        results.update(import_vs_batch(env, issuer.token("bench-importer", ttl_s=3600), database, work))
    finally:
        broker.stop()
        drop_database(database)
