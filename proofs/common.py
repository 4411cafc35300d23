"""The stack as `budget run` starts it, in separate processes, against a private Tansu and a scratch database.

Shared by the chaos, outage and load proofs: they need to SIGKILL the storage process and stop the broker,
so nothing they prove may live in their own process.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pymysql
import sqlalchemy as sa

from local_kafka.tansu import TansuBroker
from shared.adapters.auth.devissuer import DEV_AUDIENCE, DEV_ISSUER, DevIssuer

MYSQL_ROOT = dict(host="127.0.0.1", port=3306, user="root", password="")
PARTITIONS_OF_TRANSACTIONS = 4  # shared.adapters.kafka.admin.topic_plan


def wait_for(check: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str) -> object:
    """Poll until `check()` is truthy; a proof never sleeps a fixed time waiting for an effect."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what}")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setting_names() -> set[str]:
    """Every app-setting name the services read: a parent's values (a pytest session's) must not leak in."""
    from shared.settings import Settings

    names: set[str] = set()
    for f in Settings.model_fields.values():
        alias = f.validation_alias
        names.update(getattr(alias, "choices", [alias] if isinstance(alias, str) else []))
    return names


def mysql_connection(database: str | None = None) -> pymysql.Connection:
    return pymysql.connect(**MYSQL_ROOT, database=database, autocommit=True)


