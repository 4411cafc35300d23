"""The events on the transactions topic: one JSON schema, versioned, keyed by user id.

Each event belongs to an operation (one HTTP write: a transaction, a batch of them, a correction...) and says
how many events the operation has and which one it is, so storage can tell when the operation is done. The order
of a user's events is the order of their partition: storage applies them in that order and numbers each record's
versions itself. The `version` an older receiver stamped with its clock is still read, and ignored.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from shared.domain.accounts import AccountChanges, NewAccount, NewTransfer, UserSettings
from shared.domain.bank_rows import BankRow
from shared.domain.transactions import Budget, NewTransaction, TransactionChanges
from shared.problems import describe, field_errors

SCHEMA_VERSION = 1


class PoisonMessage(ValueError):
    """A message that can never be stored, whatever the retries: it belongs in the dead-letter topic."""


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    user_id: str = Field(min_length=1, max_length=128)
    operation_id: uuid.UUID | None = None  # absent on events written before operations existed
    operation_size: int = Field(1, ge=1, le=100_000)
    index: int = Field(0, ge=0)
    version: int | None = Field(None, gt=0)  # a receiver's clock, on events written before storage numbered versions

    def _head(self) -> dict[str, Any]:
        head: dict[str, Any] = {
            "schema_version": self.schema_version,
            "event_id": str(self.event_id),
            "event_type": self.event_type,  # type: ignore[attr-defined]
            "user_id": self.user_id,
        }
        if self.operation_id is not None:
            head.update(operation_id=str(self.operation_id), operation_size=self.operation_size, index=self.index)
        return head


def _id_required(data: Any, body: str) -> Any:
    # On the wire the id is the idempotency key: it must never be invented by a consumer.
    if isinstance(data, dict) and isinstance(data.get(body), dict) and "id" not in data[body]:
        raise ValueError(f"{body}.id is required in a {body}'s create event")
    return data


class TransactionCreated(_Envelope):
    event_type: Literal["transaction.created"] = "transaction.created"
    transaction: NewTransaction

    @model_validator(mode="before")
    @classmethod
    def _id_required(cls, data: Any) -> Any:
        return _id_required(data, "transaction")

    def to_json(self) -> dict[str, Any]:
        return {**self._head(), "transaction": self.transaction.to_json()}


class TransactionUpdated(_Envelope):
    event_type: Literal["transaction.updated"] = "transaction.updated"
    transaction_id: uuid.UUID
    changes: TransactionChanges
    expected_version: int | None = Field(None, ge=1)  # If-Match: apply only over this version

    def to_json(self) -> dict[str, Any]:
        out = {**self._head(), "transaction_id": str(self.transaction_id), "changes": self.changes.to_json()}
        return out if self.expected_version is None else {**out, "expected_version": self.expected_version}


class TransactionDeleted(_Envelope):
    event_type: Literal["transaction.deleted"] = "transaction.deleted"
    transaction_id: uuid.UUID
    expected_version: int | None = Field(None, ge=1)

    def to_json(self) -> dict[str, Any]:
        out = {**self._head(), "transaction_id": str(self.transaction_id)}
        return out if self.expected_version is None else {**out, "expected_version": self.expected_version}


class TransactionImported(_Envelope):
    """One row of a bank file (an import is one operation): storage records it, links it to a hand-entered
    transaction, or finds it already there (shared/domain/ledger_imports.py)."""

    event_type: Literal["transaction.imported"] = "transaction.imported"
    import_id: uuid.UUID
    account_id: uuid.UUID
    match: bool = True  # may it be linked to a hand-entered transaction instead of recorded anew
    row: BankRow

    def to_json(self) -> dict[str, Any]:
        return {
            **self._head(),
            "import_id": str(self.import_id),
            "account_id": str(self.account_id),
            "match": self.match,
            "row": self.row.to_json(),
        }


class BudgetSet(_Envelope):
    event_type: Literal["budget.set"] = "budget.set"
    budget: Budget

    def to_json(self) -> dict[str, Any]:
        budget = self.budget.to_json()
        if budget["accounts"] is None:  # a global budget's event stays readable by consumers that predate sets
            del budget["accounts"]
        return {**self._head(), "budget": budget}


class AccountOpened(_Envelope):
    event_type: Literal["account.opened"] = "account.opened"
    account: NewAccount

    @model_validator(mode="before")
    @classmethod
    def _id_required(cls, data: Any) -> Any:
        return _id_required(data, "account")

    def to_json(self) -> dict[str, Any]:
        return {**self._head(), "account": self.account.to_json()}


class AccountChanged(_Envelope):
    event_type: Literal["account.changed"] = "account.changed"
    account_id: uuid.UUID
    changes: AccountChanges
    expected_version: int | None = Field(None, ge=1)

    def to_json(self) -> dict[str, Any]:
        out = {**self._head(), "account_id": str(self.account_id), "changes": self.changes.to_json()}
        return out if self.expected_version is None else {**out, "expected_version": self.expected_version}


class TransferCreated(_Envelope):
    event_type: Literal["transfer.created"] = "transfer.created"
    transfer: NewTransfer

    @model_validator(mode="before")
    @classmethod
    def _id_required(cls, data: Any) -> Any:
        return _id_required(data, "transfer")

    def to_json(self) -> dict[str, Any]:
        return {**self._head(), "transfer": self.transfer.to_json()}


class TransferDeleted(_Envelope):
    event_type: Literal["transfer.deleted"] = "transfer.deleted"
    transfer_id: uuid.UUID
    expected_version: int | None = Field(None, ge=1)

    def to_json(self) -> dict[str, Any]:
        out = {**self._head(), "transfer_id": str(self.transfer_id)}
        return out if self.expected_version is None else {**out, "expected_version": self.expected_version}


class SettingsSet(_Envelope):
    event_type: Literal["settings.set"] = "settings.set"
    settings: UserSettings

    def to_json(self) -> dict[str, Any]:
        return {**self._head(), "settings": {"home_currency": self.settings.home_currency}}


AnyEvent = (
    TransactionCreated
    | TransactionUpdated
    | TransactionDeleted
    | TransactionImported
    | BudgetSet
    | AccountOpened
    | AccountChanged
    | TransferCreated
    | TransferDeleted
    | SettingsSet
)
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
