"""Webhooks as the product knows them: which events an endpoint may ask for, how a delivery is retried and for
how long, and the records an endpoint and its deliveries are kept as."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

BUDGET_THRESHOLD = "budget.threshold"
IMPORT_COMPLETED = "import.completed"
EVENT_TYPES = (BUDGET_THRESHOLD, IMPORT_COMPLETED)
OPEN = ("pending", "failing")  # a delivery still to be attempted

# After the first attempt fails: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (27.6 h in all), then given up.
RETRY_DELAYS = tuple(dt.timedelta(seconds=s) for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600))
DISABLE_AFTER = dt.timedelta(hours=24)  # an endpoint whose every delivery failed this long is disabled
LEASE = dt.timedelta(seconds=60)  # longer than any one attempt (the sender's timeout is 10 s)
MAX_PER_USER = 20
_NAMESPACE = uuid.UUID("3c6f1f0e-2b7a-4d1e-8a5c-9e0d4b7a2f61")


class NewWebhook(BaseModel):
    """An endpoint to register: where to send, and which events."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048, description="https URL of a public host")
    events: list[str] = Field(
        min_length=1,
        max_length=8,
        description="Event types to receive",
        json_schema_extra={"items": {"type": "string", "enum": list(EVENT_TYPES)}},
    )

    @field_validator("events")
    @classmethod
    def _known(cls, events: list[str]) -> list[str]:
        # Checked as a whole, so the refusal names the field `events` and every type there is.
        unknown = [e for e in events if e not in EVENT_TYPES]
        if unknown:
            raise ValueError(f"unknown event type {', '.join(map(repr, unknown))}; known: {', '.join(EVENT_TYPES)}")
        return list(dict.fromkeys(events))


def message_id(source_id: str, webhook_id: str) -> str:
    """The webhook-id of one event for one endpoint: the same on every retry, and if the event is read again."""
    return "msg_" + uuid.uuid5(_NAMESPACE, f"{source_id}\x00{webhook_id}").hex


def next_attempt(attempts: int, at: dt.datetime) -> dt.datetime | None:
    """When to try again after `attempts` failed attempts; None: give up."""
    return at + RETRY_DELAYS[attempts - 1] if attempts <= len(RETRY_DELAYS) else None


@dataclass(frozen=True)
class Webhook:
    id: str
    user_id: str
    url: str
    events: tuple[str, ...]
    secret: str
    status: str
    disabled_reason: str | None
    disabled_at: dt.datetime | None
    failing_since: dt.datetime | None
    created_at: dt.datetime


@dataclass(frozen=True)
class NewDelivery:
    id: str
    webhook_id: str
    event_type: str
    source_id: str
    payload: bytes
    created_at: dt.datetime


@dataclass(frozen=True)
class Delivery:
    id: str
    webhook_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None


@dataclass(frozen=True)
class Attempt:
    """A claimed delivery with what sending it needs; `webhook_status` None: the endpoint was deleted."""

    delivery_id: str
    webhook_id: str
    payload: bytes
    attempts: int
    url: str | None
    secret: str | None
    webhook_status: str | None
    failing_since: dt.datetime | None


@dataclass(frozen=True)
class AttemptResult:
    delivery_id: str
    webhook_id: str
    status: str
    attempts: int
    status_code: int | None
    error: str | None
    next_attempt_at: dt.datetime | None
    at: dt.datetime
    disable_reason: str | None = None  # set: disable the endpoint and give up what it still has pending
