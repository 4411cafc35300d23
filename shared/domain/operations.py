"""Operations: every accepted write is one, and ends applied or rejected; its id says whose it is.

An operation id is a UUID (version 8, RFC 9562) whose last 32 bits are a tag of the user it was issued to. Until
storage has recorded an outcome nobody knows the operation, so the tag is what lets `GET /api/operations/{id}`
answer "pending" to its owner and 404 to anyone else, without a shared secret or a second database.
An operation's events get ids derived from it, so the same operation published twice is applied once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.problems import Problem

Status = Literal["pending", "applied", "rejected"]
_TAG_BITS = 32
_NAMESPACE = uuid.UUID("0b9e2f4a-6c1d-4e8b-9f3a-5d7c2e1b8a40")


def _tag(user_id: str) -> int:
    return int.from_bytes(hashlib.sha256(user_id.encode()).digest()[:4], "big")


def _with_tag(high: int, user_id: str) -> uuid.UUID:
    """A version-8 UUID from 96 bits of `high` and the user's tag."""
    value = ((high & ((1 << 96) - 1)) << _TAG_BITS) | _tag(user_id)
    value &= ~(0xF << 76)
    value |= 0x8 << 76  # version 8
    value &= ~(0x3 << 62)
    value |= 0x2 << 62  # RFC 9562 variant
    return uuid.UUID(int=value)


def new_operation_id(user_id: str) -> uuid.UUID:
    return _with_tag(secrets.randbits(96), user_id)


def keyed_operation_id(user_id: str, idempotency_key: str) -> uuid.UUID:
    """The same key from the same user always names the same operation: a retried request is the first one."""
    digest = hashlib.sha256(f"{user_id}\x00{idempotency_key}".encode()).digest()
    return _with_tag(int.from_bytes(digest[:12], "big"), user_id)


def issued_to(operation_id: uuid.UUID, user_id: str) -> bool:
    return operation_id.version == 8 and (operation_id.int & ((1 << _TAG_BITS) - 1)) == _tag(user_id)


def event_id(operation_id: uuid.UUID, index: int) -> uuid.UUID:
    """The id of the operation's `index`-th event: derived, so a republished operation is recognised."""
    return uuid.uuid5(_NAMESPACE, f"{operation_id}:{index}")


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
