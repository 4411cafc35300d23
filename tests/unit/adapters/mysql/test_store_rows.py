"""Pure parts of the store: page cursors handed to clients, and which columns a correction writes."""

import base64
import uuid
from datetime import date

import orjson
import pytest

from shared.adapters.mysql.store import BadCursor, _change_values, decode_cursor, encode_cursor
from shared.domain.events import TransactionUpdated
from shared.domain.transactions import TransactionChanges


def test_a_cursor_decodes_to_the_row_position_it_was_made_from():
    tid = str(uuid.uuid4())
    cursor = encode_cursor({"booking_date": date(2026, 3, 14), "recorded_at": 1_773_482_400_123_456, "id": tid})
    assert decode_cursor(cursor) == (date(2026, 3, 14), 1_773_482_400_123_456, tid)


def test_cursors_are_url_safe_without_padding():
    cursor = encode_cursor({"booking_date": date(1999, 12, 31), "recorded_at": 1, "id": "?" * 7})
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64(value) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        "é",
        "%%%",
        b64(None),
        b64([]),
        b64(["2026-03-14", 1]),
        b64(["2026-03-14", 1, "id", "extra"]),
        b64(["14.03.2026", 1, "id"]),
        b64(["2026-03-14", "soon", "id"]),
        b64(["2026-03-14", None, "id"]),
        b64([20260314, 1, "id"]),
        b64({"a": 1}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_cursor_this_service_did_not_hand_out_is_refused_saying_what_to_do(cursor):
    with pytest.raises(BadCursor, match="start again without it"):
        decode_cursor(cursor)


def changes(body: dict) -> TransactionUpdated:
    return TransactionUpdated(user_id="u", transaction_id=uuid.uuid4(), changes=TransactionChanges.model_validate(body))


def test_a_correction_writes_only_the_columns_it_names():
    assert _change_values(changes({"category": "rent"})) == {"category": "rent"}


def test_correction_values_are_written_in_column_form():
    values = _change_values(
        changes(
            {
                "type": "income",
                "amount": "9.9",
                "currency": "kwd",
                "date": "2026-02-28",
                "tags": [" a ", "a", "b"],
                "description": "refund",
            }
        )
    )
    assert values == {
        "type": "income",
        "amount": "9.900",
        "currency": "KWD",
        "booking_date": "2026-02-28",
        "tags": '["a","b"]',
        "description": "refund",
    }


def test_clearing_tags_and_description_writes_empty_values():
    assert _change_values(changes({"tags": None, "description": None})) == {"tags": "[]", "description": None}
