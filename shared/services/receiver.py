"""The receiver's service layer: turn validated requests into events and hand them to the broker."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from shared.adapters.kafka.publisher import OutboundMessage, Publisher
from shared.domain.events import BudgetSet, TransactionCreated, TransactionDeleted, TransactionUpdated, encode
from shared.domain.transactions import MAX_BATCH, Budget, NewTransaction, TransactionChanges

AnyEvent = TransactionCreated | TransactionUpdated | TransactionDeleted | BudgetSet


class BatchInvalid(ValueError):
    """A batch refused whole: `errors` says what is wrong with each bad item, by index."""

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.errors = errors


def created(user_id: str, body: Any) -> TransactionCreated:
    return TransactionCreated(user_id=user_id, transaction=NewTransaction.model_validate(body))


def created_batch(user_id: str, body: Any) -> list[TransactionCreated]:
    """Validate every item first; one bad item refuses the batch, naming each bad item."""
    items = body.get("transactions") if isinstance(body, dict) else body
    if not isinstance(items, list) or not items:
        raise BatchInvalid('send {"transactions": [...]} with 1 to 1000 transactions', [])
    if len(items) > MAX_BATCH:
        raise BatchInvalid(f"a batch holds at most {MAX_BATCH} transactions; got {len(items)}", [])
    events: list[TransactionCreated] = []
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        try:
            event = created(user_id, item)
        except ValidationError as exc:
            errors.append(
                {"index": index, "errors": exc.errors(include_url=False, include_context=False, include_input=False)}
            )
            continue
        key = str(event.transaction.id)
        if key in seen:
            errors.append({"index": index, "errors": [{"loc": ["id"], "msg": f"id repeats item {seen[key]}"}]})
            continue
        seen[key] = index
        events.append(event)
    if errors:
        raise BatchInvalid(f"{len(errors)} of {len(items)} transactions are invalid; nothing was recorded", errors)
    return events


def updated(user_id: str, transaction_id: uuid.UUID, body: Any) -> TransactionUpdated:
    return TransactionUpdated(
        user_id=user_id, transaction_id=transaction_id, changes=TransactionChanges.model_validate(body)
    )


def deleted(user_id: str, transaction_id: uuid.UUID) -> TransactionDeleted:
    return TransactionDeleted(user_id=user_id, transaction_id=transaction_id)


def budget_set(user_id: str, category: str, month: str, body: Any) -> BudgetSet:
    if not isinstance(body, dict):
        body = {"amount": None}
    fields = {k: v for k, v in body.items() if k not in ("category", "month")}
    return BudgetSet(user_id=user_id, budget=Budget.model_validate({**fields, "category": category, "month": month}))


def messages(events: Sequence[AnyEvent], topic: str) -> list[OutboundMessage]:
    """Keyed by user id: one user's events stay in one partition, in order."""
    return [OutboundMessage(topic=topic, key=e.user_id.encode(), value=encode(e)) for e in events]


async def publish(events: Sequence[AnyEvent], *, publisher: Publisher, topic: str) -> None:
    """Returns only once the broker has acknowledged every event (acks=all)."""
    await publisher.publish(messages(events, topic))
