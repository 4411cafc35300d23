"""Shared pieces of the benchmarks: MariaDB scratch databases, ports, processes, results."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pymysql

RESULTS = Path(".bench/results.json")
MYSQL = dict(host="127.0.0.1", port=3306, user="root", password="")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


def mysql(database: str | None = None) -> pymysql.Connection:
    return pymysql.connect(**MYSQL, database=database, autocommit=False)


def create_database(name: str) -> None:
    conn = mysql()
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    conn.close()


def drop_database(name: str) -> None:
    conn = mysql()
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


def stop(*processes: subprocess.Popen) -> None:
    for p in processes:
        if p.poll() is None:
            p.terminate()
    for p in processes:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def save(results: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    merged = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    merged.update(results)
    RESULTS.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
