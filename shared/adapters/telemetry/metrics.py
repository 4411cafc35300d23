"""The metrics an operator watches beside HTTP latency: consumer lag, dead letters, sync lag, alert deliveries."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from opentelemetry import metrics, trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.metrics import CallbackOptions, Meter, Observation

from shared.adapters.kafka.messages import OutboundMessage
from shared.adapters.telemetry.lag import ConsumerLag

if TYPE_CHECKING:
    from shared.adapters.mysql.source import SourceHead

log = logging.getLogger(__name__)

# Dead-letter reasons as the code that writes them says them, grouped into a few classes an alert can name.
_REASON_CLASSES = (
    ("refused by the database", "refused"),
    ("empty message", "malformed"),
    ("not JSON", "malformed"),
    ("not a JSON object", "malformed"),
    ("unsupported schema_version", "schema"),
    ("schema violation", "schema"),
)


def reason_class(message: OutboundMessage) -> str | None:
    """A dead letter's reason class (`dlt.reason.class` when its writer gave one); None: not a dead letter."""
    headers = dict(message.headers)
    if "dlt.reason.class" in headers:
        return headers["dlt.reason.class"].decode("utf-8", "replace")[:64]
    reason = headers.get("dlt.reason")
    if reason is None:
        return None
    text = reason.decode("utf-8", "replace")
    return next((cls for prefix, cls in _REASON_CLASSES if text.startswith(prefix)), "other")


class SyncRun(Protocol):
    skipped: bool
    watermark: int
    rows_read: int
    rows_applied: int


class SyncProgress:
    """When the processor last finished a run, and MySQL's changes beyond that run's watermark (read when asked)."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._finished_at: float | None = None
        self._watermark = 0
        self._head: Callable[[int], SourceHead] | None = None

    def completed(self, watermark: int, head: Callable[[int], SourceHead]) -> None:
        with self._lock:
            self._finished_at, self._watermark, self._head = self._clock(), watermark, head

    def age_s(self) -> float | None:
        with self._lock:
            return None if self._finished_at is None else max(0.0, self._clock() - self._finished_at)

    def behind(self) -> int | None:
        """Rows changed in MySQL after the last run's watermark; None before a run or while MySQL is away."""
        with self._lock:
            head, watermark = self._head, self._watermark
        if head is None:
            return None
        try:
            with suppress_instrumentation():  # a metric reading is not a trace of its own
                return head(watermark).pending_rows
        except Exception as exc:  # noqa: BLE001 - the gauge skips one reading; the next export asks again
            log.warning("sync lag: cannot read MySQL's position: %s", exc)
            return None


class Metrics:
    """The instruments on one meter, and what they read; `default()` is on the global meter, tests build their own."""

    def __init__(self, meter: Meter, *, alerts_topic: str | None = None) -> None:
        self.lag = ConsumerLag()
        self.sync = SyncProgress()
        self.alerts_topic = alerts_topic  # what lands there is an alert delivered
        self._dead_letters = meter.create_counter(
            "budget.dead_letters", unit="{message}", description="Messages the broker took on a dead-letter topic"
        )
        self._alerts = meter.create_counter(
            "budget.alerts.delivered", unit="{alert}", description="Budget alerts the broker acknowledged"
        )
        meter.create_observable_gauge(
            "budget.kafka.consumer.lag",
            callbacks=[self._observe_lag],
            unit="{message}",
            description="Messages behind the end of the topic, per consumer group (this process's partitions)",
        )
        meter.create_observable_gauge(
            "budget.sync.lag",
            callbacks=[self._observe_sync_age],
            unit="s",
            description="Seconds since the processor's last successful sync",
        )
        meter.create_observable_gauge(
            "budget.sync.changes_behind",
            callbacks=[self._observe_behind],
            unit="{change}",
            description="Rows changed in MySQL that the analytics store does not have yet",
        )

    def published(self, messages: Sequence[OutboundMessage]) -> None:
        """Count what the broker acknowledged and an operator watches: dead letters by reason class, alerts."""
        alerts = 0
        for m in messages:
            if m.topic == self.alerts_topic:
                alerts += 1
            cls = reason_class(m) if m.headers else None
            if cls is not None:
                origin = dict(m.headers).get("dlt.original.topic", b"").decode("utf-8", "replace")
                self._dead_letters.add(1, {"reason": cls, "messaging.destination.name": origin})
        if alerts:
            self._alerts.add(alerts)

    def _observe_lag(self, _options: CallbackOptions) -> Iterable[Observation]:
        for (group, topic), lag in self.lag.observe().items():
            yield Observation(lag, {"messaging.consumer.group.name": group, "messaging.destination.name": topic})

    def _observe_sync_age(self, _options: CallbackOptions) -> Iterable[Observation]:
        age = self.sync.age_s()
        return [] if age is None else [Observation(age)]

    def _observe_behind(self, _options: CallbackOptions) -> Iterable[Observation]:
        behind = self.sync.behind()
        return [] if behind is None else [Observation(behind)]


@functools.cache
def default() -> Metrics:
    """The process's instruments on the global meter (deferred until telemetry is configured)."""
    return Metrics(metrics.get_meter("budget"))


def sync_completed(result: SyncRun, *, head: Callable[[int], SourceHead]) -> None:
    """Note a processor run on its span; a run that synced (not skipped) resets the sync lag."""
    trace.get_current_span().set_attributes(
        {
            "budget.sync.skipped": result.skipped,
            "budget.sync.rows_read": result.rows_read,
            "budget.sync.rows_applied": result.rows_applied,
            "budget.sync.watermark": result.watermark,
        }
    )
    if not result.skipped:
        default().sync.completed(result.watermark, head)
