"""Receiver: HTTP writes. Each route validates, hands the event to the broker, and answers 202 once it has it.

Accounts, transfers and settings are checked against what is stored (the account's currency, whether it is
open...) by storage, which ends the operation rejected, with the reason, when they do not fit."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from functions.bodies import JsonRoute, body_limit
from functions.deps import Caller, ReceiverDep
from functions.errors import JsonResponse
from functions.writes import (
    ACCEPTED,
    SINGLE_BODY_LIMIT,
    UNAVAILABLE,
    Accepted,
    AcceptedBatch,
    AcceptedBudget,
    AcceptedSettings,
    IdempotencyKey,
    IfMatch,
    accepted_response,
    version_of,
)
from shared.domain.accounts import AccountChanges, NewAccount, NewTransfer, UserSettings
from shared.domain.transactions import (
    CATEGORY_SCHEMA,
    MONTH_SCHEMA,
    BudgetLimit,
    NewBatch,
    NewTransaction,
    TransactionChanges,
)
from shared.problems import Problem

BATCH_BODY_LIMIT = 2 * 1024 * 1024

router = APIRouter(prefix="/api", route_class=JsonRoute, strict_content_type=False)


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
    response_description=ACCEPTED,
    responses=UNAVAILABLE,
    operation_id="record_transaction",
    openapi_extra=body_limit(SINGLE_BODY_LIMIT),
)
async def record_transaction(transaction: NewTransaction, caller: Caller, receiver: ReceiverDep) -> JsonResponse:
    accepted = await receiver.record(caller.user_id, transaction)
    return accepted_response({"id": str(transaction.id)}, accepted)


@router.post(
    "/transactions/batch",
    tags=["transactions"],
    summary="Record up to 1,000 transactions; one invalid item refuses the batch",
    status_code=202,
    response_model=AcceptedBatch,
    response_description="Accepted: the broker has every event",
    responses=UNAVAILABLE,
    operation_id="record_transaction_batch",
    openapi_extra=body_limit(BATCH_BODY_LIMIT),
)
async def record_transaction_batch(batch: NewBatch, caller: Caller, receiver: ReceiverDep) -> JsonResponse:
    accepted = await receiver.record_batch(caller.user_id, batch.transactions)
    return accepted_response({"ids": [str(t.id) for t in batch.transactions]}, accepted)


@router.patch(
    "/transactions/{id}",
    tags=["transactions"],
    summary="Correct fields of a transaction",
    status_code=202,
    response_model=Accepted,
    response_description="Accepted: the correction is on its way; its outcome at the operation",
    responses={404: {"description": "The id is not a UUID"}, **UNAVAILABLE},
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
        caller.user_id, tid, changes, if_match=version_of(if_match), idempotency_key=idempotency_key
    )
    return accepted_response({"id": str(tid)}, accepted)


@router.delete(
    "/transactions/{id}",
    tags=["transactions"],
    summary="Delete a transaction",
    status_code=202,
    response_model=Accepted,
    response_description="Accepted: the deletion is on its way; its outcome at the operation",
    responses={404: {"description": "The id is not a UUID"}, **UNAVAILABLE},
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
    accepted = await receiver.delete(
        caller.user_id, tid, if_match=version_of(if_match), idempotency_key=idempotency_key
    )
    return accepted_response({"id": str(tid)}, accepted)


@router.put(
    "/budgets/{category}/{month}",
    tags=["budgets"],
    summary="Set the monthly spending limit of a category",
    status_code=202,
    response_model=AcceptedBudget,
    response_description="Accepted: the budget is on its way",
    responses=UNAVAILABLE,
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
    return accepted_response(accepted.events[0].budget.to_json(), accepted)


# -- accounts, transfers and settings ---------------------------------------------------------------------------

_WRITE = {"status_code": 202, "response_model": Accepted, "responses": UNAVAILABLE}
_BODY = {"openapi_extra": body_limit(SINGLE_BODY_LIMIT), "response_description": ACCEPTED}
_NOT_UUID = {404: {"description": "The id is not a UUID"}, **UNAVAILABLE}


def _uuid(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise Problem(404, f"No such {what}: ids are UUIDs.") from None


@router.post("/accounts", tags=["accounts"], summary="Open an account", operation_id="open_account", **_WRITE, **_BODY)
async def open_account(account: NewAccount, caller: Caller, receiver: ReceiverDep) -> JsonResponse:
    return accepted_response({"id": str(account.id)}, await receiver.open_account(caller.user_id, account))


@router.patch(
    "/accounts/{id}", tags=["accounts"], summary="Rename, close or reopen an account", operation_id="change_account",
    **{**_WRITE, "responses": _NOT_UUID}, **_BODY,
)  # fmt: skip
async def change_account(
    id: Annotated[str, Path(json_schema_extra={"format": "uuid"})],
    changes: AccountChanges,
    caller: Caller,
    receiver: ReceiverDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JsonResponse:
    aid, version = _uuid(id, "account"), version_of(if_match)
    accepted = await receiver.change_account(
        caller.user_id, aid, changes, if_match=version, idempotency_key=idempotency_key
    )
    return accepted_response({"id": str(aid)}, accepted)


@router.post(
    "/transfers", tags=["accounts"], summary="Move money between two of your accounts", operation_id="transfer",
    **_WRITE, **_BODY,
)  # fmt: skip
async def transfer(transfer: NewTransfer, caller: Caller, receiver: ReceiverDep) -> JsonResponse:
    return accepted_response({"id": str(transfer.id)}, await receiver.transfer(caller.user_id, transfer))


@router.delete(
    "/transfers/{id}", tags=["accounts"], summary="Delete a transfer (both legs)", operation_id="delete_transfer",
    response_description=ACCEPTED, **{**_WRITE, "responses": _NOT_UUID},
)  # fmt: skip
async def delete_transfer(
    id: Annotated[str, Path(json_schema_extra={"format": "uuid"})],
    caller: Caller,
    receiver: ReceiverDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JsonResponse:
    tid, version = _uuid(id, "transfer"), version_of(if_match)
    accepted = await receiver.delete_transfer(caller.user_id, tid, if_match=version, idempotency_key=idempotency_key)
    return accepted_response({"id": str(tid)}, accepted)


@router.put(
    "/settings", tags=["accounts"], summary="Set your home currency", operation_id="set_settings",
    **{**_WRITE, "response_model": AcceptedSettings}, **_BODY,
)  # fmt: skip
async def set_settings(
    settings: UserSettings, caller: Caller, receiver: ReceiverDep, idempotency_key: IdempotencyKey = None
) -> JsonResponse:
    accepted = await receiver.set_settings(caller.user_id, settings, idempotency_key=idempotency_key)
    return accepted_response({"home_currency": settings.home_currency}, accepted)
