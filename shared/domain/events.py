"""The events on the transactions topic: one JSON schema, versioned, keyed by user id."""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from shared.domain.transactions import Budget, NewTransaction, TransactionChanges
from shared.problems import describe, field_errors

SCHEMA_VERSION = 1


class PoisonMessage(ValueError):
    """A message that can never be stored, whatever the retries: it belongs in the dead-letter topic."""


def now_version() -> int:
    """Event versions are microseconds since the epoch at the receiver: the newer correction wins."""
    return time.time_ns() // 1_000


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    user_id: str = Field(min_length=1, max_length=128)
    version: int = Field(default_factory=now_version, gt=0)

    def _head(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "event_id": str(self.event_id),
            "event_type": self.event_type,  # type: ignore[attr-defined]
            "user_id": self.user_id,
            "version": self.version,
        }


class TransactionCreated(_Envelope):
    event_type: Literal["transaction.created"] = "transaction.created"
    transaction: NewTransaction

    @model_validator(mode="before")
    @classmethod
    def _id_required(cls, data: Any) -> Any:
        # On the wire the id is the idempotency key: it must never be invented by a consumer.
        if isinstance(data, dict) and isinstance(data.get("transaction"), dict) and "id" not in data["transaction"]:
            raise ValueError("transaction.id is required in a transaction.created event")
        return data

    def to_json(self) -> dict[str, Any]:
        return {**self._head(), "transaction": self.transaction.to_json()}


class TransactionUpdated(_Envelope):
    event_type: Literal["transaction.updated"] = "transaction.updated"
    transaction_id: uuid.UUID
    changes: TransactionChanges

    def to_json(self) -> dict[str, Any]:
        return {**self._head(), "transaction_id": str(self.transaction_id), "changes": self.changes.to_json()}


class TransactionDeleted(_Envelope):
    event_type: Literal["transaction.deleted"] = "transaction.deleted"
    transaction_id: uuid.UUID

    def to_json(self) -> dict[str, Any]:
        return {**self._head(), "transaction_id": str(self.transaction_id)}


class BudgetSet(_Envelope):
    event_type: Literal["budget.set"] = "budget.set"
    budget: Budget

    def to_json(self) -> dict[str, Any]:
        return {**self._head(), "budget": self.budget.to_json()}


AnyEvent = TransactionCreated | TransactionUpdated | TransactionDeleted | BudgetSet
Event = Annotated[AnyEvent, Field(discriminator="event_type")]
_EVENT = TypeAdapter(Event)


def encode(event: AnyEvent) -> bytes:
    """The event's wire form: compact UTF-8 JSON, amounts as strings."""
    return orjson.dumps(event.to_json())


def decode(raw: bytes | str | None) -> AnyEvent:
    """Parse and validate one message, or raise PoisonMessage saying why it can never be stored."""
    if raw is None or raw in (b"", ""):
        raise PoisonMessage("empty message")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PoisonMessage(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PoisonMessage("not a JSON object")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise PoisonMessage(f"unsupported schema_version {data.get('schema_version')!r}; expected {SCHEMA_VERSION}")
    try:
        return _EVENT.validate_python(data)
    except ValidationError as exc:
        raise PoisonMessage(f"schema violation: {describe(field_errors(exc.errors()), limit=20)}") from None
