"""Analyzer: answers queries over Kafka (request/reply) and HTTP from the analytics store (issue 4)."""

from __future__ import annotations

import azure.functions as func

bp = func.Blueprint()
