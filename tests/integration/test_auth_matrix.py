"""The authorization matrix over HTTP and Kafka queries: every bad token (v1.0-shaped, without scp, from another
tenant among them) refused with 401, another user's transaction 404, reports and queries answer only the caller's
data, admin routes 403 to a user."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from cli.query_client import QueryClient
from proofs.authz import render, run_matrix, seed_world
from shared.adapters.analytics.sync import sync
from shared.bootstrap import Root
from tests.support.stack import AppServer


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    """An analytics store of this module's own, read by HTTP reports and Kafka queries alike."""
    return tmp_path_factory.mktemp("authz") / "analytics.db"


@pytest.fixture(scope="module")
def analyzer(infra, app_server, store_path):
    """The app reading this module's store, answering Kafka queries too; the session's app stores events."""
    root = Root(infra.settings(analytics_store_path=str(store_path)))
    server = AppServer(root, kafka_functions=("answer_queries",)).start()
    yield server
    server.stop()
    root.close()


def test_every_cell_of_the_matrix_is_refused_or_scoped(analyzer, infra, store_path: Path):
    with analyzer.client() as http:
        world = seed_world(http, infra.issuer)
        assert not sync(engine=analyzer.root.engine, path=store_path).skipped
        kafka = QueryClient(analyzer.root.settings, client_id=f"authz-{uuid.uuid4().hex[:8]}")
        try:
            cells = run_matrix(http, kafka, infra.issuer, world)
        finally:
            kafka.close()
    table = render(cells)
    print(table)
    assert len(cells) == 38, table
    assert {c.channel for c in cells} == {"HTTP", "Kafka"}
    assert all(c.ok for c in cells), table
