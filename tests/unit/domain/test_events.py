"""The wire form of the transactions topic: what the receiver writes, storage can read back."""

import uuid

import orjson
import pytest

from shared.domain.events import (
    SCHEMA_VERSION,
    BudgetSet,
    PoisonMessage,
    TransactionCreated,
    TransactionDeleted,
    TransactionUpdated,
    decode,
    encode,
)
from shared.domain.transactions import Budget, NewTransaction, TransactionChanges


def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


def new_transaction(**overrides) -> NewTransaction:
    body = {
        "id": str(uuid.uuid4()),
        "type": "expense",
        "amount": "12.50",
        "currency": "EUR",
        "category": "groceries",
        "description": "Käse & 🧀",
        "date": "2026-03-14",
        "tags": ["food"],
        **overrides,
    }
    return NewTransaction.model_validate(body)


def every_event():
    return [
        TransactionCreated(user_id=user(), transaction=new_transaction()),
        TransactionCreated(
            user_id=user(), transaction=new_transaction(amount="1000", currency="JPY", description=None)
        ),
        TransactionUpdated(
            user_id=user(),
            transaction_id=uuid.uuid4(),
            changes=TransactionChanges.model_validate({"amount": "9.9", "currency": "KWD", "tags": None}),
        ),
        TransactionDeleted(user_id=user(), transaction_id=uuid.uuid4()),
        BudgetSet(
            user_id=user(),
            budget=Budget.model_validate({"category": "food", "month": "2026-11", "amount": "300", "currency": "EUR"}),
        ),
    ]


@pytest.mark.parametrize("event", every_event(), ids=lambda e: e.event_type)
def test_every_event_survives_the_round_trip(event):
    wire = encode(event)
    back = decode(wire)
    assert type(back) is type(event)
    assert back == event
    assert encode(back) == wire


@pytest.mark.parametrize("event", every_event(), ids=lambda e: e.event_type)
def test_the_wire_form_is_versioned_json_with_amounts_as_strings(event):
    data = orjson.loads(encode(event))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["event_type"] == event.event_type
    assert data["user_id"] == event.user_id
    assert data["event_id"] == str(event.event_id)
    amounts = [part["amount"] for part in (data.get("transaction"), data.get("changes"), data.get("budget")) if part]
    assert all(isinstance(a, str) for a in amounts)


def test_only_the_changed_fields_travel_in_a_correction():
    event = TransactionUpdated(
        user_id=user(), transaction_id=uuid.uuid4(), changes=TransactionChanges.model_validate({"category": "rent"})
    )
    assert orjson.loads(encode(event))["changes"] == {"category": "rent"}
    assert decode(encode(event)).changes.model_fields_set == {"category"}


def test_decode_accepts_text_as_well_as_bytes():
    event = TransactionDeleted(user_id=user(), transaction_id=uuid.uuid4())
    assert decode(encode(event).decode()) == event


def test_an_event_carries_its_operation_and_its_place_in_it_through_the_wire():
    operation = uuid.uuid4()
    event = TransactionDeleted(
        user_id=user(),
        transaction_id=uuid.uuid4(),
        operation_id=operation,
        operation_size=3,
        index=2,
        expected_version=7,
    )
    back = decode(encode(event))
    assert (back.operation_id, back.operation_size, back.index, back.expected_version) == (operation, 3, 2, 7)
    assert back.version is None  # versions are storage's now: the receiver's clock is not on the wire


def test_an_event_from_before_operations_still_decodes_and_its_clock_version_is_ignored():
    data = orjson.loads(encode(TransactionDeleted(user_id=user(), transaction_id=uuid.uuid4())))
    old = decode(orjson.dumps({**data, "version": 1_764_000_000_000_000}))
    assert old.operation_id is None and old.version == 1_764_000_000_000_000


def wire(**overrides) -> bytes:
    data = orjson.loads(encode(TransactionCreated(user_id=user(), transaction=new_transaction())))
    for key, value in overrides.items():
        if value is ...:
            data.pop(key)
        else:
            data[key] = value
    return orjson.dumps(data)


def poison_reason(raw) -> str:
    with pytest.raises(PoisonMessage) as info:
        decode(raw)
    return str(info.value)


@pytest.mark.parametrize("raw", [None, b"", ""])
def test_empty_messages_are_poison(raw):
    assert "empty" in poison_reason(raw)


@pytest.mark.parametrize("raw", [b"{", b"not json", b"\xff\xfe", b"{'single': 'quotes'}", b"   "])
def test_non_json_is_poison(raw):
    assert "not JSON" in poison_reason(raw)


@pytest.mark.parametrize("raw", [b"[]", b"[1, 2]", b'"text"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object_is_poison(raw):
    assert "not a JSON object" in poison_reason(raw)


@pytest.mark.parametrize("version", [2, 0, "1", None, ...])
def test_an_unknown_or_missing_schema_version_is_poison(version):
    reason = poison_reason(wire(schema_version=version))
    assert "schema_version" in reason
    assert "expected 1" in reason


def test_a_created_event_without_its_transaction_id_is_poison():
    data = orjson.loads(wire())
    del data["transaction"]["id"]
    assert "transaction.id is required" in poison_reason(orjson.dumps(data))


def test_an_unknown_event_type_is_poison():
    reason = poison_reason(wire(event_type="transaction.archived"))
    assert "schema violation" in reason
    assert "transaction.archived" in reason


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("user_id", 42, "user_id"),
        ("user_id", "", "user_id"),
        ("user_id", "u" * 129, "user_id"),
        ("version", "soon", "version"),
        ("version", 0, "version"),
        ("event_id", "not-a-uuid", "event_id"),
        ("transaction", "a transaction", "transaction"),
        ("user_id", ..., "user_id"),
    ],
)
def test_wrong_types_and_missing_fields_are_poison_naming_the_field(field, value, named):
    reason = poison_reason(wire(**{field: value}))
    assert reason.startswith("schema violation")
    assert named in reason


def test_an_invalid_amount_inside_an_event_is_poison_naming_its_path():
    data = orjson.loads(wire())
    data["transaction"]["amount"] = 12.5
    reason = poison_reason(orjson.dumps(data))
    assert "transaction.amount" in reason


def test_unknown_fields_in_an_event_are_poison():
    assert "surprise" in poison_reason(wire(surprise=True))
