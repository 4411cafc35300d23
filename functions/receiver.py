"""Receiver: validates transactions and budgets, publishes them, answers 202 once the broker has them."""

from __future__ import annotations

import uuid

import azure.functions as func

from functions._http import (
    BATCH_BODY_LIMIT,
    SINGLE_BODY_LIMIT,
    Problem,
    authenticate,
    endpoint,
    json_response,
    read_json,
)
from functions._openapi import operation
from shared import bootstrap
from shared.api_schema import (
    ACCEPTED,
    ACCEPTED_BATCH,
    ACCEPTED_BUDGET,
    ACCEPTED_CHANGE,
    BUDGET_BODY,
    CATEGORY,
    CHANGES_BODY,
    MONTH,
    NEW_BATCH_BODY,
    NEW_TRANSACTION_BODY,
    TRANSACTION_ID,
)
from shared.services import receiver as ingest

bp = func.Blueprint()


def _transaction_id(req: func.HttpRequest) -> uuid.UUID:
    try:
        return uuid.UUID(req.route_params["id"])
    except (KeyError, ValueError):
        raise Problem(404, "No such transaction: ids are UUIDs.") from None


async def _publish(events) -> None:
    await ingest.publish(events, publisher=bootstrap.publisher(), topic=bootstrap.settings().transactions_topic)


@bp.function_name("record_transaction")
@bp.route(route="transactions", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@operation(
    "Record one transaction",
    tag="transactions",
    request=NEW_TRANSACTION_BODY,
    responses={202: ("Accepted: the broker has the event", ACCEPTED), 422: "Invalid fields", 503: "Broker unavailable"},
)
@endpoint
async def record_transaction(req: func.HttpRequest) -> func.HttpResponse:
    user = authenticate(req)
    event = ingest.created(user.user_id, read_json(req, limit=SINGLE_BODY_LIMIT))
    await _publish([event])
    tid = str(event.transaction.id)
    return json_response(202, {"id": tid, "status": "accepted"}, {"Location": f"/api/transactions/{tid}"})


@bp.function_name("record_transaction_batch")
@bp.route(route="transactions/batch", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@operation(
    "Record up to 1,000 transactions; one invalid item refuses the batch",
    tag="transactions",
    request=NEW_BATCH_BODY,
    responses={
        202: ("Accepted: the broker has every event", ACCEPTED_BATCH),
        422: "Invalid items, listed by index",
        503: "Broker unavailable",
    },
)
@endpoint
async def record_transaction_batch(req: func.HttpRequest) -> func.HttpResponse:
    user = authenticate(req)
    try:
        events = ingest.created_batch(user.user_id, read_json(req, limit=BATCH_BODY_LIMIT))
    except ingest.BatchInvalid as exc:
        raise Problem(422, str(exc), errors=exc.errors) from None
    await _publish(events)
    return json_response(202, {"ids": [str(e.transaction.id) for e in events], "status": "accepted"})


@bp.function_name("correct_transaction")
@bp.route(route="transactions/{id}", methods=["PATCH"], auth_level=func.AuthLevel.ANONYMOUS)
@operation(
    "Correct fields of a transaction",
    tag="transactions",
    request=CHANGES_BODY,
    path={"id": TRANSACTION_ID},
    responses={
        202: ("Accepted: the correction is on its way", ACCEPTED_CHANGE),
        404: "The id is not a UUID",
        422: "Invalid fields",
        503: "Broker unavailable",
    },
)
@endpoint
async def correct_transaction(req: func.HttpRequest) -> func.HttpResponse:
    user = authenticate(req)
    tid = _transaction_id(req)
    event = ingest.updated(user.user_id, tid, read_json(req, limit=SINGLE_BODY_LIMIT))
    await _publish([event])
    return json_response(202, {"id": str(tid), "status": "accepted", "version": event.version})


@bp.function_name("delete_transaction")
@bp.route(route="transactions/{id}", methods=["DELETE"], auth_level=func.AuthLevel.ANONYMOUS)
@operation(
    "Delete a transaction",
    tag="transactions",
    path={"id": TRANSACTION_ID},
    responses={
        202: ("Accepted: the deletion is on its way", ACCEPTED_CHANGE),
        404: "The id is not a UUID",
        503: "Broker unavailable",
    },
)
@endpoint
async def delete_transaction(req: func.HttpRequest) -> func.HttpResponse:
    user = authenticate(req)
    tid = _transaction_id(req)
    event = ingest.deleted(user.user_id, tid)
    await _publish([event])
    return json_response(202, {"id": str(tid), "status": "accepted", "version": event.version})


@bp.function_name("set_budget")
@bp.route(route="budgets/{category}/{month}", methods=["PUT"], auth_level=func.AuthLevel.ANONYMOUS)
@operation(
    "Set the monthly spending limit of a category",
    tag="budgets",
    request=BUDGET_BODY,
    path={"category": CATEGORY, "month": MONTH},
    responses={
        202: ("Accepted: the budget is on its way", ACCEPTED_BUDGET),
        422: "Invalid fields",
        503: "Broker unavailable",
    },
)
@endpoint
async def set_budget(req: func.HttpRequest) -> func.HttpResponse:
    user = authenticate(req)
    event = ingest.budget_set(
        user.user_id,
        req.route_params.get("category", ""),
        req.route_params.get("month", ""),
        read_json(req, limit=SINGLE_BODY_LIMIT),
    )
    await _publish([event])
    return json_response(202, {**event.budget.to_json(), "status": "accepted"})
