"""Operations: every accepted write is one, and ends applied or rejected; its id says whose it is.

An operation id is a UUID (version 8, RFC 9562) whose last 32 bits are a tag of the user it was issued to. Until
storage has recorded an outcome nobody knows the operation, so the tag is what lets `GET /api/operations/{id}`
answer "pending" to its owner and 404 to anyone else, without a shared secret or a second database.
An operation's events get ids derived from it, so the same operation published twice is applied once.

Ids are time-ordered, as UUIDv7's are: a new operation's id, and so its events' ids, start with the millisecond it
was issued (48 bits), so the primary-key B-trees of operations and processed events grow at their right edge and
stay in memory, where random ids would touch a page anywhere in the index for every insert.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.problems import Problem

Status = Literal["pending", "applied", "rejected"]
_TAG_BITS = 32
_NAMESPACE = uuid.UUID("0b9e2f4a-6c1d-4e8b-9f3a-5d7c2e1b8a40")
_MS_MASK = (1 << 48) - 1


def _tag(user_id: str) -> int:
    return int.from_bytes(hashlib.sha256(user_id.encode()).digest()[:4], "big")


def _versioned(value: int) -> int:
    value &= ~(0xF << 76)
    value |= 0x8 << 76  # version 8
    value &= ~(0x3 << 62)
    return value | 0x2 << 62  # RFC 9562 variant


def _with_tag(high: int, user_id: str) -> uuid.UUID:
    """A version-8 UUID from 96 bits of `high` and the user's tag."""
    return uuid.UUID(int=_versioned(((high & ((1 << 96) - 1)) << _TAG_BITS) | _tag(user_id)))


def new_operation_id(user_id: str, *, now_ms: int | None = None) -> uuid.UUID:
    """The millisecond (`now_ms`, else the clock's) in the first 48 bits, then random bits, then the user's tag."""
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    return _with_tag(((ms & _MS_MASK) << 48) | secrets.randbits(48), user_id)


def keyed_operation_id(user_id: str, idempotency_key: str) -> uuid.UUID:
    """The same key from the same user always names the same operation: a retried request is the first one."""
    digest = hashlib.sha256(f"{user_id}\x00{idempotency_key}".encode()).digest()
    return _with_tag(int.from_bytes(digest[:12], "big"), user_id)


def issued_to(operation_id: uuid.UUID, user_id: str) -> bool:
    return operation_id.version == 8 and (operation_id.int & ((1 << _TAG_BITS) - 1)) == _tag(user_id)


def event_id(operation_id: uuid.UUID, index: int) -> uuid.UUID:
    """The id of the operation's `index`-th event: derived, so a republished operation is recognised.

    Its first 48 bits are the operation's (a new operation's millisecond), the other 74 a hash of the operation and
    the index (version 8, RFC 9562 variant).
    """
    digest = hashlib.sha256(_NAMESPACE.bytes + operation_id.bytes + index.to_bytes(8, "big")).digest()
    value = (operation_id.int >> 80 << 80) | (int.from_bytes(digest[:10], "big") & ((1 << 80) - 1))
    return uuid.UUID(int=_versioned(value))


# -- outcomes ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    """Why one write was refused, as problem details with a machine-readable `code`."""

    code: Literal["not_found", "conflict", "invalid", "closed", "currency_mismatch", "before_opening"]
    status: int
    detail: str

    def problem(self) -> dict[str, Any]:
        return Problem(self.status, self.detail, code=self.code).to_json()


def not_found(what: str = "transaction") -> Rejection:
    return Rejection("not_found", 404, f"No such {what} among yours: it was never recorded, or it was deleted.")


def conflict(expected: int, current: int) -> Rejection:
    return Rejection(
        "conflict",
        412,
        f"The transaction changed since version {expected} was read; it is at version {current}. "
        "Read it again and send the change with its current ETag.",
    )


def invalid(detail: str) -> Rejection:
    return Rejection("invalid", 422, detail)


@dataclass
class Outcome:
    """What storage did with one operation's events so far (several batches may carry them)."""

    operation_id: uuid.UUID
    user_id: str
    kind: str
    expected: int
    resource: str | None = None
    applied: int = 0
    duplicates: int = 0
    rejected: dict[int, Rejection] = field(default_factory=dict)

    @property
    def processed(self) -> int:
        return self.applied + self.duplicates + len(self.rejected)


def status_of(*, expected: int, processed: int, rejected: int) -> Status:
    if processed < expected:
        return "pending"
    return "rejected" if rejected == expected else "applied"
