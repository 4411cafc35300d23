"""`budget process`: the processor's sync on demand, incremental or a full rebuild."""

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
    from cli.runner.localenv import local_settings
    from shared.bootstrap import Root

    root = Root(local_settings())
    try:
        processor = root.processor
        if publish and not processor.snapshot_dir:
            raise typer.BadParameter("--publish needs AnalyticsSnapshotDir: the directory snapshots are published to")
        if rebuild:
            typer.echo(_rebuild(processor).describe())
        else:
            from shared.adapters.analytics.sync import sync

            result = sync(engine=root.engine, path=processor.store_path)
            typer.echo(f"{processor.store_path}: {result.describe()}")
            if result.skipped:
                raise typer.Exit(75)  # EX_TEMPFAIL: try again when the other run is done
        if processor.snapshot_dir:
            published = processor.publish(force=publish)
            typer.echo(
                f"published {published}"
                if published
                else f"{processor.snapshot_dir}: no snapshot due (CURRENT is up to date, or newer than "
                "AnalyticsSnapshotMinIntervalS)"
            )
    finally:
        root.close()


def _rebuild(processor):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("rebuilding {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ) as bar:
        task = bar.add_task(str(processor.store_path), total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, done))

        return processor.rebuild(progress=advance)
