"""The receiver's use cases: turn validated requests into events and hand them to the broker."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pydantic import ValidationError

from shared.adapters.kafka.messages import EventPublisher, OutboundMessage
from shared.domain.events import AnyEvent, BudgetSet, TransactionCreated, TransactionDeleted, TransactionUpdated, encode
from shared.domain.transactions import Budget, BudgetLimit, NewTransaction, TransactionChanges
from shared.problems import Problem, invalid


class Receiver:
    """Every method returns only once the broker has acknowledged the events (acks=all), or raises."""

    def __init__(self, *, publisher: EventPublisher, topic: str) -> None:
        self._publisher = publisher
        self._topic = topic

    async def record(self, user_id: str, transaction: NewTransaction) -> TransactionCreated:
        event = TransactionCreated(user_id=user_id, transaction=transaction)
        await self._publish([event])
        return event

    async def record_batch(self, user_id: str, transactions: Sequence[NewTransaction]) -> list[TransactionCreated]:
        """One batch, one decision: a repeated id refuses the whole batch, naming each repeat by index."""
        seen: dict[uuid.UUID, int] = {}
        errors = []
        for index, t in enumerate(transactions):
            if t.id in seen:
                errors.append({"index": index, "errors": [{"field": "id", "message": f"id repeats item {seen[t.id]}"}]})
            seen.setdefault(t.id, index)
        if errors:
            raise batch_refused(errors, len(transactions))
        events = [TransactionCreated(user_id=user_id, transaction=t) for t in transactions]
        await self._publish(events)
        return events

    async def correct(self, user_id: str, transaction_id: uuid.UUID, changes: TransactionChanges) -> TransactionUpdated:
        event = TransactionUpdated(user_id=user_id, transaction_id=transaction_id, changes=changes)
        await self._publish([event])
        return event

    async def delete(self, user_id: str, transaction_id: uuid.UUID) -> TransactionDeleted:
        event = TransactionDeleted(user_id=user_id, transaction_id=transaction_id)
        await self._publish([event])
        return event

    async def set_budget(self, user_id: str, category: str, month: str, limit: BudgetLimit) -> BudgetSet:
        try:
            fields = {"category": category, "month": month, "currency": limit.currency, "amount": str(limit.amount)}
            budget = Budget.model_validate(fields)
        except ValidationError as exc:
            raise invalid(exc.errors(include_url=False, include_input=False)) from None
        event = BudgetSet(user_id=user_id, budget=budget)
        await self._publish([event])
        return event

    async def _publish(self, events: Sequence[AnyEvent]) -> None:
        await self._publisher.publish(messages(events, self._topic))


def messages(events: Sequence[AnyEvent], topic: str) -> list[OutboundMessage]:
    """Keyed by user id: one user's events stay in one partition, in order."""
    return [OutboundMessage(topic=topic, key=e.user_id.encode(), value=encode(e)) for e in events]


def batch_refused(errors: list[dict], total: int) -> Problem:
    """422 for a batch refused whole; `errors` lists each bad item by index with its field errors."""
    return Problem(422, f"{len(errors)} of {total} transactions are invalid; nothing was recorded", errors=errors)
