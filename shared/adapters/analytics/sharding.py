"""Which part of a published snapshot holds a user: a stable hash of the user id, cut into N equal ranges.

The working store keeps every user it holds in `users` (user_id, hash, change_seq of the user's newest change),
written by the sync and the load in the same transaction as the rows. A publication asks it two questions, both
index ranges: which users changed after a watermark (`change_seq`), and which users fall in a shard (`hash`).
A shard is a range of the 32-bit hash, not `hash % N`, so the number of shards can change at a full publication
without touching the working store.
"""

from __future__ import annotations

import math
import sqlite3
import zlib
from collections.abc import Iterable

HASH_SPACE = 1 << 32
ROWS_PER_SHARD = 100_000  # a full publication cuts the store into shards of about this many transactions
MAX_SHARDS = 256

UPSERT_USERS = (
    "INSERT INTO users (user_id, hash, change_seq) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
    "change_seq = max(users.change_seq, excluded.change_seq)"
)
# Every table that holds rows of one user (exchange_rates is the one table shared by all users).
USER_TABLES = (
    "transactions",
    "transaction_splits",
    "monthly_totals",
    "budgets",
    "accounts",
    "transfers",
    "account_months",
    "user_settings",
)


def user_hash(user_id: str) -> int:
    """Stable across processes and versions (CRC-32 of the UTF-8 id), unlike Python's hash()."""
    return zlib.crc32(user_id.encode("utf-8"))


def shard_of(hashed: int, shards: int) -> int:
    return hashed * shards >> 32


def hash_range(shard: int, shards: int) -> tuple[int, int]:
    """[low, high) of the hashes in a shard: the inverse of shard_of."""
    return -(-shard * HASH_SPACE // shards), -(-(shard + 1) * HASH_SPACE // shards)


def shard_count(rows: int, rows_per_shard: int = ROWS_PER_SHARD) -> int:
    return max(1, min(MAX_SHARDS, math.ceil(rows / rows_per_shard)))


def touched(pairs: Iterable[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """`users` rows for (user_id, change_seq) pairs: one per user, with its newest change."""
    newest: dict[str, int] = {}
    for user_id, seq in pairs:
        if seq > newest.get(user_id, -1):
            newest[user_id] = seq
    return [(user_id, user_hash(user_id), seq) for user_id, seq in newest.items()]


def note_users(conn: sqlite3.Connection, pairs: Iterable[tuple[str, int]]) -> None:
    """Record in `users` that these users changed (inside the caller's transaction)."""
    rows = touched(pairs)
    if rows:
        conn.executemany(UPSERT_USERS, rows)


# The tables copied from MySQL, each row with its change_seq (splits, totals and months derive from them).
_COPIED = ("transactions", "budgets", "accounts", "transfers", "user_settings")
_ALL_USERS = " UNION ALL ".join(f"SELECT user_id, change_seq FROM {t}" for t in _COPIED)


def backfill_users(conn: sqlite3.Connection) -> None:
    """Fill `users` in a store from before it existed: every user with a row, at the newest change of its rows."""
    note_users(conn, conn.execute(f"SELECT user_id, MAX(change_seq) FROM ({_ALL_USERS}) GROUP BY user_id"))
