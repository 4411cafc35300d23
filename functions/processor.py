"""Processor: a timer that syncs MySQL into the SQLite analytics store and publishes snapshots for readers."""

from __future__ import annotations

import logging

import azure.functions as func

from shared.bootstrap import Root

log = logging.getLogger("budget.processor")


def triggers(root: Root) -> func.Blueprint:
    bp = func.Blueprint()

    @bp.function_name("sync_analytics")
    @bp.timer_trigger(arg_name="timer", schedule="%SyncSchedule%", use_monitor=True)
    def sync_analytics(timer: func.TimerRequest) -> None:
        """A failure raises: the host logs it and the next tick redoes the run (and the publication) from there."""
        if timer.past_due:
            log.warning("sync is past due: a scheduled run was missed; this run catches up")
        root.processor.run()

    return bp
