"""The events webhooks announce, read from the topics that carry them: budget alerts and the change feed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.domain.webhooks import BUDGET_THRESHOLD, IMPORT_COMPLETED


class Poison(Exception):
    """A message that can never be read as what its topic carries."""


@dataclass(frozen=True)
class SourceEvent:
    """Something a user's webhooks may announce; `source_id` names it for good (redeliveries share it)."""

    source_id: str
    user_id: str
    type: str
    data: dict[str, Any]
    occurred_at: dt.datetime | None  # None: the event says not; the time it is recorded stands in


class _Alert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    alert_id: str = Field(min_length=1, max_length=64)
    type: str
    user_id: str = Field(min_length=1, max_length=128)
    category: str
    month: str
    threshold: int
    currency: str
    accounts: list[str] | None = None  # the budget's account set; None: every expense (and alerts from before)
    budget: str
    spent: str
    share_used: str
    detected_at: dt.datetime


class _Operation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64)
    type: str
    status: str
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    matched: int | None = None  # of the applied: rows linked to hand-entered transactions (storage says since 0400)
    resource: str | None = None


class _OperationRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: Literal["operation"]
    seq: int
    user_id: str = Field(min_length=1, max_length=128)
    operation: _Operation


def _object(value: bytes | None) -> dict[str, Any]:
    try:
        parsed = orjson.loads(value or b"")
    except orjson.JSONDecodeError as exc:
        raise Poison(f"not JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise Poison("not a JSON object")
    return parsed


def _validated(model: type[BaseModel], raw: dict[str, Any]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors()[:5])
        raise Poison(f"invalid fields: {fields}") from None


def from_alert(value: bytes | None) -> SourceEvent | None:
    """A budget alert as a `budget.threshold` event; None for other kinds of alert."""
    raw = _object(value)
    if raw.get("type") != "budget.threshold_reached":
        return None
    alert = _validated(_Alert, raw)
    data = alert.model_dump(mode="json", exclude={"type", "user_id"})
    data["detected_at"] = raw["detected_at"]  # as the analyzer wrote it
    return SourceEvent(f"alert:{alert.alert_id}", alert.user_id, BUDGET_THRESHOLD, data, alert.detected_at)


def from_change(value: bytes | None) -> SourceEvent | None:
    """A finished import in the change feed as an `import.completed` event; None for every other record."""
    raw = _object(value)
    if raw.get("kind") != "operation":
        return None
    record = _validated(_OperationRecord, raw)
    op = record.operation
    if op.type != "import" or op.status not in ("applied", "rejected"):
        return None
    left_out = {"id", "type"} | ({"matched"} if op.matched is None else set())
    data = {"operation_id": op.id, **op.model_dump(mode="json", exclude=left_out)}
    return SourceEvent(f"import:{op.id}", record.user_id, IMPORT_COMPLETED, data, None)
