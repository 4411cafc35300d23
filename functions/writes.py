"""What every write route shares: the 202 that names the write's operation, and the headers that make a write
conditional (If-Match) or idempotent (Idempotency-Key)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Header
from pydantic import BaseModel, Field

from functions.errors import JsonResponse

SINGLE_BODY_LIMIT = 64 * 1024
ACCEPTED = "Accepted: the broker has the event; GET the operation (Location) for its outcome"
UNAVAILABLE = {503: {"description": "The broker did not confirm in time: retry with the same id or key"}}


class Accepted(BaseModel):
    id: uuid.UUID
    status: Literal["accepted"]
    operation: uuid.UUID


class AcceptedBatch(BaseModel):
    ids: list[uuid.UUID]
    status: Literal["accepted"]
    operation: uuid.UUID


class AcceptedSettings(BaseModel):
    home_currency: str
    status: Literal["accepted"]
    operation: uuid.UUID


class AcceptedBudget(BaseModel):
    category: str
    month: str
    amount: str
    currency: str
    accounts: list[uuid.UUID] | None = Field(description="The accounts whose expenses count; null: every expense.")
    status: Literal["accepted"]
    operation: uuid.UUID


def accepted_response(body: dict, accepted) -> JsonResponse:
    op = str(accepted.operation_id)
    return JsonResponse({**body, "status": "accepted", "operation": op}, 202, {"Location": accepted.location})


IfMatch = Annotated[
    str | None,
    Header(
        description="Apply only over this version: the ETag it was read with (GET /api/transactions/{id}, "
        'GET /api/accounts/{id}, a transfer in an account\'s listing), e.g. "3"',
        pattern=r'^\s*"[1-9][0-9]{0,17}"\s*$',  # versions start at 1
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


def version_of(if_match: str | None) -> int | None:
    return None if if_match is None else int(if_match.strip().strip('"'))
