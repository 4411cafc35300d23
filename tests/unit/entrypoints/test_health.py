"""Health: the database counts as up only with its schema at every migration head; causes go to the log only."""

import logging

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.pool import StaticPool

from shared.adapters.mysql.migrate import migrate, schema_state
from shared.bootstrap import Root
from tests.unit.fakes import FakePublisher

DRIVER_ERROR = (
    "(pymysql.err.OperationalError) (1045, \"Access denied for user 'budgetadmin'@'10.1.2.3' (using password: YES)\")"
)


class UnreachableEngine:
    """An engine whose every connection fails as Azure's MySQL does, naming a user and an address."""

    def connect(self):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception(DRIVER_ERROR))


def memory_engine() -> sa.Engine:
    """One in-memory database shared by every thread (health probes run on the thread pool)."""
    return sa.create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})


def health(settings, engine) -> tuple[int, dict]:
    from functions.app import build

    root = Root(settings.model_copy(update={"services": "processor"}), engine=engine, publisher=FakePublisher())
    with TestClient(build(root)[0]) as client:
        response = client.get("/api/health")
    return response.status_code, response.json()


def test_an_empty_database_is_unavailable_and_says_so_only_in_the_log(settings, caplog):
    with caplog.at_level(logging.WARNING, logger="budget.health"):
        status, body = health(settings, memory_engine())
    assert (status, body["checks"]) == (503, {"database": "unavailable"})
    assert "revision" not in str(body) and "migration" not in str(body)
    assert "schema at no revision" in caplog.text and "run the migrations" in caplog.text


def test_a_database_behind_a_head_is_unavailable(settings):
    engine = memory_engine()
    migrate(engine)
    with engine.begin() as conn:
        newest = conn.exec_driver_sql("SELECT MAX(version_num) FROM alembic_version").scalar()
        conn.exec_driver_sql("DELETE FROM alembic_version WHERE version_num = ?", (newest,))
    assert not schema_state(engine).at_head
    assert health(settings, engine)[0] == 503


def test_a_migrated_database_is_ok(settings):
    engine = memory_engine()
    migrate(engine)
    assert schema_state(engine).at_head
    assert health(settings, engine) == (200, {"status": "ok", "checks": {"database": "ok"}})


def test_a_driver_error_never_reaches_the_anonymous_caller(settings, caplog):
    with caplog.at_level(logging.WARNING, logger="budget.health"):
        status, body = health(settings, UnreachableEngine())
    assert (status, body["checks"]) == (503, {"database": "unavailable"})
    assert not any(leak in str(body) for leak in ("budgetadmin", "10.1.2.3", "1045", "pymysql"))
    assert "budgetadmin" in caplog.text


@pytest.mark.parametrize("current", [set(), {"0001"}, {"9999"}])
def test_schema_state_is_at_head_only_with_exactly_the_heads(current):
    from shared.adapters.mysql.migrate import SchemaState

    heads = frozenset({"0002", "0100"})
    assert not SchemaState(frozenset(current), heads).at_head
    assert SchemaState(heads, heads).at_head
