"""The keyset cursor handed to clients: it decodes to the position it was made from, and nothing else passes."""

import base64
import uuid
from datetime import date

import orjson
import pytest

from shared.domain.cursor import decode_cursor, encode_cursor
from shared.problems import Problem


def test_a_cursor_decodes_to_the_row_position_it_was_made_from():
    tid = str(uuid.uuid4())
    cursor = encode_cursor(date(2026, 3, 14), 1_773_482_400_123_456, tid)
    assert decode_cursor(cursor) == (date(2026, 3, 14), 1_773_482_400_123_456, tid)


def test_cursors_are_url_safe_without_padding():
    cursor = encode_cursor(date(1999, 12, 31), 1, "?" * 7)
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
        b64(["2026-03-14", 2**63, "id"]),  # would overflow the BIGINT it is compared with
        b64(["2026-03-14", -1, "id"]),
        base64.urlsafe_b64encode(b'["2026-03-14", 1e300, "id"]').decode(),
        b64(["2026-03-14", True, "id"]),
    ],
)
def test_a_cursor_this_service_did_not_hand_out_is_refused_saying_what_to_do(cursor):
    with pytest.raises(Problem, match="start again without it") as refused:
        decode_cursor(cursor)
    assert refused.value.status == 400
