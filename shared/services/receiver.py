"""The receiver's use cases: each write becomes an operation of events handed to the broker.

An operation is accepted (202) once the broker has acknowledged every event of it; its outcome (applied or
rejected, and why) is storage's to record. A write that the broker does not confirm is a 503 that names the
operation and the ids it would have created, so the retry (the same ids, or the same Idempotency-Key) can never
record twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from shared.adapters.kafka.messages import EventPublisher, OutboundMessage
from shared.adapters.kafka.publisher import BrokerUnavailable
from shared.domain.accounts import AccountChanges, NewAccount, NewTransfer, UserSettings
from shared.domain.events import (
    AccountChanged,
    AccountOpened,
    AnyEvent,
    BudgetSet,
    SettingsSet,
    TransactionCreated,
    TransactionDeleted,
    TransactionUpdated,
    TransferCreated,
    TransferDeleted,
    encode,
)
from shared.domain.operations import event_id, keyed_operation_id, new_operation_id
from shared.domain.transactions import Budget, BudgetLimit, NewTransaction, TransactionChanges
from shared.problems import Problem, invalid

_UNCONFIRMED = (
    "The event broker did not confirm it in time, so it is not known to be recorded. Retry the same request: "
    "with the same ids (or the same Idempotency-Key) a retry never records twice."
)


@dataclass(frozen=True)
class Accepted:
    operation_id: uuid.UUID
    events: list[AnyEvent]
    location: str  # where the operation's outcome is read: storage's /api/operations/{id}


class Receiver:
    """Every method returns only once the broker has acknowledged the events (acks=all), or raises."""

    def __init__(self, *, publisher: EventPublisher, topic: str, operations_base_url: str = "") -> None:
        """`operations_base_url`: the storage app's origin when it is not this app's (separate Function Apps)."""
        self._operations = operations_base_url.rstrip("/") + "/api/operations/"
        self._publisher = publisher
        self._topic = topic

    async def record(self, user_id: str, transaction: NewTransaction) -> Accepted:
        op = new_operation_id(user_id)
        return await self._publish(op, [_created(user_id, op, transaction, 0, 1)], ids=[transaction.id])

    async def record_batch(self, user_id: str, transactions: Sequence[NewTransaction]) -> Accepted:
        """One batch, one decision: a repeated id refuses the whole batch, naming each repeat by index."""
        seen: dict[uuid.UUID, int] = {}
        errors = []
        for index, t in enumerate(transactions):
            if t.id in seen:
                errors.append({"index": index, "errors": [{"field": "id", "message": f"id repeats item {seen[t.id]}"}]})
            seen.setdefault(t.id, index)
        if errors:
            raise batch_refused(errors, len(transactions))
        op, size = new_operation_id(user_id), len(transactions)
        events = [_created(user_id, op, t, i, size) for i, t in enumerate(transactions)]
        return await self._publish(op, events, ids=[t.id for t in transactions])

    async def correct(
        self,
        user_id: str,
        transaction_id: uuid.UUID,
        changes: TransactionChanges,
        *,
        if_match: int | None = None,
        idempotency_key: str | None = None,
    ) -> Accepted:
        op = _operation(user_id, idempotency_key)
        event = TransactionUpdated(
            event_id=event_id(op, 0),
            user_id=user_id,
            operation_id=op,
            transaction_id=transaction_id,
            changes=changes,
            expected_version=if_match,
        )
        return await self._publish(op, [event])

    async def delete(
        self,
        user_id: str,
        transaction_id: uuid.UUID,
        *,
        if_match: int | None = None,
        idempotency_key: str | None = None,
    ) -> Accepted:
        op = _operation(user_id, idempotency_key)
        event = TransactionDeleted(
            event_id=event_id(op, 0),
            user_id=user_id,
            operation_id=op,
            transaction_id=transaction_id,
            expected_version=if_match,
        )
        return await self._publish(op, [event])

    async def set_budget(
        self, user_id: str, category: str, month: str, limit: BudgetLimit, *, idempotency_key: str | None = None
    ) -> Accepted:
        try:
            fields = {"category": category, "month": month, "currency": limit.currency, "amount": str(limit.amount)}
            budget = Budget.model_validate({**fields, "accounts": limit.accounts})
        except ValidationError as exc:
            raise invalid(exc.errors(include_url=False, include_input=False)) from None
        op = _operation(user_id, idempotency_key)
        return await self._publish(
            op, [BudgetSet(event_id=event_id(op, 0), user_id=user_id, operation_id=op, budget=budget)]
        )

    # -- accounts, transfers and settings: one event each; storage checks them against the stored accounts ----

    async def open_account(self, user_id: str, account: NewAccount) -> Accepted:
        op = new_operation_id(user_id)
        return await self._one(op, AccountOpened, user_id, ids=[account.id], account=account)

    async def change_account(
        self,
        user_id: str,
        account_id: uuid.UUID,
        changes: AccountChanges,
        *,
        if_match: int | None = None,
        idempotency_key: str | None = None,
    ) -> Accepted:
        op = _operation(user_id, idempotency_key)
        fields = {"account_id": account_id, "changes": changes, "expected_version": if_match}
        return await self._one(op, AccountChanged, user_id, **fields)

    async def transfer(self, user_id: str, transfer: NewTransfer) -> Accepted:
        op = new_operation_id(user_id)
        return await self._one(op, TransferCreated, user_id, ids=[transfer.id], transfer=transfer)

    async def delete_transfer(
        self,
        user_id: str,
        transfer_id: uuid.UUID,
        *,
        if_match: int | None = None,
        idempotency_key: str | None = None,
    ) -> Accepted:
        op = _operation(user_id, idempotency_key)
        return await self._one(op, TransferDeleted, user_id, transfer_id=transfer_id, expected_version=if_match)

    async def set_settings(
        self, user_id: str, settings: UserSettings, *, idempotency_key: str | None = None
    ) -> Accepted:
        return await self._one(_operation(user_id, idempotency_key), SettingsSet, user_id, settings=settings)

    async def _one(self, op: uuid.UUID, kind: type, user_id: str, ids: Sequence[uuid.UUID] = (), **fields) -> Accepted:
        event = kind(event_id=event_id(op, 0), user_id=user_id, operation_id=op, **fields)
        return await self._publish(op, [event], ids=ids)

    async def _publish(self, op: uuid.UUID, events: list[AnyEvent], ids: Sequence[uuid.UUID] = ()) -> Accepted:
        try:
            await self._publisher.publish(messages(events, self._topic))
        except BrokerUnavailable:
            named = {"operation": str(op)}
            if len(ids) == 1:
                named["id"] = str(ids[0])
            elif ids:
                named["ids"] = [str(i) for i in ids]  # type: ignore[assignment]
            raise Problem(503, _UNCONFIRMED, headers={"Retry-After": "5"}, **named) from None
        return Accepted(op, events, f"{self._operations}{op}")


def _operation(user_id: str, idempotency_key: str | None) -> uuid.UUID:
    return keyed_operation_id(user_id, idempotency_key) if idempotency_key else new_operation_id(user_id)


def _created(user_id: str, op: uuid.UUID, t: NewTransaction, index: int, size: int) -> TransactionCreated:
    return TransactionCreated(
        event_id=event_id(op, index), user_id=user_id, operation_id=op, operation_size=size, index=index, transaction=t
    )


def messages(events: Sequence[AnyEvent], topic: str) -> list[OutboundMessage]:
    """Keyed by user id: one user's events stay in one partition, in order."""
    return [OutboundMessage(topic=topic, key=e.user_id.encode(), value=encode(e)) for e in events]


def batch_refused(errors: list[dict], total: int) -> Problem:
    """422 for a batch refused whole; `errors` lists each bad item by index with its field errors."""
    return Problem(422, f"{len(errors)} of {total} transactions are invalid; nothing was recorded", errors=errors)
