"""The shapes of the import routes' answers and request body, for the API document."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel

_FILE = {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}
_FORM = {
    "schema": {
        "type": "object",
        "required": ["file"],
        "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream"}},
    }
}
REQUEST_BODY = {
    "required": True,
    "description": "The bank's file as it was exported (CSV, OFX, QFX, QIF or camt.053), told apart by its content "
    "whatever the Content-Type; or a multipart/form-data form whose field `file` holds it. At most 10 MiB.",
    "content": {
        **{t: _FILE for t in ("text/csv", "application/x-ofx", "application/xml", "application/octet-stream")},
        "multipart/form-data": _FORM,
    },
}


class LineError(BaseModel):
    line: int
    reason: str


class ImportAccepted(BaseModel):
    import_id: uuid.UUID
    operation: uuid.UUID  # the same id: the import is one operation
    rows: int
    status: Literal["accepted"]
    skipped: list[LineError] | None = None  # with skip_invalid: the lines left out


class PreviewRow(BaseModel):
    line: int
    id: uuid.UUID  # the transaction id the row derives
    date: str
    type: Literal["income", "expense"]
    amount: str
    currency: str
    category: str
    payee: str | None
    description: str | None
    reference: str | None
    status: Literal["new", "duplicate", "matched", "rejected"]


class LinkedTransaction(BaseModel):
    id: uuid.UUID
    date: str
    type: Literal["income", "expense"]
    amount: str
    currency: str
    category: str
    description: str | None
    payee: str | None


class PreviewMatch(BaseModel):
    line: int
    id: uuid.UUID
    date: str
    type: Literal["income", "expense"]
    amount: str
    payee: str | None
    description: str | None
    days_apart: int
    transaction: LinkedTransaction  # the hand-entered transaction the row would be linked to


class PreviewAccount(BaseModel):
    id: uuid.UUID
    name: str
    currency: str


class ImportPreview(BaseModel):
    format: Literal["csv", "ofx", "qif", "camt053"]
    account: PreviewAccount
    rows: int
    errors: list[LineError]  # lines that cannot be read, and rows the account would refuse
    transactions: list[PreviewRow]  # the first 50
    matches: list[PreviewMatch]
    new: int
    duplicates: int
    matched: int
    rejected: int


class RejectedRow(BaseModel):
    index: int
    reason: dict


class ImportOutcome(BaseModel):
    id: uuid.UUID
    status: Literal["pending", "applied", "rejected"]
    rows: int | None = None
    new: int
    matched: int
    duplicates: int
    rejected: int
    rejected_items: list[RejectedRow] | None = None


_ELSEWHERE = {"description": "This app does not host storage: the same request to the storage app's URL"}
POST_RESPONSES: dict = {
    200: {"model": ImportPreview, "description": "With dry_run=true: what the import would do; nothing recorded"},
    307: _ELSEWHERE,
    413: {"description": "The file is over 10 MiB, or has over 100,000 rows"},
    415: {"description": "A multipart/form-data body where this server reads none: send the file as the body"},
    422: {"description": "The file cannot be read, or lines of it cannot (each named, with its reason)"},
    503: {"description": "The broker did not confirm every row in time: send the file again"},
}
OUTCOME_RESPONSES: dict = {307: _ELSEWHERE, 404: {"description": "No such import among yours"}}
