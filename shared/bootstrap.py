"""The composition root: every connection is built here, lazily, once per process."""

from __future__ import annotations

from functools import lru_cache

from shared.adapters.auth.tokens import TokenVerifier
from shared.adapters.kafka.config import producer_config
from shared.adapters.kafka.publisher import Publisher
from shared.adapters.mysql.engine import build_engine
from shared.adapters.mysql.store import Store
from shared.settings import Settings, get_settings


def settings() -> Settings:
    return get_settings()


@lru_cache(maxsize=1)
def store() -> Store:
    return Store(build_engine(get_settings()))


@lru_cache(maxsize=1)
def publisher() -> Publisher:
    return Publisher(producer_config(get_settings(), role="producer"))


@lru_cache(maxsize=1)
def verifier() -> TokenVerifier:
    s = get_settings()
    return TokenVerifier(
        issuer=s.auth_issuer, audience=s.auth_audience, jwks_url=s.auth_jwks_url, admin_role=s.auth_admin_role
    )


def reset() -> None:
    """Forget every connection (tests that change settings, or a runner shutting down)."""
    if publisher.cache_info().currsize:
        publisher().close()
    if store.cache_info().currsize:
        store().engine.dispose()
    for cached in (store, publisher, verifier, get_settings):
        cached.cache_clear()
