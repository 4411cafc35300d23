"""The stack in the test process: real broker (Tansu) and real MariaDB, each behind a cuttable proxy,
the function app's HTTP triggers behind uvicorn and its Kafka triggers as the runner's consumer loops."""

from __future__ import annotations

import signal
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pymysql
import sqlalchemy as sa
import uvicorn

from local_kafka.tansu import TansuBroker, free_port
from shared.adapters.auth.devissuer import DEV_AUDIENCE, DEV_ISSUER, DevIssuer
from shared.bootstrap import Root
from shared.settings import Settings
from tests.support.proxy import CuttableProxy
from tests.support.wait import until

MYSQL_ROOT = dict(host="127.0.0.1", port=3306, user="root", password="")


def create_database(name: str) -> None:
    conn = pymysql.connect(**MYSQL_ROOT)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    conn.close()


def drop_database(name: str) -> None:
    conn = pymysql.connect(**MYSQL_ROOT)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


@dataclass
class Infra:
    """Broker and database for one test session, with per-run names so sessions never collide."""

    run: str
    state: Path
    broker: TansuBroker
    db_proxy: CuttableProxy
    database: str
    issuer: DevIssuer
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, state: Path) -> Infra:
        run = uuid.uuid4().hex[:8]
        # Tansu advertises its own listener whatever it is told, so a proxy cannot sit in front of it:
        # broker outages freeze the process instead (see pause_broker), which also keeps its memory.
        broker = TansuBroker(log_path=state / "tansu.log").start()
        db_proxy = CuttableProxy(upstream_port=3306).start()
        database = f"budget_it_{run}"
        create_database(database)
        issuer = DevIssuer(state / "dev-issuer").ensure()
        infra = cls(run, state, broker, db_proxy, database, issuer)
        infra.env = {
            "KafkaBrokerList": broker.bootstrap,
            "KafkaDeliveryTimeoutMs": "4000",
            "TransactionsTopic": f"transactions-{run}",
            "DeadLetterTopic": f"transactions-{run}.dlt",
            "QueriesTopic": f"queries-{run}",
            "ResultsTopic": f"query-results-{run}",
            "AlertsTopic": f"budget-alerts-{run}",
            "StorageConsumerGroup": f"storage-{run}",
            "AnalyzerConsumerGroup": f"analyzer-{run}",
            "AlertsConsumerGroup": f"analyzer-alerts-{run}",
            "DATABASE_URL": f"mysql+pymysql://root@127.0.0.1:{db_proxy.port}/{database}",
            "AuthIssuer": DEV_ISSUER,
            "AuthAudience": DEV_AUDIENCE,
            "AuthJwksUrl": issuer.jwks_url,
            "AnalyticsStorePath": str(state / "analytics.db"),
            "BudgetServices": "receiver,storage,processor,analyzer",
        }
        return infra

    def settings(self, **updates: object) -> Settings:
        """The session's settings; `updates` change fields by name (analytics_store_path=...)."""
        base = Settings(**self.env)  # type: ignore[arg-type]  # given by their app-setting names
        return base.model_copy(update=updates) if updates else base

    def direct_engine(self) -> sa.Engine:
        """The test database without the proxy: for assertions that must work while the proxy is cut."""
        return sa.create_engine(f"mysql+pymysql://root@127.0.0.1:3306/{self.database}", pool_pre_ping=True)

    def pause_broker(self) -> None:
        """A hung broker: connections stay open, nothing is answered or acknowledged."""
        self.broker.process.send_signal(signal.SIGSTOP)

    def resume_broker(self) -> None:
        self.broker.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.resume_broker()
        self.db_proxy.cut()
        self.broker.stop()
        drop_database(self.database)


class AppServer:
    """The function app behind a real uvicorn server and the runner's trigger loops, in threads."""

    def __init__(self, root: Root, kafka_functions: tuple[str, ...] = ("store_transactions",)) -> None:
        from cli.runner.index import index
        from cli.runner.triggers import KafkaTriggerLoop
        from functions.app import build

        self.root = root
        api, app = build(root)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(api, host="127.0.0.1", port=self.port, log_level="warning", loop="asyncio")
        self.server = uvicorn.Server(config)
        self.stop_event = threading.Event()
        self.loops = [
            KafkaTriggerLoop(fn, self.stop_event, root.settings)
            for fn in index(app)
            if fn.kind == "kafkaTrigger" and fn.name in kafka_functions
        ]

    def start(self) -> AppServer:
        threading.Thread(target=self.server.run, daemon=True).start()
        for loop in self.loops:
            loop.start()
        until(lambda: self.server.started, timeout=20, what="uvicorn to start")
        for loop in self.loops:
            until(loop.ready.is_set, timeout=30, what=f"{loop.name} to be assigned partitions")
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.server.should_exit = True
        for loop in self.loops:
            loop.join(10)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)
