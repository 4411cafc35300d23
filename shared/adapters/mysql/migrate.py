"""Bring a database to the newest schema; safe to call from several processes at once. Tell whether it is there."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
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


@dataclass(frozen=True)
class SchemaState:
    """The revisions the database records beside the heads of this code's migration scripts."""

    current: frozenset[str]
    heads: frozenset[str]

    @property
    def at_head(self) -> bool:
        return self.current == self.heads


@cache
def _heads() -> frozenset[str]:
    return frozenset(ScriptDirectory(str(_SCRIPTS)).get_heads())  # the scripts never change in a running process


def schema_state(engine: Engine) -> SchemaState:
    """Where the database's schema stands: a read of `alembic_version`, no lock, nothing written."""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    return SchemaState(frozenset(current), _heads())
