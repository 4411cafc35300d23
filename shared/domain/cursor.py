"""The keyset cursor of newest-first listings: (booking date, recorded at, id), opaque to clients."""

from __future__ import annotations

import base64
import datetime as dt

import orjson

from shared.problems import Problem

_MAX_RECORDED = 2**63 - 1  # a BIGINT in MySQL and an INTEGER in SQLite


def encode_cursor(booking_date: str | dt.date, recorded_at: int, transaction_id: str) -> str:
    day = booking_date.isoformat() if isinstance(booking_date, dt.date) else booking_date
    raw = orjson.dumps([day, recorded_at, transaction_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.date, int, str]:
    """The position a cursor names, or a 400 Problem: a cursor is only ever one this service handed out."""
    try:
        day, recorded, tid = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(recorded, int) or isinstance(recorded, bool) or not 0 <= recorded <= _MAX_RECORDED:
            raise ValueError("recorded_at out of range")
        return dt.date.fromisoformat(day), recorded, str(tid)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise Problem(400, "cursor is not one this service handed out; start again without it") from None
