"""Kafka and timer triggers, driven locally from each function's own binding."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import azure.functions as func
import orjson
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from croniter import croniter

from cli.runner.index import IndexedFunction, resolve
from functions.kafka import ConsumedEvent
from shared.adapters.kafka.config import consumer_config
from shared.adapters.telemetry.metrics import default as default_metrics
from shared.settings import Settings

log = logging.getLogger("budget.runner.triggers")


def host_max_batch(default: int = 64) -> int:
    """extensions.kafka.maxBatchSize from host.json, as the host reads it (64 is the extension's default)."""
    try:
        host = orjson.loads(Path("host.json").read_bytes())
        return int(host["extensions"]["kafka"]["maxBatchSize"])
    except (OSError, KeyError, TypeError, ValueError, orjson.JSONDecodeError):
        return default


def _invoke(fn: IndexedFunction, argument) -> None:
    result = fn.call(**{fn.trigger["name"]: argument})
    if inspect.isawaitable(result):
        asyncio.run(result)


def _backoff_s(retry: dict | None, attempt: int) -> float:
    low = _seconds((retry or {}).get("minimum_interval") or (retry or {}).get("delay_interval") or "00:00:01")
    high = _seconds((retry or {}).get("maximum_interval") or "00:00:30")
    return min(high, low * 2 ** min(attempt - 1, 16))


def _seconds(hms: str) -> float:
    h, m, s = (float(x) for x in hms.split(":"))
    return h * 3600 + m * 60 + s


def kafka_event(m: Message) -> ConsumedEvent:
    """The event handed to the trigger: the consumed value and its metadata as they are (functions.kafka.inbound reads
    it as it reads the host's envelope, without building one per message to parse it back)."""
    _, ts_ms = m.timestamp()
    headers = tuple((k, v or b"") for k, v in m.headers() or ())
    return ConsumedEvent(
        value=m.value(),
        key=m.key(),
        topic=m.topic(),
        partition=m.partition(),
        offset=m.offset(),
        timestamp_ms=ts_ms,
        headers=headers,
    )


class KafkaTriggerLoop(threading.Thread):
    """Consume, invoke, and commit only after the function succeeded; on failure retry the same batch."""

    def __init__(
        self, fn: IndexedFunction, stop: threading.Event, settings: Settings, *, max_batch: int | None = None
    ) -> None:
        super().__init__(name=f"kafka-{fn.name}", daemon=True)
        self.fn = fn
        self.stop = stop
        self.settings = settings
        many = str(fn.trigger.get("cardinality", "one")).lower() == "many"
        self.max_batch = (max_batch or host_max_batch()) if many else 1
        self.topic = resolve(fn.trigger["topic"], settings)
        self.group = resolve(fn.trigger.get("consumerGroup") or "$Default", settings)
        self.ready = threading.Event()

    def run(self) -> None:
        consumer = Consumer(
            consumer_config(self.settings, group=self.group, role=self.fn.name),
            logger=logging.getLogger("budget.kafka"),
        )
        consumer.subscribe([self.topic], on_assign=lambda *_: self.ready.set(), on_revoke=self._revoked)
        log.info("trigger %s consuming %s as group %s", self.fn.name, self.topic, self.group)
        try:
            while not self.stop.is_set():
                messages = [m for m in self._next_batch(consumer) if not self._is_error(m)]
                if messages and self._deliver(messages):
                    self._commit(consumer, messages)
                    self._note_lag(consumer, messages)
        finally:
            consumer.close()

    def _next_batch(self, consumer: Consumer) -> list[Message]:
        """Wait for the first message only; then take whatever else is already here, up to the batch size.

        consume(n, timeout) would hold a lone message until n arrive or the timeout passes: half a
        second of latency on every query request.
        """
        first = consumer.poll(0.5)
        if first is None:
            return []
        return [first, *consumer.consume(self.max_batch - 1, timeout=0)] if self.max_batch > 1 else [first]

    @staticmethod
    def _is_error(m: Message) -> bool:
        if m.error() is None:
            return False
        if m.error().code() != KafkaError._PARTITION_EOF:
            log.warning("consumer error: %s", m.error())
        return True

    def _deliver(self, messages: list[Message]) -> bool:
        events = [kafka_event(m) for m in messages]
        argument = events if self.max_batch > 1 else events[0]
        attempt = 0
        while not self.stop.is_set():
            try:
                _invoke(self.fn, argument)
                return True
            except Exception as exc:  # noqa: BLE001 - the batch is retried, never dropped
                attempt += 1
                delay = _backoff_s(self.fn.retry, attempt)
                log.warning(
                    "%s failed on %d messages (attempt %d), retrying in %.1fs: %s",
                    self.fn.name,
                    len(messages),
                    attempt,
                    delay,
                    exc,
                )
                self.stop.wait(delay)
        return False  # stopping mid-retry: leave without committing

    def _commit(self, consumer: Consumer, messages: list[Message]) -> None:
        offsets = [TopicPartition(t, p, o + 1) for (t, p), o in last_offsets(messages).items()]
        try:
            consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            # Lost the partition in a rebalance: its new owner re-delivers, and storage is idempotent.
            log.warning("offset commit failed (%s); the new owner will redeliver", exc)

    def _note_lag(self, consumer: Consumer, messages: list[Message]) -> None:
        """The consumer lag gauge's inputs: where the group is, and each partition's end as last fetched."""
        lag = default_metrics().lag
        for (topic, partition), offset in last_offsets(messages).items():
            lag.processed(self.group, topic, partition, offset)
            try:  # cached: librdkafka's last fetch response, no broker round trip
                offsets = consumer.get_watermark_offsets(TopicPartition(topic, partition), cached=True)
            except KafkaException:
                continue
            if offsets:
                lag.high_watermark(topic, partition, offsets[1])

    def _revoked(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        default_metrics().lag.forget(self.group, self.topic, [p.partition for p in partitions])


def last_offsets(messages: list[Message]) -> dict[tuple[str, int], int]:
    """The highest offset of each (topic, partition) in a batch."""
    last: dict[tuple[str, int], int] = {}
    for m in messages:
        last[(m.topic(), m.partition())] = max(last.get((m.topic(), m.partition()), -1), m.offset())
    return last


class TimerRequest(func.TimerRequest):
    def __init__(self, past_due: bool) -> None:
        self._past_due = past_due

    @property
    def past_due(self) -> bool:
        return self._past_due


def ncrontab(schedule: str) -> croniter:
    """NCRONTAB has seconds first (`0 */5 * * * *`); croniter wants them last."""
    fields = schedule.split()
    if len(fields) != 6:
        raise ValueError(f"NCRONTAB schedule needs six fields (sec min hour day month weekday): {schedule!r}")
    return croniter(" ".join(fields[1:] + fields[:1]), datetime.now(UTC))


class TimerTriggerLoop(threading.Thread):
    def __init__(self, fn: IndexedFunction, stop: threading.Event, settings: Settings) -> None:
        super().__init__(name=f"timer-{fn.name}", daemon=True)
        self.fn = fn
        self.stop = stop
        self.schedule = resolve(fn.trigger["schedule"], settings)

    def run(self) -> None:
        times = ncrontab(self.schedule)
        if self.fn.trigger.get("runOnStartup"):
            self._fire(False)
        while not self.stop.is_set():
            due = times.get_next(float)
            if self.stop.wait(max(0.0, due - time.time())):
                return
            self._fire(time.time() - due > 5)

    def _fire(self, past_due: bool) -> None:
        try:
            _invoke(self.fn, TimerRequest(past_due))
        except Exception:  # noqa: BLE001 - the next tick tries again, as the host does
            log.exception("timer function %s failed", self.fn.name)
