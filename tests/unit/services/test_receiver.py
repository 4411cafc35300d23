"""The receiver's use cases: validated requests become events, handed to the broker in one call."""

import asyncio
import uuid

import pytest

from shared.adapters.kafka.messages import OutboundMessage
from shared.domain.events import decode, encode
from shared.domain.transactions import BudgetLimit, NewTransaction, TransactionChanges
from shared.problems import Problem
from shared.services.receiver import Receiver, messages
from tests.unit.fakes import FakePublisher


def item(**overrides) -> NewTransaction:
    body = {
        "id": str(uuid.uuid4()),
        "type": "expense",
        "amount": "3.20",
        "currency": "EUR",
        "category": "coffee",
        "date": "2026-03-14",
    }
    body.update(overrides)
    return NewTransaction.model_validate(body)


def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def receiver(publisher) -> Receiver:
    return Receiver(publisher=publisher, topic="transactions-test")


def run(coro):
    return asyncio.run(coro)


def test_a_batch_becomes_one_created_event_per_item_in_order_in_one_publish(receiver, publisher):
    uid, items = user(), [item() for _ in range(3)]
    accepted = run(receiver.record_batch(uid, items))
    events = accepted.events
    assert [e.transaction.id for e in events] == [i.id for i in items]
    assert all(e.user_id == uid and e.operation_id == accepted.operation_id for e in events)
    assert [(e.index, e.operation_size) for e in events] == [(0, 3), (1, 3), (2, 3)]
    assert [decode(m.value) for m in publisher.sent] == events


def test_a_repeated_id_within_a_batch_refuses_the_batch_naming_the_first_item(receiver, publisher):
    same = uuid.uuid4()
    items = [item(id=str(same)), item(), item(id=str(same).upper())]  # the same UUID, whatever its case
    with pytest.raises(Problem) as info:
        run(receiver.record_batch(user(), items))
    assert info.value.status == 422
    assert info.value.detail == "1 of 3 transactions are invalid; nothing was recorded"
    assert info.value.extra["errors"] == [{"index": 2, "errors": [{"field": "id", "message": "id repeats item 0"}]}]
    assert publisher.sent == []


def test_items_without_ids_get_distinct_ones():
    a = NewTransaction.model_validate({k: v for k, v in item().to_json().items() if k != "id"})
    b = NewTransaction.model_validate({k: v for k, v in item().to_json().items() if k != "id"})
    assert a.id != b.id


def test_corrections_deletions_and_budgets_carry_the_user_and_target(receiver, publisher):
    uid, tid = user(), uuid.uuid4()
    (updated,) = run(receiver.correct(uid, tid, TransactionChanges.model_validate({"category": "rent"}))).events
    (deleted,) = run(receiver.delete(uid, tid, if_match=3)).events
    assert deleted.expected_version == 3
    assert (updated.user_id, updated.transaction_id, updated.changes.category) == (uid, tid, "rent")
    assert (deleted.user_id, deleted.transaction_id) == (uid, tid)
    assert [decode(m.value) for m in publisher.sent] == [updated, deleted]


def test_a_budget_takes_category_and_month_from_the_route(receiver):
    limit = BudgetLimit.model_validate({"amount": "300", "currency": "EUR"})
    (event,) = run(receiver.set_budget(user(), "food", "2026-11", limit)).events
    expected = {"category": "food", "month": "2026-11", "amount": "300.00", "currency": "EUR", "accounts": None}
    assert event.budget.to_json() == expected


def test_a_budget_carries_its_account_set_sorted(receiver):
    a, b = sorted(str(uuid.uuid4()) for _ in range(2))
    limit = BudgetLimit.model_validate({"amount": "300", "currency": "EUR", "accounts": [b, a]})
    (event,) = run(receiver.set_budget(user(), "food", "2026-11", limit)).events
    assert event.budget.to_json()["accounts"] == [a, b]
    assert decode(encode(event)).budget.account_ids() == [a, b]


@pytest.mark.parametrize(("category", "month", "field"), [("food", "2026-13", "month"), ("a/b", "2026-11", "category")])
def test_a_budget_for_a_bad_route_is_422_naming_the_field(receiver, publisher, category, month, field):
    limit = BudgetLimit.model_validate({"amount": "300", "currency": "EUR"})
    with pytest.raises(Problem) as info:
        run(receiver.set_budget(user(), category, month, limit))
    assert info.value.status == 422
    assert [e["field"] for e in info.value.extra["errors"]] == [field]
    assert publisher.sent == []


def test_messages_are_keyed_by_user_id_and_carry_the_encoded_event(receiver):
    a, b = user(), user()
    events = [*run(receiver.record_batch(a, [item()])).events, *run(receiver.delete(b, uuid.uuid4())).events]
    out = messages(events, "transactions-test")
    assert [m.key for m in out] == [a.encode(), b.encode()]
    assert {m.topic for m in out} == {"transactions-test"}
    assert [decode(m.value) for m in out] == events
    assert all(isinstance(m, OutboundMessage) for m in out)


def test_the_same_idempotency_key_names_the_same_operation_and_the_same_event(receiver):
    uid, tid = user(), uuid.uuid4()
    first = run(receiver.delete(uid, tid, idempotency_key="k-1"))
    again = run(receiver.delete(uid, tid, idempotency_key="k-1"))
    other = run(receiver.delete(uid, tid, idempotency_key="k-2"))
    assert first.operation_id == again.operation_id != other.operation_id
    assert first.events[0].event_id == again.events[0].event_id  # storage applies it once


def test_a_create_the_broker_does_not_confirm_is_503_naming_the_id_and_the_operation(receiver, publisher):
    publisher.down = True
    t = item()
    with pytest.raises(Problem) as info:
        run(receiver.record(user(), t))
    assert info.value.status == 503 and info.value.headers["Retry-After"] == "5"
    assert info.value.extra["id"] == str(t.id) and uuid.UUID(info.value.extra["operation"])


def test_the_operation_is_located_on_the_storage_app_when_it_is_another_one(publisher):
    here = run(Receiver(publisher=publisher, topic="t").record(user(), item()))
    assert here.location == f"/api/operations/{here.operation_id}"
    apart = Receiver(publisher=publisher, topic="t", operations_base_url="https://budget-storage.example/")
    there = run(apart.record(user(), item()))
    assert there.location == f"https://budget-storage.example/api/operations/{there.operation_id}"
