"""Storage: consumes transaction events into MySQL (a Kafka trigger), and serves a user's own transactions,
accounts (with exact balances) and settings."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import azure.functions as func
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from functions.account_models import Account as AccountModel
from functions.account_models import AccountEntryPage, AccountList, SplitPart, UserSettings
from functions.deps import Caller, StorageDep
from functions.errors import JsonResponse
from functions.kafka import batch_trigger, consumed
from shared.bootstrap import Root

router = APIRouter(prefix="/api", tags=["transactions"])


class Transaction(BaseModel):
    id: uuid.UUID
    type: Literal["income", "expense"]
    amount: str
    currency: str
    category: str
    description: str | None
    date: dt.date
    tags: list[str]
    account_id: uuid.UUID | None = None
    payee: str | None = None
    splits: list[SplitPart] = []
    version: int
    etag: str  # send it back as If-Match to change only this version


class Rejected(BaseModel):
    index: int
    reason: dict


class Operation(BaseModel):
    id: uuid.UUID
    status: Literal["pending", "applied", "rejected"]
    type: str | None = None
    applied: int
    duplicates: int
    rejected: int
    matched: int | None = None  # an import's applied rows that were linked to hand-entered transactions
    expected: int | None = None
    resource: str | None = None
    reason: dict | None = None  # problem details, when a single write was rejected
    rejected_items: list[Rejected] | None = None  # for a batch: each refused item, by index


class TransactionPage(BaseModel):
    items: list[Transaction]
    next_cursor: str | None


@router.get(
    "/transactions",
    summary="Your transactions, newest first, with cursor pagination",
    response_model=TransactionPage,
    response_description="A page of transactions and the cursor of the next (null: the last page)",
    operation_id="list_transactions",
)
async def list_transactions(
    caller: Caller,
    storage: StorageDep,
    start: Annotated[dt.date | None, Query(alias="from")] = None,
    end: Annotated[dt.date | None, Query(alias="to")] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    type: Annotated[Literal["income", "expense"] | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    account_id: Annotated[uuid.UUID | None, Query(description="Only those recorded in this account")] = None,
) -> JsonResponse:
    page = await _off_loop(
        storage.list_transactions,
        caller.user_id,
        start=start,
        end=end,
        category=category or None,
        kind=type,
        cursor=cursor or None,
        limit=limit,
        account_id=account_id,
    )
    return JsonResponse({"items": page.items, "next_cursor": page.next_cursor})


@router.get(
    "/transactions/{id}",
    summary="One of your transactions",
    response_model=Transaction,
    responses={404: {"description": "Not yours, or none"}},
    operation_id="get_transaction",
)
async def get_transaction(
    id: Annotated[str, Path(json_schema_extra={"format": "uuid"})], caller: Caller, storage: StorageDep
) -> JsonResponse:
    found = await _off_loop(storage.get_transaction, caller.user_id, id)
    return JsonResponse(found, headers={"ETag": found["etag"]})


@router.get(
    "/operations/{id}",
    tags=["operations"],
    summary="The outcome of one of your writes: pending until storage applied or rejected it",
    response_model=Operation,
    responses={404: {"description": "Not yours, or none"}},
    operation_id="get_operation",
)
async def get_operation(
    id: Annotated[str, Path(json_schema_extra={"format": "uuid"})],
    caller: Caller,
    storage: StorageDep,
    wait: Annotated[float, Query(ge=0, le=10, description="Seconds to wait for the outcome, at most 10")] = 0,
) -> JsonResponse:
    if wait:
        return JsonResponse(await storage.wait_for_operation(caller.user_id, id, wait_s=wait))
    return JsonResponse(await _off_loop(storage.get_operation, caller.user_id, id))


_ID = Annotated[str, Path(json_schema_extra={"format": "uuid"})]
_NOT_YOURS = {404: {"description": "Not yours, or none"}}


@router.get(
    "/accounts", tags=["accounts"], summary="Your accounts, each with its exact balance", response_model=AccountList,
    operation_id="list_accounts",
)  # fmt: skip
async def list_accounts(caller: Caller, storage: StorageDep) -> JsonResponse:
    return JsonResponse({"items": await _off_loop(storage.list_accounts, caller.user_id)})


@router.get(
    "/accounts/{id}", tags=["accounts"], summary="One of your accounts", response_model=AccountModel,
    responses=_NOT_YOURS, operation_id="get_account",
)  # fmt: skip
async def get_account(id: _ID, caller: Caller, storage: StorageDep) -> JsonResponse:
    found = await _off_loop(storage.get_account, caller.user_id, id)
    return JsonResponse(found, headers={"ETag": found["etag"]})


@router.get(
    "/accounts/{id}/transactions", tags=["accounts"], response_model=AccountEntryPage, responses=_NOT_YOURS,
    summary="An account's transactions and transfers, newest first, each with the balance after it",
    operation_id="list_account_entries",
)  # fmt: skip
async def list_account_entries(
    id: _ID,
    caller: Caller,
    storage: StorageDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JsonResponse:
    page = await _off_loop(storage.account_entries, caller.user_id, id, cursor=cursor or None, limit=limit)
    return JsonResponse({"items": page.items, "next_cursor": page.next_cursor})


@router.get(
    "/settings", tags=["accounts"], summary="Your settings", response_model=UserSettings, operation_id="get_settings"
)
async def get_settings(caller: Caller, storage: StorageDep) -> JsonResponse:
    return JsonResponse(await _off_loop(storage.get_settings, caller.user_id))


async def _off_loop(call, *args, **kwargs):
    """Database reads block: they run on the thread pool, never on the event loop."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(call, *args, **kwargs)


def triggers(root: Root) -> func.Blueprint:
    bp = func.Blueprint()

    @bp.function_name("store_transactions")
    @batch_trigger(bp, root.settings, arg_name="events", topic="%TransactionsTopic%", group="%StorageConsumerGroup%")
    def store_transactions(events: list[func.KafkaEvent]) -> None:
        """A failure raises: the batch is retried and its offsets stay uncommitted, so nothing is lost."""
        with consumed(events, function="store_transactions", group=root.settings.storage_consumer_group) as messages:
            root.storage.store_messages(messages)

    return bp
