"""Ingest benchmarks, each side by side with the raw thing doing the same work in the same run.

(a) receiver_vs_bare_http: POST /api/transactions (verify token, validate, produce, wait for acks=all)
    against a hello-world POST function on the same server (the local runner under uvicorn, one worker),
    both driven by wrk with 32 connections. For transparency it also reports receiver_vs_raw_asgi:
    against a raw ASGI callable with no framework at all, the floor of what uvicorn can do.
(b) ingest_vs_raw_mysql: HTTP batches of 1,000 until every row is in MariaDB (receiver -> Kafka ->
    storage), against raw PyMySQL executemany of the same rows, 1,000 per commit, into the same server.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from bench.common import create_database, drop_database, free_port, mysql, stop, wait_port
from local_kafka.tansu import TansuBroker
from shared.adapters.auth.devissuer import DEV_AUDIENCE, DEV_ISSUER, DevIssuer

WRK_SECONDS = 10
ROWS = 50_000
BATCH = 1_000


def _wrk(url: str, token: str, body: str, seconds: int = WRK_SECONDS) -> tuple[float, int]:
    """Requests/s and non-2xx count of a wrk POST run."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
    )
    out = subprocess.run(
        ["wrk", "-t1", "-c32", f"-d{seconds}s", "-s", str(script), url], capture_output=True, text=True, check=True
    ).stdout
    script.unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, int(bad.group(1)) if bad else 0


_PREPARE = "from cli.runner.stack import prepare; from shared.settings import Settings; prepare(Settings())"


def _serve(env: dict, port: int, services: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "http", "--port", str(port), "--workers", "1"],
        env={**env, "BudgetServices": services},
    )


def receiver_vs_bare(env: dict, token: str) -> dict:
    recv_port, hello_port, raw_port = free_port(), free_port(), free_port()
    receiver = _serve(env, recv_port, "receiver")
    uvicorn = [sys.executable, "-m", "uvicorn", "--workers", "1", "--http", "httptools", "--loop", "uvloop",
               "--log-level", "warning", "--no-access-log"]  # fmt: skip
    hello = subprocess.Popen([*uvicorn, "--factory", "bench.hello_app:create", "--port", str(hello_port)])
    raw = subprocess.Popen([*uvicorn, "bench.bare_app:app", "--port", str(raw_port)])
    try:
        for port in (recv_port, hello_port, raw_port):
            wait_port(port)
        body = json.dumps({"id": str(uuid.uuid4()), "type": "expense", "amount": "12.50", "currency": "EUR",
                           "category": "groceries", "date": "2026-11-20", "description": "bench"})  # fmt: skip
        urls = {
            "receiver": f"http://127.0.0.1:{recv_port}/api/transactions",
            "hello": f"http://127.0.0.1:{hello_port}/api/hello",
            "raw": f"http://127.0.0.1:{raw_port}/",
        }
        for url in urls.values():  # warm up: imports, the producer's connection, the token cache
            _wrk(url, token, body, seconds=2)
        runs: dict[str, list[float]] = {k: [] for k in urls}
        errors = 0
        for _ in range(2):  # alternate, so drift on a shared machine hits all three alike
            for name, url in urls.items():
                rps, bad = _wrk(url, token, body)
                runs[name].append(rps)
                errors += bad
        recv, hello_rps, raw_rps = (statistics.median(runs[k]) for k in ("receiver", "hello", "raw"))
        print(
            f"(a) receiver POST {recv:,.0f} req/s vs hello-world function POST {hello_rps:,.0f} req/s "
            f"-> {recv / hello_rps:.2f}; vs raw ASGI {raw_rps:,.0f} req/s -> {recv / raw_rps:.2f} (non-2xx: {errors})"
        )
        return {
            "receiver_vs_bare_http": round(recv / hello_rps, 3),
            "receiver_vs_raw_asgi": round(recv / raw_rps, 3),
            "receiver_rps": round(recv),
            "bare_http_rps": round(hello_rps),
            "raw_asgi_rps": round(raw_rps),
            "receiver_non_2xx": errors,
        }
    finally:
        stop(receiver, hello, raw)


def _rows(n: int) -> list[dict]:
    return [
        {
            "id": str(uuid.uuid4()),
            "type": "expense" if i % 5 else "income",
            "amount": f"{1 + i % 997}.{i % 100:02d}",
            "currency": "EUR",
            "category": f"cat-{i % 12}",
            "date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "description": f"bench row {i}",
            "tags": ["bench"],
        }
        for i in range(n)
    ]


