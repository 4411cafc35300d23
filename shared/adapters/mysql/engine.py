"""Engines, built once per process: MySQL with TLS and optional Entra ID sign-in, or an SQLite file."""

from __future__ import annotations

import ssl
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.settings import Settings

_ENTRA_MYSQL_SCOPE = "https://ossrdbms-aad.database.windows.net/.default"


def build_engine(settings: Settings) -> Engine:
    url = sa.make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return _mysql_engine(url, settings)


def _mysql_engine(url: sa.URL, settings: Settings) -> Engine:
    connect_args: dict = {"charset": "utf8mb4", "connect_timeout": 5, "read_timeout": 30, "write_timeout": 30}
    if settings.database_ssl_ca:
        context = ssl.create_default_context(cafile=settings.database_ssl_ca)
        connect_args["ssl"] = context
    engine = sa.create_engine(
        url,
        connect_args=connect_args,
        pool_pre_ping=True,
        pool_recycle=1_800,
        pool_size=5,
        max_overflow=5,
        isolation_level="READ COMMITTED",
    )
    if settings.database_auth_mode == "entra":
        _sign_in_with_entra(engine, settings)
    return engine


def _sign_in_with_entra(engine: Engine, settings: Settings) -> None:
    """Tokens last minutes: fetch a fresh one as the password of every new connection."""
    from azure.identity import DefaultAzureCredential

    credential = DefaultAzureCredential(managed_identity_client_id=settings.azure_client_id)

    @sa.event.listens_for(engine, "do_connect")
    def _token_password(dialect, conn_rec, cargs, cparams):  # noqa: ARG001
        cparams["password"] = credential.get_token(_ENTRA_MYSQL_SCOPE).token


def _sqlite_engine(url: sa.URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _rec):
        dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        # Take the write lock up front: no deadlock upgrading a read lock, like MySQL's row locks.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def is_mysql(engine: Engine) -> bool:
    return engine.dialect.name in ("mysql", "mariadb")


def describe(engine: Engine) -> str:
    """The URL without its password, for logs."""
    return engine.url.render_as_string(hide_password=True)