@dataclass
class Stack:
    """One proof's stack. `settings` are the app settings every process gets; `close()` removes it all."""

    name: str
    run: str
    work: Path
    broker: TansuBroker
    database: str
    issuer: DevIssuer
    settings: dict[str, str]
    http_port: int = 0
    http: subprocess.Popen | None = None
    triggers: subprocess.Popen | None = None
    _logs: list = field(default_factory=list)

    @classmethod
    def start(cls, name: str, *, delivery_timeout_ms: int = 5_000) -> Stack:
        run = uuid.uuid4().hex[:8]
        work = Path(tempfile.mkdtemp(prefix=f"budget-{name}-"))
        broker = TansuBroker(log_path=work / "tansu.log").start()
        database = f"budget_{name}_{run}"
        with mysql_connection() as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        issuer = DevIssuer(work / "dev-issuer").ensure()
        settings = {
            "KafkaBrokerList": broker.bootstrap,
            "KafkaDeliveryTimeoutMs": str(delivery_timeout_ms),
            "TransactionsTopic": f"{name}-tx-{run}",
            "DeadLetterTopic": f"{name}-tx-{run}.dlt",
            "QueriesTopic": f"{name}-queries-{run}",
            "ResultsTopic": f"{name}-results-{run}",
            "AlertsTopic": f"{name}-alerts-{run}",
            "StorageConsumerGroup": f"{name}-storage-{run}",
            "AnalyzerConsumerGroup": f"{name}-analyzer-{run}",
            "AlertsConsumerGroup": f"{name}-alerts-{run}",
            "DATABASE_URL": f"mysql+pymysql://root@127.0.0.1:3306/{database}",
            "AuthIssuer": DEV_ISSUER,
            "AuthAudience": DEV_AUDIENCE,
            "AuthJwksUrl": issuer.jwks_url,
            "AnalyticsStorePath": str(work / "analytics.db"),
            "BudgetServices": "receiver,storage",
        }
        stack = cls(name, run, work, broker, database, issuer, settings)
        try:
            stack.prepare()
        except BaseException:
            stack.close()
            raise
        return stack

    # -- processes ------------------------------------------------------------------------------

    def env(self, services: str) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if k not in _setting_names()}
        return {
            **inherited,
            **self.settings,
            "BudgetServices": services,
            "LOG_LEVEL": "WARNING",
            "BUDGET_HOME": str(self.work),
        }

    def prepare(self) -> None:
        """Schema at head and topics present, as `budget run` does before any function runs."""
        code = "from cli.runner.stack import prepare; from shared.settings import Settings; prepare(Settings())"
        subprocess.run([sys.executable, "-c", code], env=self.env("receiver,storage"), check=True, cwd=_ROOT)

    def _spawn(self, args: list[str], services: str, log_name: str) -> subprocess.Popen:
        log = open(self.work / log_name, "ab")  # noqa: SIM115 - closed in close()
        self._logs.append(log)
        return subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", *args],
            env=self.env(services),
            cwd=_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_http(self, services: str = "receiver", workers: int = 1) -> str:
        """The HTTP functions in their own process (`serve http`); returns the base URL once it answers."""
        self.http_port = free_port()
        self.http = self._spawn(
            ["http", "--host", "127.0.0.1", "--port", str(self.http_port), "--workers", str(workers)],
            services,
            "http.log",
        )
        wait_for(lambda: port_open(self.http_port) or self._exited(self.http), timeout=60, what="the HTTP process")
        self._check_alive(self.http, "http")
        return f"http://127.0.0.1:{self.http_port}"

    def start_triggers(self, services: str = "storage") -> None:
        """The Kafka trigger loops in their own process (`serve triggers`): with `storage`, the MySQL writer."""
        self.triggers = self._spawn(["triggers"], services, "triggers.log")

    def kill_triggers(self) -> None:
        """SIGKILL: no shutdown, no last commit; whatever it had not committed must be redelivered."""
        assert self.triggers is not None
        self.triggers.send_signal(signal.SIGKILL)
        self.triggers.wait(10)

    @staticmethod
    def _exited(p: subprocess.Popen | None) -> bool:
        return p is not None and p.poll() is not None

    def _check_alive(self, p: subprocess.Popen | None, what: str) -> None:
        if self._exited(p):
            raise RuntimeError(f"the {what} process exited with {p.returncode}; see {self.work}/{what}.log")

    def alive(self) -> None:
        self._check_alive(self.http, "http")
        self._check_alive(self.triggers, "triggers")

    # -- broker ---------------------------------------------------------------------------------

    def stop_broker(self) -> None:
        """Tansu keeps everything in memory: once stopped, its topics, messages and group offsets are gone.

        SIGKILL, because Tansu lingers about 5 s on SIGTERM, still answering: an outage is a broker that is gone.
        """
        if self.broker.process is not None:
            self.broker.process.kill()
            self.broker.process.wait()
            self.broker.process = None

    def start_broker(self) -> None:
        """Tansu again on the same port, with the same topics created at once (as `budget run` would)."""
        self.broker.start()
        from shared.adapters.kafka.admin import ensure_topics
        from shared.settings import Settings

        ensure_topics(Settings(**self.settings))  # init values win over the environment

    def storage_lag(self) -> int:
        """Messages on the transactions topic the storage group has not committed (the broker's view)."""
        from confluent_kafka import Consumer, TopicPartition

        topic = self.settings["TransactionsTopic"]
        probe = Consumer(
            {
                "bootstrap.servers": self.broker.bootstrap,
                "group.id": self.settings["StorageConsumerGroup"],
                "log_level": 3,
            }
        )
        try:
            parts = [TopicPartition(topic, p) for p in range(PARTITIONS_OF_TRANSACTIONS)]
            committed = probe.committed(parts, timeout=10)
            lag = 0
            for tp in committed:
                _, high = probe.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=10)
                lag += max(0, high - max(tp.offset, 0))
            return lag
        finally:
            probe.close()

    def dead_letters(self) -> int:
        from confluent_kafka import Consumer, TopicPartition

        probe = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": f"probe-{self.run}", "log_level": 3})
        try:
            low, high = probe.get_watermark_offsets(TopicPartition(self.settings["DeadLetterTopic"], 0), timeout=10)
            return high - low
        finally:
            probe.close()

    # -- database -------------------------------------------------------------------------------

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.settings["DATABASE_URL"], pool_pre_ping=True)

    def rows(self) -> dict[str, list[tuple[str, str, Decimal]]]:
        """id -> every (user_id, type, amount) row stored under it: more than one would be a double."""
        out: dict[str, list[tuple[str, str, Decimal]]] = {}
        with mysql_connection(self.database) as conn, conn.cursor() as cur:
            cur.execute("SELECT id, user_id, type, amount FROM transactions WHERE deleted = 0")
            for tid, user, kind, amount in cur.fetchall():
                out.setdefault(tid, []).append((user, kind, Decimal(amount)))
        return out

    def row_count(self) -> int:
        with mysql_connection(self.database) as conn, conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM transactions")
            return cur.fetchone()[0]

    # -- teardown -------------------------------------------------------------------------------

    def close(self, keep: bool = False) -> None:
        """Stop every process we started, drop the scratch database, remove the work directory."""
        for p in (self.http, self.triggers):
            if p is not None and p.poll() is None:
                p.terminate()
        for p in (self.http, self.triggers):
            if p is not None:
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.broker.stop()
        try:
            wait_for(lambda: port_open(3306), timeout=60, what="MariaDB before dropping the scratch database")
            with mysql_connection() as conn, conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{self.database}`")
        finally:
            for log in self._logs:
                log.close()
            if not keep:
                shutil.rmtree(self.work, ignore_errors=True)


_ROOT = str(Path(__file__).resolve().parent.parent)


def restart_mariadb(timeout: float = 120) -> float:
    """Shut the shared MariaDB down and start it again; returns how long it refused connections.

    Only the full chaos run does this: every other user of 127.0.0.1:3306 sees the outage too.
    """
    started = time.monotonic()
    subprocess.run(["mysqladmin", "-uroot", "shutdown"], check=True, timeout=timeout)
    subprocess.run(
        ["start-stop-daemon", "--start", "--oknodo", "--background", "--exec", "/usr/sbin/mariadbd"],
        check=True,
        timeout=30,
    )

    def answers() -> bool:
        try:
            mysql_connection().close()
            return True
        except pymysql.err.OperationalError:
            return False

    wait_for(answers, timeout=timeout, interval=0.2, what="MariaDB to accept connections again")
    return time.monotonic() - started


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]
