"""Processor: a timer-triggered incremental sync from MySQL into the SQLite analytics store (issue 3)."""

from __future__ import annotations

import logging

import azure.functions as func

from shared import bootstrap
from shared.analytics.sync import sync

bp = func.Blueprint()
log = logging.getLogger("budget.processor")


@bp.function_name("sync_analytics")
@bp.timer_trigger(arg_name="timer", schedule="%SyncSchedule%", use_monitor=True)
def sync_analytics(timer: func.TimerRequest) -> None:
    """A failure raises: the host logs it and the next tick redoes the run from the same watermark."""
    if timer.past_due:
        log.warning("sync is past due: a scheduled run was missed; this run catches up")
    sync(engine=bootstrap.store().engine, path=bootstrap.settings().analytics_store_path)
