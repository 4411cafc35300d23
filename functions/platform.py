"""Routes every service app carries: health (anonymous) and the API document."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from fastapi import APIRouter

from functions.deps import RootDep
from functions.errors import JsonResponse
from shared.adapters.mysql.migrate import schema_state
from shared.bootstrap import Root
from shared.problems import Problem

router = APIRouter(prefix="/api", tags=["platform"])
log = logging.getLogger("budget.health")


async def _probe(name: str, check: Callable[[], None], checks: dict[str, str]) -> None:
    try:
        await asyncio.wait_for(asyncio.to_thread(check), 5)
        checks[name] = "ok"
    except Exception as exc:  # noqa: BLE001 - a health check reports, it never raises
        # The cause goes to the log: an anonymous caller learns what is down, never addresses or users.
        log.warning("health: %s unavailable: %s", name, exc)
        checks[name] = "unavailable"


def _database(root: Root) -> None:
    """The database answers and its schema is at every head of this code's migrations (else storage would retry
    forever on a missing table while health said ok)."""
    state = schema_state(root.engine)
    if not state.at_head:
        have = ", ".join(sorted(state.current)) or "no revision"
        raise RuntimeError(f"schema at {have}, this code needs {', '.join(sorted(state.heads))}: run the migrations")


def _topics(s, services: set[str]) -> list[str]:
    """The topics the hosted services use: on Event Hubs an app's identity sees only the hubs it has a role on."""
    used = {
        "receiver": [s.transactions_topic],
        "storage": [s.transactions_topic, s.dead_letter_topic, s.changes_topic],
        "analyzer": [s.queries_topic, s.results_topic, s.changes_topic, s.alerts_topic],
    }
    return sorted({t for name in services for t in used.get(name, [])})


@router.get(
    "/health",
    summary="200 when the broker and the database answer and the schema is current; 503 naming what fails",
    responses={503: {"description": "A part is down"}},
    operation_id="health",
)
async def health(root: RootDep) -> JsonResponse:
    checks: dict[str, str] = {}
    s = root.settings
    services = set(s.enabled_services)
    probes = []
    topics = _topics(s, services)
    if topics:
        probes.append(_probe("broker", lambda: root.publisher.check(topics), checks))
    if {"storage", "processor", "analyzer"} & services:
        probes.append(_probe("database", lambda: _database(root), checks))
    await asyncio.gather(*probes)
    failing = sorted(name for name, state in checks.items() if state != "ok")
    if failing:
        raise Problem(503, f"Unavailable: {', '.join(failing)}", headers={"Retry-After": "5"}, checks=checks)
    return JsonResponse({"status": "ok", "checks": checks})
