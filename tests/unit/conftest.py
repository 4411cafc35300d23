"""Unit-test fixtures: settings that name nothing reachable, and a composition root with fakes. No I/O."""

from __future__ import annotations

import pytest

from shared.adapters.auth.devissuer import DEV_AUDIENCE, DEV_ISSUER, DevIssuer
from shared.bootstrap import Root
from shared.settings import Settings
from tests.unit.fakes import FakePublisher, FakeStore


@pytest.fixture(scope="session")
def issuer(tmp_path_factory) -> DevIssuer:
    """A development issuer whose JWKS is a local file: tokens verify without a network."""
    return DevIssuer(tmp_path_factory.mktemp("issuer")).ensure()


@pytest.fixture(scope="session")
def settings(issuer, tmp_path_factory) -> Settings:
    state = tmp_path_factory.mktemp("state")
    return Settings(
        KafkaBrokerList="127.0.0.1:1",  # nothing listens there: a unit test that reaches it fails loudly
        DATABASE_URL=f"sqlite:///{state / 'budget.db'}",
        AuthIssuer=DEV_ISSUER,
        AuthAudience=DEV_AUDIENCE,
        AuthJwksUrl=issuer.jwks_url,
        AnalyticsStorePath=str(state / "analytics.db"),
    )


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def root(settings, publisher, store) -> Root:
    """The app's composition root with the broker and the database replaced by fakes."""
    return Root(settings, publisher=publisher, store=store, reads=store)


@pytest.fixture
def function_app(root):
    """The Function App as the host would index it, built on the fakes' root."""
    from functions.app import build

    return build(root)[1]


@pytest.fixture
def api(root):
    """The FastAPI app the Function App wraps, built on the fakes' root."""
    from functions.app import build

    return build(root)[0]
