"""Session fixtures: one real broker, one fresh MariaDB database, the app served in-process."""

from __future__ import annotations

import uuid

import pytest

from shared.adapters.kafka.admin import ensure_topics
from shared.adapters.mysql.engine import build_engine
from shared.adapters.mysql.migrate import migrate
from shared.bootstrap import Root
from tests.support.stack import AppServer, Infra


@pytest.fixture(scope="session")
def infra(tmp_path_factory):
    infra = Infra.start(tmp_path_factory.mktemp("stack"))
    settings = infra.settings()
    engine = build_engine(settings)
    migrate(engine)
    engine.dispose()
    ensure_topics(settings)
    yield infra
    infra.stop()


@pytest.fixture(scope="session")
def root(infra):
    """The session's composition root, built from the session's settings (no environment involved)."""
    root = Root(infra.settings())
    yield root
    root.close()


@pytest.fixture
def infra_env(infra, monkeypatch):
    """The session's settings as environment variables: for the CLI and child processes, which read them so."""
    for key, value in infra.env.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


@pytest.fixture(scope="session")
def app_server(root):
    server = AppServer(root).start()
    yield server
    server.stop()


@pytest.fixture
def user() -> str:
    """A fresh user per test: tests never read each other's rows."""
    return f"user-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def client(app_server, infra, user):
    with app_server.client(infra.issuer.token(user)) as c:
        yield c


@pytest.fixture(scope="module")
def alerts_consumer(infra, app_server):
    """The budget-alerts trigger consuming the change feed, for a module that checks alerts or their totals."""
    server = AppServer(Root(infra.settings()), kafka_functions=("budget_alerts",)).start()
    yield server
    server.stop()
    server.root.close()


@pytest.fixture(scope="session")
def db(infra):
    engine = infra.direct_engine()
    yield engine
    engine.dispose()
