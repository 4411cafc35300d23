"""Storage: consumes transaction events into MySQL idempotently, and serves a user's own transactions."""

from __future__ import annotations

import datetime as dt

import azure.functions as func

from functions._http import Problem, authenticate, endpoint, json_response
from functions._openapi import operation
from functions.kafka import batch_trigger, inbound
from shared import bootstrap
from shared.adapters.mysql.store import BadCursor
from shared.api_schema import TRANSACTION, TRANSACTION_ID, TRANSACTION_PAGE
from shared.services.storage import store_messages

bp = func.Blueprint()


@bp.function_name("store_transactions")
@batch_trigger(bp, arg_name="events", topic="%TransactionsTopic%", consumer_group="%StorageConsumerGroup%")
def store_transactions(events: list[func.KafkaEvent]) -> None:
    """A failure raises: the batch is retried and its offsets stay uncommitted, so nothing is lost."""
    store_messages(
        [inbound(e) for e in events],
        store=bootstrap.store(),
        publisher=bootstrap.publisher(),
        dead_letter_topic=bootstrap.settings().dead_letter_topic,
    )


def _date_param(req: func.HttpRequest, name: str) -> dt.date | None:
    raw = req.params.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Problem(400, f"{name} must be a date written YYYY-MM-DD; got {raw!r}") from None


_LIST_QUERY = [
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "category", "in": "query", "schema": {"type": "string", "maxLength": 64}},
    {"name": "type", "in": "query", "schema": {"type": "string", "enum": ["income", "expense"]}},
    {"name": "cursor", "in": "query", "schema": {"type": "string", "maxLength": 512}},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
]


@bp.function_name("list_transactions")
@bp.route(route="transactions", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@operation(
    "Your transactions, newest first, with cursor pagination",
    tag="transactions",
    query=_LIST_QUERY,
    responses={200: ("A page of transactions and the cursor of the next", TRANSACTION_PAGE)},
)
@endpoint
def list_transactions(req: func.HttpRequest) -> func.HttpResponse:
    user = authenticate(req)
    kind = req.params.get("type")
    if kind not in (None, "", "income", "expense"):
        raise Problem(400, "type must be income or expense")
    raw_limit = req.params.get("limit") or "50"
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 500:
        raise Problem(400, "limit must be a whole number from 1 to 500")
    try:
        page = bootstrap.store().list_transactions(
            user_id=user.user_id,
            start=_date_param(req, "from"),
            end=_date_param(req, "to"),
            category=req.params.get("category") or None,
            kind=kind or None,
            cursor=req.params.get("cursor") or None,
            limit=int(raw_limit),
        )
    except BadCursor as exc:
        raise Problem(400, str(exc)) from None
    return json_response(200, {"items": page.items, "next_cursor": page.next_cursor})


@bp.function_name("get_transaction")
@bp.route(route="transactions/{id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@operation(
    "One of your transactions",
    tag="transactions",
    path={"id": TRANSACTION_ID},
    responses={200: ("The transaction", TRANSACTION), 404: "Not yours, or none"},
)
@endpoint
def get_transaction(req: func.HttpRequest) -> func.HttpResponse:
    user = authenticate(req)
    found = bootstrap.store().get_transaction(user_id=user.user_id, transaction_id=req.route_params.get("id", ""))
    if found is None:
        raise Problem(404, "No such transaction among yours.")
    return json_response(200, found)
