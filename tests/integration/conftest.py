"""Session fixtures: one real broker, one fresh MariaDB database, the app served in-process."""

from __future__ import annotations

import uuid

import pytest

from tests.support.stack import AppServer, Infra


@pytest.fixture(scope="session")
def infra(tmp_path_factory):
    from shared import bootstrap
    from shared.adapters.kafka.admin import ensure_topics
    from shared.adapters.mysql.engine import build_engine
    from shared.adapters.mysql.migrate import migrate
    from shared.settings import get_settings

    infra = Infra.start(tmp_path_factory.mktemp("stack"))
    patch = pytest.MonkeyPatch()
    for key, value in infra.env.items():
        patch.setenv(key, value)
    bootstrap.reset()
    settings = get_settings()
    engine = build_engine(settings)
    migrate(engine)
    engine.dispose()
    ensure_topics(settings)
    yield infra
    bootstrap.reset()
    patch.undo()
    infra.stop()


@pytest.fixture(scope="session")
def app_server(infra):
    server = AppServer().start()
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


@pytest.fixture(scope="session")
def db(infra):
    engine = infra.direct_engine()
    yield engine
    engine.dispose()
