"""Embedded defaults when nothing is configured: a local broker, an SQLite file, the development issuer."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from local_kafka.tansu import TansuBroker, port_open
from shared.adapters.auth.devissuer import DEV_AUDIENCE, DEV_ISSUER, DevIssuer
from shared.settings import Settings

log = logging.getLogger("budget.runner")


def home() -> Path:
    """Where local state lives (SQLite files, the dev signing key, logs): $BUDGET_HOME or ./.budget."""
    return Path(os.environ.get("BUDGET_HOME", ".budget")).resolve()


def dev_issuer() -> DevIssuer:
    return DevIssuer(home() / "dev-issuer")


def broker_file() -> Path:
    """Where a running `budget run` notes its embedded broker, for the other commands to find."""
    return home() / "broker"


def start_embedded_broker() -> TansuBroker | None:
    """A Tansu broker when no KafkaBrokerList is configured (9092 when free); None when one is configured."""
    if os.environ.get("KafkaBrokerList"):
        return None
    home().mkdir(parents=True, exist_ok=True)
    broker = TansuBroker(port=None if port_open(9092) else 9092, log_path=home() / "tansu.log").start()
    broker_file().write_text(broker.bootstrap)
    return broker


def local_defaults(*, broker: str | None = None) -> dict[str, str]:
    """App settings for the local stack, for every one the environment leaves unset.

    The broker is the one given, else the one a running `budget run` noted, else 127.0.0.1:9092.
    """
    base = home()
    base.mkdir(parents=True, exist_ok=True)
    noted = broker_file().read_text().strip() if broker_file().exists() else None
    defaults = {
        "KafkaBrokerList": broker or noted or "127.0.0.1:9092",
        "DATABASE_URL": f"sqlite:///{base / 'budget.db'}",
        "AnalyticsStorePath": str(base / "analytics.db"),
    }
    issuer = os.environ.get("AuthIssuer")
    if issuer in (None, "", DEV_ISSUER):
        # The development issuer: its key must exist, whether it was chosen here or configured (compose).
        defaults.update(AuthIssuer=DEV_ISSUER, AuthAudience=DEV_AUDIENCE, AuthJwksUrl=dev_issuer().ensure().jwks_url)
    return {k: v for k, v in defaults.items() if not os.environ.get(k)}


def local_settings() -> Settings:
    """Settings for a command talking to the local stack: the environment, then the embedded defaults."""
    return Settings(**local_defaults())  # type: ignore[arg-type]  # given by alias; the rest from the env
