"""The authorization matrix over HTTP and Kafka queries: every bad token refused with 401, another user's
transaction 404, reports and queries answer only the caller's data, admin routes 403 to a user."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from cli.query_client import QueryClient
from proofs.authz import render, run_matrix, seed_world
from shared import bootstrap
from shared.adapters.analytics.sync import sync
from shared.settings import get_settings
from tests.support.stack import AppServer


@pytest.fixture(scope="module")
def analyzer(infra, app_server):
    server = AppServer(kafka_functions=("answer_queries",)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def store_path(infra, tmp_path_factory):
    """An analytics store of this module's own, read by HTTP reports and Kafka queries alike."""
    path = tmp_path_factory.mktemp("authz") / "analytics.db"
    patch = pytest.MonkeyPatch()
    patch.setenv("AnalyticsStorePath", str(path))
    get_settings.cache_clear()
    yield path
    patch.undo()
    get_settings.cache_clear()


def test_every_cell_of_the_matrix_is_refused_or_scoped(app_server, analyzer, infra, store_path: Path):
    with app_server.client() as http:
        world = seed_world(http, infra.issuer)
        assert not sync(engine=bootstrap.store().engine, path=store_path).skipped
        kafka = QueryClient(get_settings(), client_id=f"authz-{uuid.uuid4().hex[:8]}")
        try:
            cells = run_matrix(http, kafka, infra.issuer, world)
        finally:
            kafka.close()
    table = render(cells)
    print(table)
    assert len(cells) == 30, table
    assert {c.channel for c in cells} == {"HTTP", "Kafka"}
    assert all(c.ok for c in cells), table
