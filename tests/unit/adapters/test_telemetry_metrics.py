"""The operators' metrics: consumer lag from offsets, dead letters by reason class, alerts, sync lag."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from shared.adapters.kafka.messages import InboundMessage, OutboundMessage, dead_letter
from shared.adapters.mysql.source import SourceHead
from shared.adapters.telemetry.lag import ConsumerLag
from shared.adapters.telemetry.metrics import Metrics, SyncProgress


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def reader():
    return InMemoryMetricReader()


@pytest.fixture
def budget(reader) -> Metrics:
    return Metrics(MeterProvider(metric_readers=[reader]).get_meter("test"), alerts_topic="budget-alerts")


def points(reader, name: str) -> dict[tuple, float]:
    """{sorted attribute items: value} of one metric, as an exporter would see it now."""
    data = reader.get_metrics_data()
    found = {}
    for rm in data.resource_metrics if data else []:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name == name:
                    for p in metric.data.data_points:
                        found[tuple(sorted(p.attributes.items()))] = p.value
    return found


def test_lag_is_the_partitions_ends_minus_the_next_offsets_summed_per_group_and_topic():
    lag = ConsumerLag()
    lag.processed("storage", "transactions", 0, 99)  # next: 100
    lag.processed("storage", "transactions", 1, 9)  # next: 10
    lag.processed("alerts", "transactions", 0, 49)
    lag.high_watermark("transactions", 0, 120)
    lag.high_watermark("transactions", 1, 10)
    assert lag.observe() == {("storage", "transactions"): 20 + 0, ("alerts", "transactions"): 70}


def test_a_redelivered_older_offset_does_not_move_the_group_back():
    lag = ConsumerLag()
    lag.processed("g", "t", 0, 50)
    lag.processed("g", "t", 0, 40)
    lag.high_watermark("t", 0, 60)
    assert lag.observe() == {("g", "t"): 9}


def test_a_partition_without_a_known_end_is_not_guessed_and_an_unknown_end_is_ignored():
    lag = ConsumerLag()
    lag.processed("g", "t", 0, 5)
    lag.high_watermark("t", 0, -1001)  # librdkafka's "invalid offset"
    assert lag.observe() == {}


def test_revoked_or_long_silent_partitions_are_left_to_their_new_owner():
    clock = Clock()
    lag = ConsumerLag(stale_after_s=300, clock=clock)
    for p in (0, 1, 2):
        lag.processed("g", "t", p, 0)
        lag.high_watermark("t", p, 11)
    lag.forget("g", "t", [0])
    clock.now += 200
    lag.attempted("g", "t", 1)  # still retrying a batch: still ours
    clock.now += 200
    assert lag.observe() == {("g", "t"): 10}


def test_the_broker_is_asked_for_the_ends_when_a_reader_is_given():
    asked = []

    def watermarks(partitions):
        asked.append(sorted(partitions))
        return {("t", 0): 30}

    lag = ConsumerLag()
    lag.watermarks = watermarks
    lag.processed("g", "t", 0, 9)
    assert lag.observe() == {("g", "t"): 20}
    assert asked == [[("t", 0)]]


def test_the_lag_gauge_is_labelled_by_group_and_topic(reader, budget):
    budget.lag.processed("storage", "transactions", 3, 4)
    budget.lag.high_watermark("transactions", 3, 8)
    lag = points(reader, "budget.kafka.consumer.lag")
    assert lag == {(("messaging.consumer.group.name", "storage"), ("messaging.destination.name", "transactions")): 3}


def poison(reason: str) -> OutboundMessage:
    original = InboundMessage("transactions", 0, 5, b"u", b"x")
    return dead_letter(original, topic="transactions.dlt", reason=reason)


def test_dead_letters_are_counted_by_reason_class_once_acknowledged(reader, budget):
    budget.published(
        [
            poison("not JSON: unexpected character"),
            poison("schema violation: amount: must be positive"),
            poison("unsupported schema_version 7; expected 1"),
            poison("refused by the database: Data too long"),
            poison("something new"),
            OutboundMessage("transactions", b"u", b"{}"),  # not a dead letter
        ]
    )
    counted = {dict(k)["reason"]: v for k, v in points(reader, "budget.dead_letters").items()}
    assert counted == {"malformed": 1, "schema": 2, "refused": 1, "other": 1}
    assert all(dict(k)["messaging.destination.name"] == "transactions" for k in points(reader, "budget.dead_letters"))


def test_a_reason_class_given_by_the_writer_wins(reader, budget):
    letter = poison("whatever")
    budget.published(
        [OutboundMessage(letter.topic, letter.key, letter.value, (*letter.headers, ("dlt.reason.class", b"too-large")))]
    )
    assert [dict(k)["reason"] for k in points(reader, "budget.dead_letters")] == ["too-large"]


def test_alerts_are_counted_when_the_broker_took_them(reader, budget):
    budget.published([OutboundMessage("budget-alerts", b"u", b"{}")] * 3 + [OutboundMessage("other", b"u", b"{}")])
    assert points(reader, "budget.alerts.delivered") == {(): 3}


def test_sync_lag_is_the_time_since_the_last_run_and_the_changes_mysql_has_beyond_it(reader, budget):
    assert points(reader, "budget.sync.lag") == {}  # no run yet: no reading rather than a made-up one
    heads = []

    def head(watermark: int) -> SourceHead:
        heads.append(watermark)
        return SourceHead(change_seq=watermark + 12, pending_rows=12)

    budget.sync.completed(40, head)
    assert points(reader, "budget.sync.changes_behind") == {(): 12}
    assert heads == [40]
    assert 0 <= points(reader, "budget.sync.lag")[()] < 60


def test_sync_lag_grows_between_runs_and_a_database_away_skips_the_changes_reading():
    clock = Clock()
    progress = SyncProgress(clock=clock)

    def unreachable(_watermark: int) -> SourceHead:
        raise ConnectionError("MySQL is away")

    progress.completed(7, unreachable)
    clock.now += 90
    assert progress.age_s() == 90
    assert progress.behind() is None
