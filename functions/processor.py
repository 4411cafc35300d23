"""Processor: a timer-triggered incremental sync from MySQL into the SQLite analytics store (issue 3)."""

from __future__ import annotations

import logging

import azure.functions as func

from shared import bootstrap
from shared.adapters.analytics.publish import publish_if_due
from shared.adapters.analytics.sync import sync

bp = func.Blueprint()
log = logging.getLogger("budget.processor")


@bp.function_name("sync_analytics")
@bp.timer_trigger(arg_name="timer", schedule="%SyncSchedule%", use_monitor=True)
def sync_analytics(timer: func.TimerRequest) -> None:
    """A failure raises: the host logs it and the next tick redoes the run (and the publication) from there."""
    if timer.past_due:
        log.warning("sync is past due: a scheduled run was missed; this run catches up")
    s = bootstrap.settings()
    result = sync(engine=bootstrap.store().engine, path=s.analytics_store_path)
    if s.analytics_snapshot_dir and not result.skipped:
        # After the run's commit, never inside it; a failed publish is retried by the next tick.
        publish_if_due(
            s.analytics_store_path, s.analytics_snapshot_dir, min_interval_s=s.analytics_snapshot_min_interval_s
        )
