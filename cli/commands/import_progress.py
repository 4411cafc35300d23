"""What `budget import` shows: three progress bars (rows parsed, accepted by the broker, stored) and a summary."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


class Tracker:
    """The progress bars, on stderr; their totals are the file's rows once it is parsed."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=False,
        )  # fmt: skip
        self._tasks = {name: self._progress.add_task(name, total=None) for name in ("parsed", "accepted", "stored")}
        self._stopped = False

    def __enter__(self) -> Tracker:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._progress.stop()

    def parsed(self, rows: int) -> None:
        for task in self._tasks.values():
            self._progress.update(task, total=rows)
        self._progress.update(self._tasks["parsed"], completed=rows)

    def accepted(self, rows: int) -> None:
        self._progress.advance(self._tasks["accepted"], rows)

    def stored(self, rows: int) -> None:
        self._progress.update(self._tasks["stored"], completed=rows)


def summary(outcomes: list[dict]) -> Table:
    """Rows new, already there, linked to hand-entered transactions, and rejected, over every part of the file."""
    table = Table(title="Import", show_header=True)
    table.add_column("rows")
    table.add_column("count", justify="right")
    for label, key in (("new", "new"), ("duplicates", "duplicates"), ("matched", "matched"), ("rejected", "rejected")):
        table.add_row(label, f"{sum(o[key] for o in outcomes):,}")
    return table
