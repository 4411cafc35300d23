"""The composition root: builds every adapter and service from one Settings, lazily, once.

Entry points take what they need from a Root: the FastAPI app through its dependencies, the triggers from the
root they were built with. Nothing connects until first used, so the Functions host can index the app without
reaching a broker or a database. Tests build a Root with their own Settings and hand it fakes:
`Root(settings, publisher=FakePublisher())`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from shared.adapters.auth.devissuer import DEV_ISSUER
from shared.adapters.auth.tokens import TokenVerifier
from shared.adapters.kafka.config import producer_config
from shared.adapters.kafka.publisher import Publisher
from shared.adapters.mysql.alert_state import AlertState
from shared.adapters.mysql.engine import build_engine
from shared.adapters.mysql.reads import Reads
from shared.adapters.mysql.source import source_head
from shared.adapters.mysql.store import Store
from shared.adapters.mysql.webhooks import SqlWebhookStore
from shared.adapters.webhooks.guard import AddressGuard
from shared.adapters.webhooks.sender import HttpSender
from shared.services.alerts import Alerts
from shared.services.analyzer import Analyzer
from shared.services.processor import Processor
from shared.services.receiver import Receiver
from shared.services.storage import Storage
from shared.services.webhooks import Webhooks
from shared.settings import Settings

T = TypeVar("T")


class _Once:
    """A property built on first use, once, even when two threads ask at the same moment."""

    def __init__(self, build: Callable[[Any], Any]) -> None:
        self.build = build
        self.name = build.__name__

    def __get__(self, root: Root | None, owner: type) -> Any:
        if root is None:
            return self
        try:
            return root.__dict__[self.name]
        except KeyError:
            pass
        with root._lock:
            if self.name not in root.__dict__:
                root.__dict__[self.name] = self.build(root)
        return root.__dict__[self.name]


def once(build: Callable[[Any], T]) -> T:
    return _Once(build)  # type: ignore[return-value]


class Root:
    def __init__(self, settings: Settings | None = None, **given: Any) -> None:
        """`given` replaces a part by name (publisher, engine, store, verifier, ...): fakes in tests."""
        self._lock = threading.RLock()
        unknown = sorted(set(given) - {n for n, v in vars(Root).items() if isinstance(v, _Once)})
        if unknown:
            raise TypeError(f"Root has no part named {', '.join(unknown)}")
        if settings is not None:
            self.__dict__["settings"] = settings
        self.__dict__.update(given)

    # -- adapters -------------------------------------------------------------------------------

    @once
    def settings(self) -> Settings:
        return Settings()  # type: ignore[call-arg]  # required fields come from the environment

    @once
    def publisher(self) -> Publisher:
        return Publisher(producer_config(self.settings, role="producer"))

    @once
    def engine(self) -> Engine:
        return build_engine(self.settings)

    @once
    def store(self) -> Store:
        return Store(self.engine)

    @once
    def reads(self) -> Reads:
        return Reads(self.engine)

    @once
    def verifier(self) -> TokenVerifier:
        s = self.settings
        return TokenVerifier(
            issuer=s.auth_issuer,
            audience=s.auth_audience,
            jwks_url=s.auth_jwks_url,
            admin_role=s.auth_admin_role,
            cache_size=s.auth_token_cache_size,
        )

    @once
    def alert_state(self) -> AlertState:
        return AlertState(self.engine)

    # -- services -------------------------------------------------------------------------------

    @once
    def receiver(self) -> Receiver:
        s = self.settings
        return Receiver(
            publisher=self.publisher,
            topic=s.transactions_topic,
            operations_base_url=s.dashboard_api_urls.get("storage", ""),
        )

    @once
    def storage(self) -> Storage:
        s = self.settings
        return Storage(
            store=self.store,
            reads=self.reads,
            publisher=self.publisher,
            dead_letter_topic=s.dead_letter_topic,
            changes_topic=s.changes_topic,
            retention_days=s.processed_events_retention_days,
        )

    @once
    def processor(self) -> Processor:
        s = self.settings
        return Processor(
            engine=self.engine,
            store_path=s.analytics_store_path,
            snapshot_dir=s.analytics_snapshot_dir,
            min_interval_s=s.analytics_snapshot_min_interval_s,
            load_budget_s=s.analytics_load_budget_s,
        )

    @once
    def analyzer(self) -> Analyzer:
        s = self.settings
        return Analyzer(
            store_path=s.analytics_read_path,
            # MySQL's position, for the admin `lag` report: the engine is only built when that report runs.
            source_head=lambda watermark: source_head(self.engine)(watermark),
            verifier=self.verifier,
            publisher=self.publisher,
            results_topic=s.results_topic,
            topics=self.publisher,
        )

    @once
    def alerts(self) -> Alerts:
        return Alerts(state=self.alert_state, publisher=self.publisher, topic=self.settings.alerts_topic)

    @once
    def webhooks(self) -> Webhooks:
        # Loopback http only while the development issuer is on; in Azure, https to public addresses only.
        guard = AddressGuard(allow_loopback=self.settings.auth_issuer == DEV_ISSUER)
        return Webhooks(store=SqlWebhookStore(self.engine), sender=HttpSender(guard=guard), guard=guard)

    def close(self) -> None:
        """Deliver what is queued and close connections (a runner shutting down, a test session ending)."""
        built = self.__dict__
        if "publisher" in built and hasattr(built["publisher"], "close"):
            built["publisher"].close()
        if "engine" in built and hasattr(built["engine"], "dispose"):
            built["engine"].dispose()
