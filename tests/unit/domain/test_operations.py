"""Operation and event ids: whose an operation is, the same events for the same operation, and ids that follow time."""

import uuid

from shared.domain.operations import event_id, issued_to, keyed_operation_id, new_operation_id


def test_an_operation_is_known_as_its_users_and_nobody_elses():
    for op in (new_operation_id("alice"), keyed_operation_id("alice", "key-1")):
        assert op.version == 8 and op.variant == uuid.RFC_4122
        assert issued_to(op, "alice")
        assert not issued_to(op, "bob")


def test_the_same_key_names_the_same_operation_and_new_ones_never_repeat():
    assert keyed_operation_id("alice", "k") == keyed_operation_id("alice", "k") != keyed_operation_id("bob", "k")
    ops = {new_operation_id("alice", now_ms=1_790_000_000_000) for _ in range(10_000)}
    assert len(ops) == 10_000  # the same millisecond, the same user: the random bits tell them apart


def test_an_operations_events_have_the_same_ids_each_time_and_differ_from_each_other():
    op = new_operation_id("alice")
    ids = [event_id(op, i) for i in range(100_000)]
    assert ids == [event_id(op, i) for i in range(100_000)]  # republished, recognised
    assert len(set(ids)) == len(ids)
    assert not set(ids) & {event_id(new_operation_id("alice"), i) for i in range(1_000)}
    assert all(i.version == 8 and i.variant == uuid.RFC_4122 for i in ids[:1_000])


def test_later_operations_and_their_events_sort_after_earlier_ones_as_stored():
    earlier = [new_operation_id(f"user-{n}", now_ms=1_790_000_000_000) for n in range(200)]
    later = [new_operation_id(f"user-{n}", now_ms=1_790_000_000_001) for n in range(200)]
    # the stored form is the text: an index on it grows at its right edge
    assert max(str(op) for op in earlier) < min(str(op) for op in later)
    assert max(str(event_id(op, i)) for op in earlier for i in range(5)) < min(
        str(event_id(op, i)) for op in later for i in range(5)
    )
