"""Bring a database to the newest schema; safe to call from several processes at once."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from shared.adapters.mysql.engine import is_mysql

_SCRIPTS = Path(__file__).with_name("migrations")


def _config(connection: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine) -> None:
    """Upgrade to head. On MySQL a named lock keeps concurrent starters from racing each other."""
    with engine.connect() as conn:
        if is_mysql(engine):
            got = conn.exec_driver_sql("SELECT GET_LOCK('budget_migrations', 60)").scalar()
            if got != 1:
                raise RuntimeError("could not take the migration lock within 60 s")
        try:
            command.upgrade(_config(conn), "heads")  # feature branches of the schema merge at "heads"
            conn.commit()
        finally:
            if is_mysql(engine):
                conn.exec_driver_sql("SELECT RELEASE_LOCK('budget_migrations')")