def ingest_vs_raw(env: dict, token: str, database: str) -> dict:
    rows = _rows(ROWS)
    port = free_port()
    http = _serve(env, port, "receiver,storage")
    triggers = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "triggers"], env={**env, "BudgetServices": "storage"}
    )
    try:
        wait_port(port)
        url = f"http://127.0.0.1:{port}/api/transactions/batch"
        headers = {"Authorization": f"Bearer {token}"}
        warm = _rows(BATCH)
        httpx.post(url, json={"transactions": warm}, headers=headers, timeout=60).raise_for_status()
        _wait_count(database, BATCH, timeout=120)
        batches = [rows[i : i + BATCH] for i in range(0, ROWS, BATCH)]
        started = time.perf_counter()

        def client(part: list[list[dict]]) -> None:
            with httpx.Client(headers=headers, timeout=60) as c:
                for b in part:
                    c.post(url, json={"transactions": b}).raise_for_status()

        threads = [threading.Thread(target=client, args=(batches[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        _wait_count(database, BATCH + ROWS, timeout=600)
        e2e = ROWS / (time.perf_counter() - started)
    finally:
        stop(http, triggers)
    raw = _raw_executemany(database, rows)
    print(
        f"(b) HTTP batch -> Kafka -> MariaDB {e2e:,.0f} rows/s vs raw PyMySQL executemany {raw:,.0f} rows/s "
        f"-> {e2e / raw:.2f}"
    )
    return {
        "ingest_vs_raw_mysql": round(e2e / raw, 3),
        "ingest_rows_per_s": round(e2e),
        "raw_mysql_rows_per_s": round(raw),
    }


def _wait_count(database: str, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    conn = mysql(database)
    try:
        while time.monotonic() < deadline:
            with conn.cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM transactions")
                if cur.fetchone()[0] >= n:
                    return
            conn.commit()
            time.sleep(0.05)
    finally:
        conn.close()
    raise TimeoutError(f"fewer than {n} rows after {timeout}s")


def _raw_executemany(database: str, rows: list[dict]) -> float:
    """The same rows, same columns, into a copy of the same table: the server's raw batched speed."""
    conn = mysql(database)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE raw_transactions LIKE transactions")
    conn.commit()
    sql = (
        "INSERT INTO raw_transactions (user_id, id, type, amount, currency, category, description, booking_date,"
        " tags, recorded_at, version, deleted, change_seq) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
    )
    now = time.time_ns() // 1000
    values = [
        (
            "bench",
            r["id"],
            r["type"],
            r["amount"],
            r["currency"],
            r["category"],
            r["description"],
            r["date"],
            json.dumps(r["tags"]),
            now,
            now,
            0,
            i,
        )
        for i, r in enumerate(rows)
    ]
    started = time.perf_counter()
    with conn.cursor() as cur:
        for i in range(0, len(values), BATCH):
            cur.executemany(sql, values[i : i + BATCH])
            conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return len(rows) / elapsed


def run(results: dict) -> None:
    run_id = uuid.uuid4().hex[:8]
    work = Path(".bench/work").resolve()
    work.mkdir(parents=True, exist_ok=True)
    broker = TansuBroker(log_path=work / "tansu.log").start()
    database = f"budget_bench_{run_id}"
    create_database(database)
    issuer = DevIssuer(work / "dev-issuer").ensure()
    env = {
        **os.environ,
        "KafkaBrokerList": broker.bootstrap,
        "DATABASE_URL": f"mysql+pymysql://root@127.0.0.1:3306/{database}",
        "AuthIssuer": DEV_ISSUER,
        "AuthAudience": DEV_AUDIENCE,
        "AuthJwksUrl": issuer.jwks_url,
        "TransactionsTopic": f"bench-tx-{run_id}",
        "DeadLetterTopic": f"bench-tx-{run_id}.dlt",
        "StorageConsumerGroup": f"bench-storage-{run_id}",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "BUDGET_HOME": str(work),
    }
    try:
        subprocess.run(
            [
                sys.executable,
                "-c",
                _PREPARE,
            ],
            env=env,
            check=True,
        )
        token = issuer.token("bench-user", ttl_s=3600)
        # (a) posts tens of thousands of events: its own topic, so (b)'s storage starts from an empty one.
        recv_env = {**env, "TransactionsTopic": f"bench-recv-{run_id}", "DeadLetterTopic": f"bench-recv-{run_id}.dlt"}
        subprocess.run([sys.executable, "-c", _PREPARE], env=recv_env,
                       check=True)  # fmt: skip
        results.update(receiver_vs_bare(recv_env, token))
        results.update(ingest_vs_raw(env, token, database))
    finally:
        broker.stop()
        drop_database(database)
