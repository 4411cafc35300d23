"""Health against the real MariaDB: a database nobody migrated is unavailable, so a smoke test after a deploy
fails instead of passing while storage retries forever on missing tables."""

from __future__ import annotations

import uuid

import pytest

from shared.adapters.mysql.migrate import migrate, schema_state
from shared.bootstrap import Root
from tests.support.stack import AppServer, create_database, drop_database


@pytest.fixture
def empty_database(infra):
    name = f"h11_health_{uuid.uuid4().hex[:10]}"
    create_database(name)
    yield f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    drop_database(name)


def test_health_is_503_until_the_schema_is_at_head(infra, empty_database):
    root = Root(infra.settings(database_url=empty_database))
    server = AppServer(root, kafka_functions=()).start()
    try:
        with server.client() as anon:
            before = anon.get("/api/health")
            assert before.status_code == 503, before.text
            assert before.headers["content-type"] == "application/problem+json"
            assert before.json()["checks"] == {"broker": "ok", "database": "unavailable"}
            assert "root" not in before.text and "127.0.0.1" not in before.text and "h11_health" not in before.text

            migrate(root.engine)
            assert schema_state(root.engine).at_head
            after = anon.get("/api/health")
            assert after.status_code == 200, after.text
            assert after.json() == {"status": "ok", "checks": {"broker": "ok", "database": "ok"}}
    finally:
        server.stop()
        root.close()
