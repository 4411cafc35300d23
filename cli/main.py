"""`budget`: run the stack, mint development tokens, migrate, check local dependencies."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="The budgeting service's command line.")
serve = typer.Typer(help="Run one part of the stack (used by `budget run`).")
app.add_typer(serve, name="serve")


def _logging() -> None:
    """JSON lines with trace ids; LOG_FORMAT=text (the default on a terminal, as in `make run`) for people."""
    from shared.adapters.telemetry.logs import configure_logging

    fmt = os.environ.get("LOG_FORMAT") or ("text" if sys.stderr.isatty() else "json")
    if fmt not in ("json", "text"):
        raise typer.BadParameter(f"LOG_FORMAT must be json or text, not {fmt!r}")
    configure_logging(level=os.environ.get("LOG_LEVEL", "INFO"), fmt=fmt)
    logging.getLogger("alembic").setLevel(logging.WARNING)


@app.command()
def run(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(7071, help="HTTP port (the Functions host's default)."),
    http_workers: int = typer.Option(1, help="HTTP worker processes."),
) -> None:
    """Run all four services; with nothing configured, an embedded broker and an SQLite file."""
    _logging()
    from cli.runner.stack import run_stack

    raise typer.Exit(run_stack(host=host, port=port, http_workers=http_workers))


@serve.command("http")
def serve_http(host: str = "127.0.0.1", port: int = 7071, workers: int = 1) -> None:
    """The HTTP functions behind uvicorn."""
    _logging()
    from cli.runner.stack import serve_http as _serve

    _serve(host=host, port=port, workers=workers)


@serve.command("triggers")
def serve_triggers() -> None:
    """The Kafka and timer functions."""
    _logging()
    from cli.runner.stack import serve_triggers as _serve

    _serve()


@app.command()
def token(
    user: str = typer.Option(..., help="The user id the token names (its oid and sub)."),
    admin: bool = typer.Option(False, help="Add the Budget.Admin app role."),
    ttl: int = typer.Option(3600, help="Seconds until it expires."),
) -> None:
    """Print a bearer token from the local development issuer."""
    from cli.runner.localenv import dev_issuer

    typer.echo(dev_issuer().token(user, admin=admin, ttl_s=ttl))


@app.command()
def migrate() -> None:
    """Bring the database named by DATABASE_URL to the newest schema."""
    _logging()
    from cli.runner.localenv import local_settings
    from shared.adapters.mysql.engine import build_engine, describe
    from shared.adapters.mysql.migrate import migrate as _migrate

    engine = build_engine(local_settings())
    _migrate(engine)
    typer.echo(f"schema at head: {describe(engine)}")


@app.command("dev-deps")
def dev_deps() -> None:
    """Make sure MariaDB answers on 127.0.0.1:3306 and the Tansu broker binary is installed."""
    from local_kafka.tansu import binary, port_open

    typer.echo(f"broker binary: {binary()}")
    if not port_open(3306):
        daemon = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        typer.echo("MariaDB is down; starting it")
        subprocess.run(["start-stop-daemon", "--start", "--oknodo", "--background", "--exec", daemon], check=True)
        deadline = time.monotonic() + 60
        while not port_open(3306):
            if time.monotonic() > deadline:
                typer.echo("MariaDB did not start within 60 s", err=True)
                raise typer.Exit(1)
            time.sleep(0.5)
    typer.echo("MariaDB: up on 127.0.0.1:3306")


def main() -> None:
    from cli.commands import accounts, imports, process, query, rates, write

    process.register(app)
    query.register(app)
    write.register(app)
    accounts.register(app)
    rates.register(app)
    imports.register(app)
    app()


if __name__ == "__main__":
    sys.exit(main())
