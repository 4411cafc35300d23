"""Exchange rates (hosted by the storage app): an administrator loads an ECB file; a timer fetches the daily one."""

from __future__ import annotations

import datetime as dt
import logging

import azure.functions as func
from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from functions.deps import Caller, RootDep
from functions.errors import JsonResponse
from shared.adapters.mysql.rates import SqlRates
from shared.adapters.rates.ecb import MAX_BYTES
from shared.adapters.rates.fetch import fetch_file
from shared.adapters.telemetry.spans import timer_run
from shared.bootstrap import Root
from shared.problems import Problem
from shared.services.rates import Fetch, Rates

log = logging.getLogger("budget.rates")

router = APIRouter(prefix="/api", tags=["rates"])

_FILE = {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}
_BODY = {
    "required": True,
    "description": "An ECB reference-rate file as published (daily or 90-day XML, history CSV or its zip), "
    "told apart by its content, whatever the Content-Type.",
    "content": {t: _FILE for t in ("application/xml", "text/csv", "application/zip", "application/octet-stream")},
}


class RatesLoaded(BaseModel):
    loaded: int  # rates read from the file and stored (a rate already stored with the same value is unchanged)
    first_day: dt.date
    last_day: dt.date
    ignored: list[str]  # published currencies money cannot be recorded in (withdrawn ones, such as HRK)


@router.post(
    "/rates",
    summary="Load ECB euro reference rates (administrators)",
    response_model=RatesLoaded,
    response_description="What the file held: rates stored, their first and last day, currencies left out",
    responses={403: {"description": "The token lacks the admin app role"}},
    operation_id="load_rates",
    openapi_extra={"requestBody": _BODY, "x-body-limit": MAX_BYTES},
)
async def load_rates(request: Request, caller: Caller, root: RootDep) -> JsonResponse:
    if not caller.is_admin:
        raise Problem(403, "Loading exchange rates is for administrators: the token lacks the admin app role.")
    data = await _body(request, MAX_BYTES)
    return JsonResponse(await run_in_threadpool(Rates(store=SqlRates(root.engine)).load_file, data))


async def _body(request: Request, limit: int) -> bytes:
    """The raw body, refused unread past `limit` (declared or streamed)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"The body is over the limit: send at most {limit:,} bytes here.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"The body is over the limit: send at most {limit:,} bytes here.")
        chunks.append(chunk)
    if not size:
        raise Problem(400, "The body is empty: send an ECB rate file (XML, CSV or zip).")
    return b"".join(chunks)


def published_rates(root: Root, fetch: Fetch = fetch_file) -> Rates:
    """The timer's service: the ECB's daily file, and its 90-day file after a missed run."""
    s = root.settings
    return Rates(store=SqlRates(root.engine), fetch=fetch, daily_url=s.ecb_daily_url, ninety_day_url=s.ecb_90day_url)


def triggers(root: Root, fetch: Fetch = fetch_file) -> func.Blueprint:
    """The rates timer; `fetch` is the ECB's HTTPS in Azure, a test's sample file otherwise."""
    bp = func.Blueprint()

    @bp.function_name("load_rates")
    @bp.timer_trigger(arg_name="timer", schedule="%RatesSchedule%", use_monitor=True)
    def load_published_rates(timer: func.TimerRequest) -> None:
        """A failure raises: the host logs it, and the next run (90-day file when past due) fills the gap."""
        with timer_run("load_rates", past_due=timer.past_due):
            published_rates(root, fetch).load_published(past_due=timer.past_due)

    return bp
