"""Processor: a timer-triggered incremental sync from MySQL into the SQLite analytics store (issue 3)."""

from __future__ import annotations

import azure.functions as func

bp = func.Blueprint()
