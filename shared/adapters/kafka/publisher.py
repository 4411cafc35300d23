"""An acknowledged publisher: a call returns only once the broker has taken every message, or raises."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable, Sequence

from confluent_kafka import KafkaError, KafkaException, Producer

from shared.adapters.kafka.messages import OutboundMessage
from shared.adapters.telemetry.spans import publishing

log = logging.getLogger(__name__)


class BrokerUnavailable(RuntimeError):
    """The broker did not acknowledge in time: nothing may be reported as accepted."""


# Errors after which an idempotent producer never recovers by itself: librdkafka's advice is to
# replace the instance (a new producer id). Tansu, for one, fences the epoch bump that follows a
# delivery timeout, so without this a broker hiccup would leave the receiver answering 503 forever.
_REPLACE_PRODUCER = frozenset(
    {
        KafkaError._FATAL,
        KafkaError.PRODUCER_FENCED,
        KafkaError.INVALID_PRODUCER_EPOCH,
        KafkaError.UNKNOWN_PRODUCER_ID,
        KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER,
        KafkaError.INVALID_PRODUCER_ID_MAPPING,
        # A restarted Tansu that forgot the producer id can leave librdkafka retrying UNKNOWN_PRODUCER_ID
        # until every message times out, for ever (seen in proofs.outage): a fresh producer gets a new id.
        KafkaError._MSG_TIMED_OUT,
    }
)


def _unrecoverable(err: KafkaError) -> bool:
    return err.fatal() or err.code() in _REPLACE_PRODUCER


class _Acks:
    """Counts delivery reports for one call and wakes its waiter when the last one arrives."""

    __slots__ = ("remaining", "error", "_wake", "_on_broken")

    def __init__(self, count: int, wake, on_broken) -> None:
        self.remaining = count
        self.error: KafkaError | None = None
        self._wake = wake
        self._on_broken = on_broken

    def __call__(self, err: KafkaError | None, _msg) -> None:  # runs in whichever thread called poll()
        if err is not None and self.error is None:
            self.error = err
        if err is not None and _unrecoverable(err):
            self._on_broken()
        self.remaining -= 1
        if self.remaining == 0:
            self._wake()


class Publisher:
    """One confluent-kafka Producer per process.

    Async callers are served by a pump task on their own event loop that calls poll(): delivery
    reports then resolve futures in the loop's thread, with no cross-thread wake-up per request (a
    background poll thread cost ~3x throughput in GIL hand-offs). Blocking callers poll themselves.
    """

    _PUMP_INTERVAL_S = 0.0005

    def __init__(self, config: dict) -> None:
        self._config = {**config, "error_cb": self._on_error}
        self._producer = Producer(self._config)
        self._broken = False
        self._swap = threading.Lock()
        self._timeout_s = config.get("message.timeout.ms", 10_000) / 1000
        self._inflight = 0  # async deliveries awaited on the pump's loop
        self._topics: set[str] = set()
        self._topics_at = 0.0
        self._pump: asyncio.Task | None = None

    def _on_error(self, err: KafkaError) -> None:
        if _unrecoverable(err):
            self._mark_broken()
        else:
            log.warning("kafka: %s", err)

    def _mark_broken(self) -> None:
        self._broken = True

    def _replace_if_broken(self) -> None:
        """Swap in a fresh producer after an unrecoverable error; the old one's waiters get errors."""
        with self._swap:
            if not self._broken:
                return
            old, self._producer = self._producer, Producer(self._config)
            self._broken = False
        log.warning("replaced the Kafka producer after an unrecoverable error")
        old.purge()
        old.flush(0)

    def _enqueue(self, messages: Sequence[OutboundMessage], acks: _Acks) -> None:
        self._replace_if_broken()
        for m in messages:
            while True:
                try:
                    self._producer.produce(m.topic, m.value, m.key, headers=list(m.headers) or None, on_delivery=acks)
                    break
                except BufferError:
                    # The local queue is full: serve delivery reports to make room, then go on.
                    self._producer.poll(0.01)
                except KafkaException as exc:
                    # A producer in a fatal state refuses every produce() at once, and with nothing in flight
                    # nobody polls it to hear error_cb: mark it here, or it would answer 503 for ever.
                    if _unrecoverable(exc.args[0]):
                        self._mark_broken()
                    raise BrokerUnavailable(f"the broker refused the message: {exc}") from exc

    async def _run_pump(self) -> None:
        try:
            while self._inflight > 0:
                try:
                    self._producer.poll(0)
                except KafkaException as exc:
                    # poll() raises a fatal error (UNKNOWN_PRODUCER_ID after a broker lost its state) instead
                    # of only reporting it: note it, so the next call replaces the producer, and keep pumping.
                    self._on_error(exc.args[0])
                await asyncio.sleep(self._PUMP_INTERVAL_S)
        finally:
            # A pump that died without clearing this would never be restarted: every later call would time out.
            self._pump = None

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        """Produce every message and wait (without blocking the event loop) for all acknowledgements."""
        if not messages:
            return
        with publishing(messages) as traced:  # a PRODUCER span; each message carries its context
            await self._publish(traced)

    async def _publish(self, messages: Sequence[OutboundMessage]) -> None:
        done = asyncio.get_running_loop().create_future()
        acks = _Acks(len(messages), lambda: done.done() or done.set_result(None), self._mark_broken)
        self._enqueue(messages, acks)
        self._inflight += 1
        if self._pump is None:
            self._pump = asyncio.ensure_future(self._run_pump())
        try:
            # librdkafka fails each message by message.timeout.ms; the margin covers the pump's cadence.
            await asyncio.wait_for(done, self._timeout_s + 5)
        except TimeoutError:
            raise BrokerUnavailable("the broker did not acknowledge in time") from None
        finally:
            self._inflight -= 1
        self._raise_for(acks)

    def publish_blocking(self, messages: Sequence[OutboundMessage]) -> None:
        """The same guarantee for synchronous callers (consumers writing dead letters)."""
        if not messages:
            return
        with publishing(messages) as traced:
            self._publish_blocking(traced)

    def _publish_blocking(self, messages: Sequence[OutboundMessage]) -> None:
        done = threading.Event()
        acks = _Acks(len(messages), done.set, self._mark_broken)
        self._enqueue(messages, acks)
        deadline = time.monotonic() + self._timeout_s + 5
        while not done.is_set():
            if time.monotonic() > deadline:
                raise BrokerUnavailable("the broker did not acknowledge in time")
            self._producer.poll(0.05)
        self._raise_for(acks)

    @staticmethod
    def _raise_for(acks: _Acks) -> None:
        if acks.error is not None:
            raise BrokerUnavailable(f"the broker did not take the message: {acks.error.str()}")

    def check(self, topics: Iterable[str], timeout: float = 3.0) -> None:
        """Raise BrokerUnavailable unless the broker answers and knows the topics."""
        try:
            meta = self._producer.list_topics(timeout=timeout)
        except KafkaException as exc:
            raise BrokerUnavailable(f"broker unreachable: {exc.args[0].str()}") from None
        missing = sorted(set(topics) - set(meta.topics))
        if missing:
            raise BrokerUnavailable(f"topics missing on the broker: {', '.join(missing)}")

    def topic_exists(self, topic: str) -> bool:
        """Whether the broker has the topic; the answer is kept a minute (a reply topic is made once, by its client)."""
        now = time.monotonic()
        if now - self._topics_at > 60 or topic not in self._topics:
            try:
                self._topics = set(self._producer.list_topics(timeout=5).topics)
            except KafkaException as exc:
                raise BrokerUnavailable(f"broker unreachable: {exc.args[0].str()}") from None
            self._topics_at = now
        return topic in self._topics

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued (up to `timeout`), then drop the rest: their callers get errors.

        The client is released here, not when the last reference goes: until then librdkafka would keep
        reconnecting to a broker that is gone.
        """
        producer, self._producer = self._producer, None
        if producer is None:
            return
        producer.flush(timeout)
        producer.purge()
        producer.flush(0)
        del producer
