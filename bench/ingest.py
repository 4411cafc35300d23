"""Ingest benchmarks, each side by side with a bare program doing the same work, in the same run.

(a) receiver_vs_bare_publish: POST /api/transactions (verify the token, validate, produce, wait for acks=all)
    against a bare ASGI endpoint on the same server and worker settings that parses the JSON body and produces it
    with acks=all, awaiting the ack (bench/bare_app.py). wrk, 32 connections, bench/post.lua: every body has a fresh
    id, the users and their tokens come from a pool. For information, against a hello-world FastAPI POST
    (receiver_vs_bare_http) and a raw ASGI hello (receiver_vs_raw_asgi): neither publishes anything.
(b) ingest_vs_same_work_mysql: HTTP batches of 1,000 from many users (so every partition) until each operation is
    stored (receiver -> Kafka -> storage -> MariaDB), against raw PyMySQL running storage's statements for the same
    rows (bench/ingest_mysql.py); and ingest_vs_raw_mysql, against the rows alone (the physical limit).
"""

from __future__ import annotations

import os
import random
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

from bench import ingest_mysql
from bench.common import create_database, drop_database, free_port, mysql, stop, wait_port
from local_kafka.tansu import TansuBroker
from shared.adapters.auth.devissuer import DEV_AUDIENCE, DEV_ISSUER, DevIssuer

WRK_SECONDS = 10
WRK_USERS = 200
ROWS = 100_000
BATCH = 1_000
USERS = 50
POST_LUA = Path(__file__).with_name("post.lua")
_UVICORN = [sys.executable, "-m", "uvicorn", "--workers", "1", "--http", "httptools", "--loop", "uvloop",
            "--log-level", "warning", "--no-access-log"]  # fmt: skip


def _wrk(url: str, tokens: Path, seconds: int = WRK_SECONDS) -> tuple[float, int]:
    """Requests/s and non-2xx count of a wrk run posting post.lua's bodies."""
    seed = str(random.randrange(1, 2**31))
    out = subprocess.run(
        ["wrk", "-t1", "-c32", f"-d{seconds}s", "-s", str(POST_LUA), url, "--", str(tokens), seed],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, int(bad.group(1)) if bad else 0


def _serve(env: dict, port: int, services: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "http", "--port", str(port), "--workers", "1"],
        env={**env, "BudgetServices": services},
    )


def receiver_vs_bare(env: dict, tokens: Path) -> dict:
    ports = {name: free_port() for name in ("receiver", "bare_publish", "hello", "raw")}
    servers = [
        _serve(env, ports["receiver"], "receiver"),
        subprocess.Popen(
            [*_UVICORN, "--factory", "bench.bare_app:create_publish", "--port", str(ports["bare_publish"])], env=env
        ),  # fmt: skip
        subprocess.Popen([*_UVICORN, "--factory", "bench.hello_app:create", "--port", str(ports["hello"])]),
        subprocess.Popen([*_UVICORN, "bench.bare_app:app", "--port", str(ports["raw"])]),
    ]
    paths = {"receiver": "/api/transactions", "bare_publish": "/", "hello": "/api/hello", "raw": "/"}
    urls = {name: f"http://127.0.0.1:{port}{paths[name]}" for name, port in ports.items()}
    try:
        for port in ports.values():
            wait_port(port)
        for url in urls.values():  # warm up: imports, the producer's connection, the token cache
            _wrk(url, tokens, seconds=3)
        runs: dict[str, list[float]] = {k: [] for k in urls}
        errors = dict.fromkeys(urls, 0)
        for _ in range(2):  # alternate, so drift on a shared machine hits all of them alike
            for name, url in urls.items():
                rps, bad = _wrk(url, tokens)
                runs[name].append(rps)
                errors[name] += bad
        recv, bare, hello, raw = (statistics.median(runs[k]) for k in urls)
        print(
            f"(a) receiver POST {recv:,.0f} req/s vs bare parse+produce(acks=all) {bare:,.0f} req/s "
            f"-> {recv / bare:.2f} (target >= 0.8); for information: vs FastAPI hello {hello:,.0f} "
            f"-> {recv / hello:.2f}, vs raw ASGI hello {raw:,.0f} -> {recv / raw:.2f} (non-2xx: {errors})"
        )
        return {
            "receiver_vs_bare_publish": round(recv / bare, 3),
            "receiver_vs_bare_http": round(recv / hello, 3),
            "receiver_vs_raw_asgi": round(recv / raw, 3),
            "receiver_rps": round(recv),
            "bare_publish_rps": round(bare),
            "bare_http_rps": round(hello),
            "raw_asgi_rps": round(raw),
            "receiver_non_2xx": errors["receiver"],
            "bare_publish_non_2xx": errors["bare_publish"],
        }
    finally:
        stop(*servers)


