"""The full load's own row conversion gives the store exactly the rows the sync's rules give."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shared.adapters.analytics.changes import store_row
from shared.adapters.analytics.load_steps import _after, _store_tuple


@pytest.mark.parametrize(
    ("amount", "day", "account", "splits"),
    [
        (Decimal("12.3400"), dt.date(2025, 3, 4), None, None),
        ("0.001", "2026-12-31", "acc-1", '[{"category": "rent", "amount": "0.001"}]'),  # the SQLite source: text
        (Decimal("999999999999.9999"), dt.date(2024, 2, 29), "acc-2", None),
    ],
)
def test_a_loaded_row_is_the_row_the_sync_would_write(amount, day, account, splits):
    source = ("u", "t", "expense", amount, "KWD", "fun", "note", day, '["a"]', 17, 3, 99, 0, account, splits)

    assert _store_tuple(source) == store_row(source).as_tuple()


def test_pages_resume_after_a_key_in_primary_key_order():
    assert _after(["user_id"]) == "(user_id > :k0)"
    assert _after(["a", "b", "c"]) == "(a > :k0) OR (a = :k0 AND b > :k1) OR (a = :k0 AND b = :k1 AND c > :k2)"
