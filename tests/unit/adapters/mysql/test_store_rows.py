"""Pure parts of the store: which columns a correction writes."""

import uuid

from shared.adapters.mysql.store import _change_values
from shared.domain.events import TransactionUpdated
from shared.domain.transactions import TransactionChanges


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