def _cpu_s(pid: int) -> float:
    """CPU seconds a process has used (Linux /proc), its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingest_e2e(
    env: dict, tokens: dict[str, str], batches: list[tuple[str, list[dict]]], database: str, broker_pid: int
) -> tuple[float, dict[str, float]]:
    """Rows/s from the first HTTP batch posted until every operation is stored, and the CPU milliseconds each
    process spent per 1,000 rows meanwhile (where the time went: the database server is shared, so not counted)."""
    port = free_port()
    http = _serve(env, port, "receiver,storage")
    triggers = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "triggers"], env={**env, "BudgetServices": "storage"}
    )
    try:
        wait_port(port)
        url = f"http://127.0.0.1:{port}/api/transactions/batch"
        warm_user = next(iter(tokens))
        httpx.post(
            url,
            json={"transactions": ingest_mysql.rows(BATCH)},
            headers={"Authorization": f"Bearer {tokens[warm_user]}"},
            timeout=60,
        ).raise_for_status()
        _wait_operations(database, 1, timeout=120)
        pids = {"http": http.pid, "storage": triggers.pid, "broker": broker_pid}
        cpu_before = {name: _cpu_s(pid) for name, pid in pids.items()}
        started = time.perf_counter()

        def client(part: list[tuple[str, list[dict]]]) -> None:
            with httpx.Client(timeout=60) as c:
                for user, rows in part:
                    headers = {"Authorization": f"Bearer {tokens[user]}"}
                    c.post(url, json={"transactions": rows}, headers=headers).raise_for_status()

        threads = [threading.Thread(target=client, args=(batches[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        _wait_operations(database, 1 + len(batches), timeout=600)
        rows = sum(len(rows) for _, rows in batches)
        cpu = {name: round((_cpu_s(pid) - cpu_before[name]) / rows * 1e6, 1) for name, pid in pids.items()}
        return rows / (time.perf_counter() - started), cpu
    finally:
        stop(http, triggers)


def _wait_operations(database: str, n: int, timeout: float) -> None:
    """Until n operations are done: each is committed with its rows, and the table is small to count."""
    deadline = time.monotonic() + timeout
    conn = mysql(database)
    try:
        while time.monotonic() < deadline:
            with conn.cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM operations WHERE applied + duplicates + rejected >= expected")
                if cur.fetchone()[0] >= n:
                    return
            conn.commit()
            time.sleep(0.05)
    finally:
        conn.close()
    raise TimeoutError(f"fewer than {n} operations done after {timeout}s")


def ingest_vs_raw(
    env: dict, tokens: dict[str, str], database: str, raw_databases: tuple[str, str], broker_pid: int
) -> dict:
    batches = ingest_mysql.batches(sorted(tokens), ROWS, BATCH)
    # The raw baselines before and after the stack's run: drift on a shared machine hits both sides alike.
    same_work, rows_only = [], []
    ingest_mysql.migrated_database(raw_databases[0])
    same_work.append(ingest_mysql.same_work(raw_databases[0], batches))
    rows_only.append(ingest_mysql.rows_only(raw_databases[0], batches))
    e2e, cpu = ingest_e2e(env, tokens, batches, database, broker_pid)
    ingest_mysql.migrated_database(raw_databases[1])
    same_work.append(ingest_mysql.same_work(raw_databases[1], batches))
    rows_only.append(ingest_mysql.rows_only(raw_databases[1], batches))
    same, raw = statistics.mean(same_work), statistics.mean(rows_only)
    print(
        f"(b) HTTP batches from {len(tokens)} users -> Kafka -> MariaDB {e2e:,.0f} rows/s vs raw PyMySQL doing "
        f"storage's statements {same:,.0f} rows/s -> {e2e / same:.2f} (target >= 0.8); vs the rows alone "
        f"{raw:,.0f} rows/s -> {e2e / raw:.2f} (target >= 0.5); CPU ms per 1,000 rows: {cpu}"
    )
    return {
        "ingest_vs_same_work_mysql": round(e2e / same, 3),
        "ingest_vs_raw_mysql": round(e2e / raw, 3),
        "ingest_rows_per_s": round(e2e),
        "same_work_mysql_rows_per_s": round(same),
        "raw_mysql_rows_per_s": round(raw),
        "ingest_cpu_ms_per_1k_rows": cpu,
    }


def _prepare(env: dict) -> None:
    code = "from cli.runner.stack import prepare; from shared.settings import Settings; prepare(Settings())"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def run(results: dict) -> None:
    run_id = uuid.uuid4().hex[:8]
    work = Path(".bench/work").resolve()
    work.mkdir(parents=True, exist_ok=True)
    broker = TansuBroker(log_path=work / f"tansu-ingest-{run_id}.log").start()
    database = f"budget_bench_{run_id}"
    raw_databases = (f"budget_bench_{run_id}_raw1", f"budget_bench_{run_id}_raw2")
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
    tokens_file = Path(tempfile.mkstemp(prefix="bench-tokens-", suffix=".txt")[1])
    try:
        _prepare(env)
        tokens_file.write_text("\n".join(issuer.token(f"bench-user-{i}", ttl_s=3600) for i in range(WRK_USERS)))
        # (a) posts tens of thousands of events: its own topic, so (b)'s storage starts from an empty one.
        recv_env = {**env, "TransactionsTopic": f"bench-recv-{run_id}", "DeadLetterTopic": f"bench-recv-{run_id}.dlt"}
        _prepare(recv_env)
        results.update(receiver_vs_bare(recv_env, tokens_file))
        tokens = {f"bench-user-{i}": issuer.token(f"bench-user-{i}", ttl_s=3600) for i in range(USERS)}
        results.update(ingest_vs_raw(env, tokens, database, raw_databases, broker.process.pid))
    finally:
        tokens_file.unlink(missing_ok=True)
        broker.stop()
        for name in (database, *raw_databases):
            drop_database(name)
