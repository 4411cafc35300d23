"""`budget process`: the processor's sync on demand, incremental or a full rebuild (issue 3)."""

from __future__ import annotations

import logging
import os

import typer


def register(app: typer.Typer) -> None:
    app.command("process")(process)


def process(
    rebuild: bool = typer.Option(False, "--rebuild", help="Recompute the whole store from MySQL."),
    publish: bool = typer.Option(
        False, "--publish", help="Publish a snapshot to AnalyticsSnapshotDir now, however recent the last one."
    ),
) -> None:
    """Bring the analytics store (AnalyticsStorePath) up to date with MySQL (DATABASE_URL).

    With AnalyticsSnapshotDir set, a snapshot is then published for the analyzer when one is due.
    """
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from shared import bootstrap

    settings = bootstrap.settings()
    if publish and not settings.analytics_snapshot_dir:
        raise typer.BadParameter("--publish needs AnalyticsSnapshotDir: the directory snapshots are published to")
    engine = bootstrap.store().engine
    path = settings.analytics_store_path
    if rebuild:
        typer.echo(_rebuild(engine, path).describe())
        _publish(settings, force=publish)
        return
    from shared.adapters.analytics.sync import sync

    result = sync(engine=engine, path=path)
    typer.echo(f"{path}: {result.describe()}")
    if result.skipped:
        raise typer.Exit(75)  # EX_TEMPFAIL: try again when the other run is done
    _publish(settings, force=publish)


def _publish(settings, *, force: bool) -> None:
    if not settings.analytics_snapshot_dir:
        return
    from shared.adapters.analytics.publish import publish_if_due, publish_snapshot

    store, directory = settings.analytics_store_path, settings.analytics_snapshot_dir
    if force:
        published = publish_snapshot(store, directory)
    else:
        published = publish_if_due(store, directory, min_interval_s=settings.analytics_snapshot_min_interval_s)
    typer.echo(
        f"published {published}"
        if published
        else f"{directory}: no snapshot due (CURRENT is up to date, or newer than AnalyticsSnapshotMinIntervalS)"
    )


def _rebuild(engine, path):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from shared.adapters.analytics.rebuild import rebuild

    with Progress(
        TextColumn("rebuilding {task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
    ) as bar:
        task = bar.add_task(str(path), total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, done))

        return rebuild(engine=engine, path=path, progress=advance)
