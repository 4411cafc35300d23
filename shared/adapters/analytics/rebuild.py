"""Recompute the whole analytics store from MySQL at once: `budget process --rebuild`.

It is the full load (load.py) begun afresh and run to the end in this call, waiting for a running sync to finish
first; the finished file replaces the store in one step (writer.swap_in), so readers see the old store or the new one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from shared.adapters.analytics.load import Progress, load

log = logging.getLogger("budget.processor")
__all__ = ["Progress", "RebuildResult", "rebuild"]


@dataclass(frozen=True)
class RebuildResult:
    rows_read: int  # MySQL rows read, deleted ones included
    transactions: int  # live transactions now in the store
    watermark: int
    duration_s: float
    skipped: bool = False

    @property
    def rows_applied(self) -> int:
        return self.rows_read

    def describe(self) -> str:
        return (
            f"rebuilt from {self.rows_read} rows: {self.transactions} transactions, "
            f"watermark {self.watermark}, {self.duration_s:.3f}s"
        )


def rebuild(
    *, engine: Engine, path: str | Path, progress: Progress | None = None, reason: str = "asked for"
) -> RebuildResult:
    """Waits for a running sync to finish, then holds the writer lock throughout; `reason` is recorded."""
    started = time.monotonic()
    loaded = load(engine=engine, path=path, budget_s=None, reason=reason, restart=True, wait=True, progress=progress)
    result = RebuildResult(loaded.rows_read, loaded.transactions, loaded.watermark, time.monotonic() - started)
    log.info("rebuild %s", result.describe())
    return result
