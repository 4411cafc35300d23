"""Processor: a timer that syncs MySQL into the SQLite analytics store and publishes snapshots for readers."""

from __future__ import annotations

import logging

import azure.functions as func

from shared.adapters.mysql.source import source_head
from shared.adapters.telemetry.metrics import sync_completed
from shared.adapters.telemetry.spans import timer_run
from shared.bootstrap import Root

log = logging.getLogger("budget.processor")


def triggers(root: Root) -> func.Blueprint:
    bp = func.Blueprint()

    @bp.function_name("sync_analytics")
    @bp.timer_trigger(arg_name="timer", schedule="%SyncSchedule%", use_monitor=True)
    def sync_analytics(timer: func.TimerRequest) -> None:
        """A failure raises: the host logs it and the next tick redoes the run (and the publication) from there.

        On a new instance the runs carry a full load on instead, in steps within AnalyticsLoadBudgetS, until it is
        in place; telemetry reads those runs as syncs that did not happen (`skipped`) until the load is done.
        """
        if timer.past_due:
            log.warning("sync is past due: a scheduled run was missed; this run catches up")
        with timer_run("sync_analytics", past_due=timer.past_due):
            sync_completed(root.processor.run(), head=source_head(root.engine))

    return bp
