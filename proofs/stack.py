"""The local stack a proof runs against: a real broker and a fresh MariaDB database with per-run names, and
the function app in this process (HTTP behind uvicorn, the chosen Kafka triggers as consumer loops)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.stack import AppServer, Infra


@contextmanager
def local_stack(kafka_functions: tuple[str, ...] = ("store_transactions",)) -> Iterator[tuple[Infra, AppServer]]:
    from shared import bootstrap
    from shared.adapters.kafka.admin import ensure_topics
    from shared.adapters.mysql.engine import build_engine
    from shared.adapters.mysql.migrate import migrate
    from shared.settings import get_settings

    state = Path(tempfile.mkdtemp(prefix="budget-proof-"))
    infra = Infra.start(state)
    env = {**infra.env, "AlertsStatePath": str(state / "alerts.db")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    bootstrap.reset()
    server = None
    try:
        engine = build_engine(get_settings())
        migrate(engine)
        engine.dispose()
        ensure_topics(get_settings())
        server = AppServer(kafka_functions=kafka_functions).start()
        yield infra, server
    finally:
        if server is not None:
            server.stop()
        bootstrap.reset()
        infra.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(state, ignore_errors=True)


def sync_analytics() -> None:
    """One processor run, as the timer does it: the analytics store exists and holds what MySQL holds."""
    from shared import bootstrap
    from shared.adapters.analytics.sync import sync
    from tests.support.wait import until

    path = bootstrap.settings().analytics_store_path
    until(lambda: not sync(engine=bootstrap.store().engine, path=path).skipped, timeout=60, what="a sync run")
