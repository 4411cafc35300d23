"""Receiver: HTTP writes. Each route validates, hands the event to the broker, and answers 202 once it has it."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path
from pydantic import BaseModel

from functions.bodies import JsonRoute, body_limit
from functions.deps import Caller, ReceiverDep
from functions.errors import JsonResponse
from shared.domain.transactions import (
    CATEGORY_SCHEMA,
    MONTH_SCHEMA,
    BudgetLimit,
    NewBatch,
    NewTransaction,
    TransactionChanges,
)
from shared.problems import Problem

SINGLE_BODY_LIMIT = 64 * 1024
BATCH_BODY_LIMIT = 2 * 1024 * 1024
_ACCEPTED = "Accepted: the broker has the event; GET the operation (Location) for its outcome"
_UNAVAILABLE = {503: {"description": "The broker did not confirm in time: retry with the same id or key"}}

router = APIRouter(prefix="/api", route_class=JsonRoute, strict_content_type=False)


class Accepted(BaseModel):
    id: uuid.UUID
    status: Literal["accepted"]
    operation: uuid.UUID


class AcceptedBatch(BaseModel):
    ids: list[uuid.UUID]
    status: Literal["accepted"]
    operation: uuid.UUID


class AcceptedBudget(BaseModel):
    category: str
    month: str
    amount: str
    currency: str
    status: Literal["accepted"]
    operation: uuid.UUID


def _accepted(body: dict, accepted) -> JsonResponse:
    op = str(accepted.operation_id)
    return JsonResponse({**body, "status": "accepted", "operation": op}, 202, {"Location": f"/api/operations/{op}"})


IfMatch = Annotated[
    str | None,
    Header(
        description='Apply only over this version: the ETag of GET /api/transactions/{id}, e.g. "3"',
        pattern=r'^\s*"[0-9]{1,18}"\s*$',
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        description="A key of yours for this request: sent again, the request is not repeated but its first "
        "operation returned",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
    ),
]


def _version(if_match: str | None) -> int | None:
    return None if if_match is None else int(if_match.strip().strip('"'))


TransactionId = Annotated[str, Path(json_schema_extra={"format": "uuid"}, description="The transaction's id")]


def _transaction_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise Problem(404, "No such transaction: ids are UUIDs.") from None


@router.post(
    "/transactions",
    tags=["transactions"],
    summary="Record one transaction",
    status_code=202,
    response_model=Accepted,
    response_description=_ACCEPTED,
    responses=_UNAVAILABLE,
    operation_id="record_transaction",
    openapi_extra=body_limit(SINGLE_BODY_LIMIT),
)
async def record_transaction(transaction: NewTransaction, caller: Caller, receiver: ReceiverDep) -> JsonResponse:
    accepted = await receiver.record(caller.user_id, transaction)
    return _accepted({"id": str(transaction.id)}, accepted)


@router.post(
    "/transactions/batch",
    tags=["transactions"],
    summary="Record up to 1,000 transactions; one invalid item refuses the batch",
    status_code=202,
    response_model=AcceptedBatch,
    response_description="Accepted: the broker has every event",
    responses=_UNAVAILABLE,
    operation_id="record_transaction_batch",
    openapi_extra=body_limit(BATCH_BODY_LIMIT),
)
async def record_transaction_batch(batch: NewBatch, caller: Caller, receiver: ReceiverDep) -> JsonResponse:
    accepted = await receiver.record_batch(caller.user_id, batch.transactions)
    return _accepted({"ids": [str(t.id) for t in batch.transactions]}, accepted)


@router.patch(
    "/transactions/{id}",
    tags=["transactions"],
    summary="Correct fields of a transaction",
    status_code=202,
    response_model=Accepted,
    response_description="Accepted: the correction is on its way; its outcome at the operation",
    responses={404: {"description": "The id is not a UUID"}, **_UNAVAILABLE},
    operation_id="correct_transaction",
    openapi_extra=body_limit(SINGLE_BODY_LIMIT),
)
async def correct_transaction(
    id: TransactionId,
    changes: TransactionChanges,
    caller: Caller,
    receiver: ReceiverDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JsonResponse:
    tid = _transaction_id(id)
    accepted = await receiver.correct(
        caller.user_id, tid, changes, if_match=_version(if_match), idempotency_key=idempotency_key
    )
    return _accepted({"id": str(tid)}, accepted)


@router.delete(
    "/transactions/{id}",
    tags=["transactions"],
    summary="Delete a transaction",
    status_code=202,
    response_model=Accepted,
    response_description="Accepted: the deletion is on its way; its outcome at the operation",
    responses={404: {"description": "The id is not a UUID"}, **_UNAVAILABLE},
    operation_id="delete_transaction",
)
async def delete_transaction(
    id: TransactionId,
    caller: Caller,
    receiver: ReceiverDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JsonResponse:
    tid = _transaction_id(id)
    accepted = await receiver.delete(caller.user_id, tid, if_match=_version(if_match), idempotency_key=idempotency_key)
    return _accepted({"id": str(tid)}, accepted)


@router.put(
    "/budgets/{category}/{month}",
    tags=["budgets"],
    summary="Set the monthly spending limit of a category",
    status_code=202,
    response_model=AcceptedBudget,
    response_description="Accepted: the budget is on its way",
    responses=_UNAVAILABLE,
    operation_id="set_budget",
    openapi_extra=body_limit(SINGLE_BODY_LIMIT),
)
async def set_budget(
    category: Annotated[str, Path(json_schema_extra=CATEGORY_SCHEMA)],
    month: Annotated[str, Path(json_schema_extra=MONTH_SCHEMA)],
    limit: BudgetLimit,
    caller: Caller,
    receiver: ReceiverDep,
    idempotency_key: IdempotencyKey = None,
) -> JsonResponse:
    accepted = await receiver.set_budget(caller.user_id, category, month, limit, idempotency_key=idempotency_key)
    return _accepted(accepted.events[0].budget.to_json(), accepted)
