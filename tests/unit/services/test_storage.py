"""The storage use case against fakes: poison dead-lettered, a refused value isolated, the change feed relayed
after the batch, a broker outage retried, and operations answered only to their owner."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest

from shared.adapters.kafka.messages import InboundMessage
from shared.adapters.kafka.publisher import BrokerUnavailable
from shared.domain.events import TransactionCreated, encode
from shared.domain.operations import new_operation_id
from shared.domain.transactions import NewTransaction
from shared.problems import Problem
from shared.services.storage import Storage
from tests.unit.fakes import FakePublisher, FakeStore


@pytest.fixture
def storage(store: FakeStore, publisher: FakePublisher) -> Storage:
    return Storage(store=store, reads=store, publisher=publisher, dead_letter_topic="dlt", changes_topic="changes")


def message(value: bytes, offset: int) -> InboundMessage:
    return InboundMessage(topic="transactions", partition=0, offset=offset, key=b"u", value=value)


def created(category: str = "food") -> bytes:
    body = {"type": "expense", "amount": "1.00", "currency": "EUR", "category": category, "date": "2026-01-02"}
    return encode(TransactionCreated(user_id="u", transaction=NewTransaction.model_validate(body)))


def test_poison_is_dead_lettered_with_its_reason_and_the_rest_stored(storage, store, publisher):
    outcome = storage.store_messages([message(created(), 0), message(b"{not json", 1), message(created(), 2)])
    assert (outcome.applied, outcome.dead_lettered) == (2, 1)
    (letter,) = publisher.on("dlt")
    assert dict(letter.headers)["dlt.original.offset"] == b"1"
    assert dict(letter.headers)["dlt.reason"].startswith(b"not JSON")


def test_a_value_the_database_refuses_is_isolated_and_only_it_is_dead_lettered(storage, store, publisher):
    store.refuse(lambda e: e.transaction.category == "refused")
    batch = [message(created(), 0), message(created("refused"), 1), message(created(), 2)]
    outcome = storage.store_messages(batch)
    assert (outcome.applied, outcome.dead_lettered) == (2, 1)
    assert store.batches == [3, 1, 1, 1]  # the whole batch first, then one by one, in order
    (letter,) = publisher.on("dlt")
    assert dict(letter.headers)["dlt.original.offset"] == b"1"
    assert b"refused by the database" in dict(letter.headers)["dlt.reason"]


def test_the_batch_s_change_records_are_relayed_keyed_by_user_then_forgotten(storage, store, publisher):
    storage.store_messages([message(created(), 0), message(created(), 1)])
    relayed = publisher.on("changes")
    assert [m.key for m in relayed] == [b"u", b"u"]
    assert [orjson.loads(m.value)["seq"] for m in relayed] == [1, 2]
    assert store.outbox() == []


def test_a_broker_outage_raises_so_the_batch_is_retried_and_nothing_relayed_is_forgotten(storage, store, publisher):
    publisher.down = True
    batch = [message(created(), 0)]
    with pytest.raises(BrokerUnavailable):
        storage.store_messages(batch)
    assert len(store.outbox()) == 1  # committed, not yet relayed: the retry relays it
    publisher.down = False
    assert storage.store_messages(batch).duplicates == 1  # the redelivery changes nothing; the relay goes through
    assert len(publisher.on("changes")) == 1 and store.outbox() == []


def test_an_operation_not_yet_stored_is_pending_to_its_owner_and_unknown_to_anyone_else(storage):
    op = str(new_operation_id("alice"))
    assert storage.get_operation("alice", op)["status"] == "pending"
    for caller, asked in (("bob", op), ("alice", str(uuid.uuid4())), ("alice", "not-an-id")):
        with pytest.raises(Problem) as info:
            storage.get_operation(caller, asked)
        assert info.value.status == 404


def test_waiting_for_an_operation_answers_as_soon_as_its_outcome_is_known(storage, store):
    op = str(new_operation_id("alice"))

    async def scenario():
        waiting = asyncio.create_task(storage.wait_for_operation("alice", op, wait_s=5))
        await asyncio.sleep(0.05)
        store.operations[op] = {
            "id": op,
            "user_id": "alice",
            "kind": "transaction.delete",
            "expected": 1,
            "applied": 0,
            "duplicates": 0,
            "rejected": 1,
            "resource": None,
            "rejections": [(0, {"status": 404, "code": "not_found", "detail": "No such transaction"})],
        }
        return await asyncio.wait_for(waiting, 2)

    answer = asyncio.run(scenario())
    assert answer["status"] == "rejected" and answer["reason"]["code"] == "not_found"
