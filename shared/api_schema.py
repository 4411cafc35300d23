"""JSON Schemas of the HTTP bodies, for the OpenAPI document. The domain models enforce; these describe."""

from __future__ import annotations

from shared.domain.transactions import MAX_BATCH, MAX_DESCRIPTION, MAX_TAGS

AMOUNT = {
    "type": "string",
    "pattern": r"^[0-9]+(\.[0-9]+)?$",
    "examples": ["12.50"],
    "description": "Positive decimal string; at most the currency's minor units (EUR 2, JPY 0, KWD 3).",
}
CURRENCY = {"type": "string", "minLength": 3, "maxLength": 3, "examples": ["EUR"], "description": "ISO 4217 code"}
CATEGORY = {"type": "string", "minLength": 1, "maxLength": 64, "examples": ["groceries"]}
DATE = {"type": "string", "format": "date", "examples": ["2026-11-24"]}
MONTH = {"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$", "examples": ["2026-11"]}
TAGS = {"type": "array", "items": {"type": "string", "maxLength": 32}, "maxItems": MAX_TAGS}
DESCRIPTION = {"type": ["string", "null"], "maxLength": MAX_DESCRIPTION}
KIND = {"type": "string", "enum": ["income", "expense"]}

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
    "properties": {**NEW_TRANSACTION_BODY["properties"], "version": {"type": "integer"}},
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
