"""Which part of a published snapshot holds a user, and which users changed since the last publication.

The working store keeps every user it holds in `users` (user_id, hash), written once per user, and a log of the
user each change was for in `user_changes`, appended to in the sync's transaction: a publication reads the log
after the last published watermark (a range of its key) and prunes it. Both cost a change next to nothing: an
index lookup, and a row appended at the end of a B-tree. A shard is a range of the 32-bit hash, not `hash % N`,
so the number of shards can change at a full publication without touching the working store.
"""

from __future__ import annotations

import math
import sqlite3
import zlib
from collections.abc import Iterable

HASH_SPACE = 1 << 32
ROWS_PER_SHARD = 100_000  # a full publication cuts the store into shards of about this many transactions
MAX_SHARDS = 256
LOG_KEEP = 1_000_000  # sequences the log reaches back at most when nothing publishes (a publication prunes it)

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


def note_users(conn: sqlite3.Connection, pairs: Iterable[tuple[str, int]], *, log: bool = True) -> None:
    """Record, inside the caller's transaction, the users of these (user_id, change_seq) changes: each user once in
    `users`, and (unless `log` is off, as in a full load, which a full publication follows) each change in the log."""
    pairs = list(pairs)
    conn.executemany(
        "INSERT OR IGNORE INTO users (user_id, hash) VALUES (?, ?)", [(u, user_hash(u)) for u in {u for u, _ in pairs}]
    )
    if log:
        conn.executemany(
            "INSERT OR REPLACE INTO user_changes (change_seq, user_id) VALUES (?, ?)", [(s, u) for u, s in pairs]
        )


def changed_since(conn: sqlite3.Connection, after: int) -> list[str]:
    """Users with a change above `after`, the log's own key range."""
    rows = conn.execute("SELECT DISTINCT user_id FROM user_changes WHERE change_seq > ? ORDER BY user_id", (after,))
    return [r[0] for r in rows]


def forget_changes(conn: sqlite3.Connection, through: int) -> None:
    """Drop the log up to `through` (inside the caller's transaction): nothing will ask about those changes again,
    and a publication after a watermark below `log_from` knows the log no longer reaches back that far."""
    conn.execute("DELETE FROM user_changes WHERE change_seq <= ?", (through,))
    conn.execute("UPDATE sync_state SET log_from = max(log_from, ?) WHERE id = 1", (through,))


_COPIED = ("transactions", "budgets", "accounts", "transfers", "user_settings")


def backfill_users(conn: sqlite3.Connection) -> None:
    """Fill `users` in a store from before it existed: every user with a row in a table copied from MySQL."""
    rows = conn.execute(" UNION ".join(f"SELECT user_id FROM {t}" for t in _COPIED))
    conn.executemany("INSERT OR IGNORE INTO users (user_id, hash) VALUES (?, ?)", ((u, user_hash(u)) for (u,) in rows))
