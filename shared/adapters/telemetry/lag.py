"""Consumer lag per group and topic: the messages a group has not processed yet, behind each partition's end."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from confluent_kafka import Consumer, KafkaException, TopicPartition

from shared.adapters.kafka.config import client_config
from shared.settings import Settings

log = logging.getLogger(__name__)

Partition = tuple[str, int]  # (topic, partition)
Watermarks = Callable[[Iterable[Partition]], dict[Partition, int]]


class ConsumerLag:
    """What this process's consumers processed, and the partitions' high watermarks, summed per group and topic.

    A partition this process stopped hearing about (moved to another instance in a rebalance, or gone quiet) is
    dropped after `stale_after_s`, so an instance never reports lag for partitions another one owns.
    """

    def __init__(self, *, stale_after_s: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._next: dict[tuple[str, str, int], tuple[int, float]] = {}  # (group, topic, partition) -> (offset, seen)
        self._high: dict[Partition, int] = {}
        self._stale_after_s = stale_after_s
        self._clock = clock
        self.watermarks: Watermarks | None = None  # reads high watermarks from the broker when set

    def processed(self, group: str, topic: str, partition: int, offset: int) -> None:
        """The group processed `offset`: it reads on from offset + 1 (a redelivery never moves it back)."""
        key = (group, topic, partition)
        with self._lock:
            previous = self._next.get(key, (0, 0.0))[0]
            self._next[key] = (max(previous, offset + 1), self._clock())

    def attempted(self, group: str, topic: str, partition: int) -> None:
        """A batch failed and will be retried: the partition is still ours, and its lag still counts."""
        key = (group, topic, partition)
        with self._lock:
            if key in self._next:
                self._next[key] = (self._next[key][0], self._clock())

    def high_watermark(self, topic: str, partition: int, high: int) -> None:
        """The offset the next message written to the partition will get (negative: unknown)."""
        if high >= 0:
            with self._lock:
                self._high[(topic, partition)] = high

    def forget(self, group: str, topic: str, partitions: Iterable[int]) -> None:
        """Partitions revoked from this process's consumer: their new owner reports them."""
        with self._lock:
            for p in partitions:
                self._next.pop((group, topic, p), None)

    def observe(self) -> dict[tuple[str, str], int]:
        """Lag per (group, topic): for each partition, its high watermark minus the next offset to process."""
        now = self._clock()
        with self._lock:
            for key in [k for k, (_, seen) in self._next.items() if now - seen > self._stale_after_s]:
                del self._next[key]
            positions = {key: offset for key, (offset, _) in self._next.items()}
        if self.watermarks is not None and positions:
            for (topic, partition), high in self.watermarks({(t, p) for _, t, p in positions}).items():
                self.high_watermark(topic, partition, high)
        with self._lock:
            highs = dict(self._high)
        lag: dict[tuple[str, str], int] = {}
        for (group, topic, partition), offset in positions.items():
            high = highs.get((topic, partition))
            if high is not None:
                lag[(group, topic)] = lag.get((group, topic), 0) + max(0, high - offset)
        return lag


def broker_watermarks(settings: Settings, *, timeout_s: float = 5.0) -> Watermarks:
    """High watermarks asked of the broker: for hosts whose consumer is not ours to read (the Functions host).

    The client is built on first use, on the metric reader's thread, and never joins a group.
    """
    clients: list[Consumer] = []
    lock = threading.Lock()

    def read(partitions: Iterable[Partition]) -> dict[Partition, int]:
        with lock:
            if not clients:
                conf = client_config(settings, role="lag-reader")
                conf.update({"group.id": "budget-lag-reader", "enable.auto.commit": False})
                clients.append(Consumer(conf))
                clients[0].poll(0)  # serves oauth_cb: Event Hubs' OAUTHBEARER token before the first request
            consumer = clients[0]
            highs: dict[Partition, int] = {}
            for topic, partition in partitions:
                try:
                    offsets = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout_s)
                except KafkaException as exc:
                    log.warning("consumer lag: no high watermark for %s[%d]: %s", topic, partition, exc)
                    continue
                if offsets is not None:
                    highs[(topic, partition)] = offsets[1]
            return highs

    return read
