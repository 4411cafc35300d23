"""`budget process`: the processor's sync on demand, incremental or a full rebuild (issue 3)."""

from __future__ import annotations

import logging
import os

import typer


def register(app: typer.Typer) -> None:
    app.command("process")(process)


def process(
    rebuild: bool = typer.Option(False, "--rebuild", help="Recompute the whole store from MySQL."),
) -> None:
    """Bring the analytics store (AnalyticsStorePath) up to date with MySQL (DATABASE_URL)."""
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from shared import bootstrap

    engine = bootstrap.store().engine
    path = bootstrap.settings().analytics_store_path
    if rebuild:
        typer.echo(_rebuild(engine, path).describe())
        return
    from shared.analytics.sync import sync

    result = sync(engine=engine, path=path)
    typer.echo(f"{path}: {result.describe()}")
    if result.skipped:
        raise typer.Exit(75)  # EX_TEMPFAIL: try again when the other run is done


def _rebuild(engine, path):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from shared.analytics.rebuild import rebuild

    with Progress(
        TextColumn("rebuilding {task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
    ) as bar:
        task = bar.add_task(str(path), total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, done))

        return rebuild(engine=engine, path=path, progress=advance)
