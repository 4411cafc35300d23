"""The receiver's service layer: requests become events; a bad batch is refused whole."""

import asyncio
import uuid

import pytest
from pydantic import ValidationError

from shared.adapters.kafka.publisher import OutboundMessage, Publisher
from shared.domain.events import TransactionCreated, decode
from shared.domain.transactions import MAX_BATCH
from shared.services import receiver as ingest


def item(**overrides) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "type": "expense",
        "amount": "3.20",
        "currency": "EUR",
        "category": "coffee",
        "date": "2026-03-14",
    }
    body.update(overrides)
    return body


def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


def test_a_batch_becomes_one_created_event_per_item_in_order():
    uid = user()
    items = [item() for _ in range(3)]
    events = ingest.created_batch(uid, {"transactions": items})
    assert [str(e.transaction.id) for e in events] == [i["id"] for i in items]
    assert all(isinstance(e, TransactionCreated) and e.user_id == uid for e in events)


def test_a_bare_list_is_accepted_as_a_batch():
    assert len(ingest.created_batch(user(), [item(), item()])) == 2


def test_a_batch_of_exactly_1000_is_accepted():
    assert len(ingest.created_batch(user(), {"transactions": [item() for _ in range(MAX_BATCH)]})) == MAX_BATCH


def test_a_batch_over_1000_is_refused_before_validating_any_item():
    items = [{"not": "a transaction"}] * (MAX_BATCH + 1)
    with pytest.raises(ingest.BatchInvalid, match="at most 1000 transactions; got 1001"):
        ingest.created_batch(user(), {"transactions": items})


@pytest.mark.parametrize(
    "body", [{"transactions": []}, [], {}, None, "transactions", {"transactions": {"a": 1}}, {"items": [{}]}]
)
def test_an_empty_or_shapeless_batch_is_refused_with_the_expected_shape(body):
    with pytest.raises(ingest.BatchInvalid, match=r'send \{"transactions": \[...\]\}') as info:
        ingest.created_batch(user(), body)
    assert info.value.errors == []


def test_every_bad_item_is_reported_by_index_and_nothing_is_accepted():
    items = [item(), item(amount=12.5), item(), item(date="2026-02-30", currency="JPY", amount="1.5"), "junk"]
    with pytest.raises(ingest.BatchInvalid, match="3 of 5 transactions are invalid; nothing was recorded") as info:
        ingest.created_batch(user(), {"transactions": items})
    by_index = {e["index"]: {".".join(map(str, err["loc"])) for err in e["errors"]} for e in info.value.errors}
    assert set(by_index) == {1, 3, 4}
    assert by_index[1] == {"amount"}
    assert {"amount", "date"} <= by_index[3]


def test_item_errors_do_not_echo_the_submitted_values():
    # The errors go back to the caller and into logs; they name fields, not content.
    secret = "IBAN DE89 3704 0044 0532 0130 00"
    with pytest.raises(ingest.BatchInvalid) as info:
        ingest.created_batch(user(), [item(description=secret * 20)])
    assert secret not in repr(info.value.errors)


def test_a_repeated_id_within_a_batch_is_refused_naming_the_first_item():
    same = str(uuid.uuid4())
    items = [item(id=same), item(), item(id=same.upper())]  # the same UUID, whatever its case
    with pytest.raises(ingest.BatchInvalid) as info:
        ingest.created_batch(user(), {"transactions": items})
    assert info.value.errors == [{"index": 2, "errors": [{"loc": ["id"], "msg": "id repeats item 0"}]}]


def test_items_without_ids_get_distinct_ones():
    events = ingest.created_batch(user(), [_without_id(), _without_id()])
    assert events[0].transaction.id != events[1].transaction.id


def _without_id() -> dict:
    body = item()
    del body["id"]
    return body


def test_a_single_transaction_is_validated_like_a_batch_item():
    with pytest.raises(ValidationError):
        ingest.created(user(), item(amount="-1"))


def test_corrections_deletions_and_budgets_carry_the_user_and_target():
    uid, tid = user(), uuid.uuid4()
    updated = ingest.updated(uid, tid, {"category": "rent"})
    deleted = ingest.deleted(uid, tid)
    assert (updated.user_id, updated.transaction_id, updated.changes.category) == (uid, tid, "rent")
    assert (deleted.user_id, deleted.transaction_id) == (uid, tid)


def test_a_budget_takes_category_and_month_from_the_route_not_the_body():
    event = ingest.budget_set(
        user(), "food", "2026-11", {"amount": "300", "currency": "EUR", "category": "other", "month": "1999-01"}
    )
    assert event.budget.to_json() == {"category": "food", "month": "2026-11", "amount": "300.00", "currency": "EUR"}


@pytest.mark.parametrize("body", [None, [], "300", 300])
def test_a_budget_body_that_is_not_an_object_is_refused(body):
    with pytest.raises(ValidationError):
        ingest.budget_set(user(), "food", "2026-11", body)


def test_messages_are_keyed_by_user_id_and_carry_the_encoded_event():
    a, b = user(), user()
    events = ingest.created_batch(a, [item()]) + [ingest.deleted(b, uuid.uuid4())]
    out = ingest.messages(events, "transactions-test")
    assert [m.key for m in out] == [a.encode(), b.encode()]
    assert {m.topic for m in out} == {"transactions-test"}
    assert [decode(m.value) for m in out] == events


class RecordingPublisher(Publisher):
    """A broker that acknowledges everything and remembers what it was given."""

    def __init__(self) -> None:  # no Producer: nothing to connect to in a unit test
        self.published: list[list[OutboundMessage]] = []

    async def publish(self, messages):
        self.published.append(list(messages))


def test_publish_hands_all_events_to_the_broker_in_one_call():
    publisher = RecordingPublisher()
    events = ingest.created_batch(user(), [item(), item()])
    asyncio.run(ingest.publish(events, publisher=publisher, topic="t"))
    assert publisher.published == [ingest.messages(events, "t")]
