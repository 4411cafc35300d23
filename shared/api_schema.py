"""JSON Schemas of the HTTP bodies, for the OpenAPI document. The domain models enforce; these describe."""

from __future__ import annotations

from iso4217 import Currency

from shared.domain.transactions import MAX_BATCH, MAX_DESCRIPTION, MAX_TAGS

AMOUNT = {
    "type": "string",
    "pattern": r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,3})?$",
    "examples": ["12.50"],
    "description": "Positive decimal string below 10^12; at most the currency's minor units (EUR 2, JPY 0, KWD 3).",
}
CURRENCY = {
    "type": "string",
    "enum": sorted(c.code for c in Currency if c.exponent is not None),
    "examples": ["EUR"],
    "description": "ISO 4217 code of a currency money is recorded in",
}
# No '/', '\\' or control characters; not blank (surrounding spaces are trimmed).
CATEGORY = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "pattern": r"^[^\x00-\x1f/\\]*[^\x00-\x20/\\][^\x00-\x1f/\\]*$",
    "examples": ["groceries"],
}
DATE = {"type": "string", "format": "date", "pattern": r"^(19|2[0-9])[0-9]{2}-", "examples": ["2026-11-24"]}
MONTH = {"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$", "examples": ["2026-11"]}
TAGS = {"type": "array", "items": {"type": "string", "maxLength": 32}, "maxItems": MAX_TAGS}
DESCRIPTION = {"type": ["string", "null"], "maxLength": MAX_DESCRIPTION, "pattern": r"^[^\x00]*$"}
KIND = {"type": "string", "enum": ["income", "expense"]}
TRANSACTION_ID = {"type": "string", "format": "uuid"}

NEW_TRANSACTION_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type", "amount", "currency", "category", "date"],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "Idempotency key; generated when absent."},
        "type": KIND,
        "amount": AMOUNT,
        "currency": CURRENCY,
        "category": CATEGORY,
        "description": DESCRIPTION,
        "date": DATE,
        "tags": TAGS,
    },
}
NEW_BATCH_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["transactions"],
    "properties": {
        "transactions": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": NEW_TRANSACTION_BODY}
    },
}
CHANGES_BODY = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {k: v for k, v in NEW_TRANSACTION_BODY["properties"].items() if k != "id"},
    "dependentRequired": {"amount": ["currency"], "currency": ["amount"]},
    "description": "Any fields to change; amount and currency go together.",
}
BUDGET_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["amount", "currency"],
    "properties": {"amount": AMOUNT, "currency": CURRENCY},
}
TRANSACTION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "type", "amount", "currency", "category", "description", "date", "tags", "version"],
    "properties": {
        **NEW_TRANSACTION_BODY["properties"],
        "id": {"type": "string", "format": "uuid"},
        "version": {"type": "integer"},
    },
}
TRANSACTION_PAGE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["items", "next_cursor"],
    "properties": {
        "items": {"type": "array", "items": TRANSACTION},
        "next_cursor": {"type": ["string", "null"], "description": "Pass as cursor for the next page; null: last"},
    },
}
_ACCEPTED = {"type": "string", "const": "accepted"}
ACCEPTED = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "status"],
    "properties": {"id": TRANSACTION_ID, "status": _ACCEPTED},
}
ACCEPTED_BATCH = {
    "type": "object",
    "additionalProperties": False,
    "required": ["ids", "status"],
    "properties": {
        "ids": {"type": "array", "items": TRANSACTION_ID, "minItems": 1, "maxItems": MAX_BATCH},
        "status": _ACCEPTED,
    },
}
ACCEPTED_CHANGE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "status", "version"],
    "properties": {"id": TRANSACTION_ID, "status": _ACCEPTED, "version": {"type": "integer"}},
}
ACCEPTED_BUDGET = {
    "type": "object",
    "additionalProperties": False,
    "required": ["category", "month", "amount", "currency", "status"],
    "properties": {
        "category": CATEGORY,
        "month": MONTH,
        "amount": AMOUNT,
        "currency": CURRENCY,
        "status": _ACCEPTED,
    },
}
PROBLEM = {
    "type": "object",
    "required": ["title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array"},
    },
}
