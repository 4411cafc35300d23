"""The local stack a proof runs against: a real broker and a fresh MariaDB database with per-run names, and
the function app in this process (HTTP behind uvicorn, the chosen Kafka triggers as consumer loops)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.stack import AppServer, Infra


@contextmanager
def local_stack(kafka_functions: tuple[str, ...] = ("store_transactions",)) -> Iterator[tuple[Infra, AppServer]]:
    from shared.adapters.kafka.admin import ensure_topics
    from shared.adapters.mysql.migrate import migrate
    from shared.bootstrap import Root

    state = Path(tempfile.mkdtemp(prefix="budget-proof-"))
    infra = Infra.start(state)
    root = Root(infra.settings())
    server = None
    try:
        migrate(root.engine)
        ensure_topics(root.settings)
        server = AppServer(root, kafka_functions=kafka_functions).start()
        yield infra, server
    finally:
        if server is not None:
            server.stop()
        root.close()
        infra.stop()
        shutil.rmtree(state, ignore_errors=True)


def sync_analytics(server: AppServer) -> None:
    """One processor run, as the timer does it: the analytics store exists and holds what MySQL holds."""
    from shared.adapters.analytics.sync import sync
    from tests.support.wait import until

    root = server.root
    path = root.settings.analytics_store_path
    until(lambda: not sync(engine=root.engine, path=path).skipped, timeout=60, what="a sync run")
