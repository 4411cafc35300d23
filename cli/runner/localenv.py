"""Embedded defaults for `budget run` when nothing is configured: a local broker, an SQLite file, the dev issuer."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from local_kafka.tansu import TansuBroker, port_open
from shared.adapters.auth.devissuer import DEV_AUDIENCE, DEV_ISSUER, DevIssuer

log = logging.getLogger("budget.runner")


def home() -> Path:
    """Where local state lives (SQLite files, the dev signing key, logs): $BUDGET_HOME or ./.budget."""
    return Path(os.environ.get("BUDGET_HOME", ".budget")).resolve()


def dev_issuer() -> DevIssuer:
    return DevIssuer(home() / "dev-issuer")


def broker_file() -> Path:
    """Where a running `budget run` notes its embedded broker, for the other commands to find."""
    return home() / "broker"


def apply_embedded_defaults() -> TansuBroker | None:
    """Fill in what is unset; return the broker we started, if we started one."""
    base = home()
    base.mkdir(parents=True, exist_ok=True)
    broker = None
    if not os.environ.get("KafkaBrokerList"):
        broker = TansuBroker(port=None if port_open(9092) else 9092, log_path=base / "tansu.log").start()
        os.environ["KafkaBrokerList"] = broker.bootstrap
        broker_file().write_text(broker.bootstrap)
    _local_defaults(base)
    return broker


def apply_client_defaults() -> None:
    """For commands other than `run` (process, query, migrate...): talk to the local stack by default."""
    base = home()
    if not os.environ.get("KafkaBrokerList") and broker_file().exists():
        os.environ["KafkaBrokerList"] = broker_file().read_text().strip()
    os.environ.setdefault("KafkaBrokerList", "127.0.0.1:9092")
    _local_defaults(base)


def _local_defaults(base: Path) -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{base / 'budget.db'}")
    os.environ.setdefault("AnalyticsStorePath", str(base / "analytics.db"))
    if os.environ.get("AuthIssuer") == DEV_ISSUER:
        dev_issuer().ensure()  # configured explicitly (docker compose): the key must exist all the same
    elif not os.environ.get("AuthIssuer"):
        issuer = dev_issuer().ensure()
        os.environ["AuthIssuer"] = DEV_ISSUER
        os.environ["AuthAudience"] = DEV_AUDIENCE
        os.environ["AuthJwksUrl"] = issuer.jwks_url
