"""Trace context across Kafka: injected into what we publish, extracted from what we consume (W3C headers).

One transaction is one trace: the HTTP request's span, the publish (a PRODUCER span whose context every message
carries), a CONSUMER span per consumed message under that context, and the batch's work (its SQL) under a batch
span that links every message. The batch span sits under its first message's span, so one trace shows the whole
way down to the database; the other messages of the batch reach it through the links.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import Link, Span, SpanKind, StatusCode, TracerProvider

from shared.adapters.kafka.messages import InboundMessage, OutboundMessage
from shared.adapters.telemetry.metrics import default as default_metrics

_SCOPE = "budget.kafka"
_KAFKA = {"messaging.system": "kafka"}
_tracers: list[trace.Tracer] = []


def _tracer(provider: TracerProvider | None) -> trace.Tracer:
    """The given provider's tracer, else the global one's: resolved once configured (a proxy costs a layer)."""
    if provider is not None:
        return provider.get_tracer(_SCOPE)
    if not _tracers or isinstance(_tracers[0], trace.ProxyTracer):
        _tracers[:] = [trace.get_tracer(_SCOPE)]
    return _tracers[0]


class _HeaderGetter(Getter[InboundMessage]):
    def get(self, carrier: InboundMessage, key: str) -> list[str] | None:
        values = [v.decode("latin-1") for k, v in carrier.headers if k.lower() == key and v is not None]
        return values or None

    def keys(self, carrier: InboundMessage) -> list[str]:
        return [k for k, _ in carrier.headers]


_GETTER = _HeaderGetter()


def inject(messages: Sequence[OutboundMessage], context: Context | None = None) -> list[OutboundMessage]:
    """The messages with the (current) context in their headers, replacing any they carried (a dead letter's)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=context)
    if not carrier:
        return list(messages)
    added = tuple((k, v.encode("latin-1")) for k, v in carrier.items())
    return [
        OutboundMessage(m.topic, m.key, m.value, tuple(h for h in m.headers if h[0] not in carrier) + added)
        for m in messages
    ]


def extract(message: InboundMessage) -> Context:
    """The context the message was published in (an empty one when it carries none, or garbage)."""
    return propagate.extract(message, getter=_GETTER)


@contextmanager
def publishing(
    messages: Sequence[OutboundMessage], *, tracer_provider: TracerProvider | None = None
) -> Iterator[list[OutboundMessage]]:
    """A PRODUCER span around one acknowledged publish; yields the messages carrying its context.

    Inside a trace that is not sampled no span is made (it would not be recorded either): the messages carry the
    current context on, which keeps the trace id for the logs downstream at a fraction of the cost.
    """
    current = trace.get_current_span().get_span_context()
    if current.is_valid and not current.trace_flags.sampled:
        yield inject(messages)
        default_metrics().published(messages)
        return
    topics = {m.topic for m in messages}
    topic = topics.pop() if len(topics) == 1 else None
    attributes: dict = {**_KAFKA, "messaging.operation.type": "send", "messaging.operation.name": "send"}
    if topic is not None:
        attributes["messaging.destination.name"] = topic
    if len(messages) > 1:
        attributes["messaging.batch.message_count"] = len(messages)
    name = f"send {topic}" if topic is not None else "send"
    with _tracer(tracer_provider).start_as_current_span(name, kind=SpanKind.PRODUCER, attributes=attributes):
        yield inject(messages)
    default_metrics().published(messages)


def _consumed(message: InboundMessage, group: str) -> dict:
    return {
        **_KAFKA,
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": message.topic,
        "messaging.destination.partition.id": str(message.partition),
        "messaging.kafka.offset": message.offset,
        "messaging.consumer.group.name": group,
    }


@contextmanager
def processing(
    messages: Sequence[InboundMessage], *, name: str, group: str, tracer_provider: TracerProvider | None = None
) -> Iterator[Span]:
    """Spans for a consumed batch: one per message (under its producer's context) and the batch's, made current.

    A failure marks them all failed and re-raises: the batch will be retried. Success moves the group's position.
    """
    tracer = _tracer(tracer_provider)
    parents = [extract(m) for m in messages]
    spans = [
        tracer.start_span(f"process {m.topic}", context=ctx, kind=SpanKind.CONSUMER, attributes=_consumed(m, group))
        for m, ctx in zip(messages, parents, strict=True)
    ]
    links = []
    if len(messages) > 1:
        contexts = (trace.get_current_span(ctx).get_span_context() for ctx in parents)
        links = [Link(sc) for sc in contexts if sc.is_valid]
    parent = trace.set_span_in_context(spans[0]) if spans else Context()
    attributes = {**_KAFKA, "messaging.batch.message_count": len(messages), "messaging.consumer.group.name": group}
    batch = tracer.start_span(name, context=parent, links=links, attributes=attributes)
    lag = default_metrics().lag
    try:
        with trace.use_span(batch, end_on_exit=True):
            yield batch
    except BaseException as exc:
        for m, span in zip(messages, spans, strict=True):
            span.set_status(StatusCode.ERROR, f"the batch failed: {type(exc).__name__}")
            lag.attempted(group, m.topic, m.partition)
        raise
    else:
        for m in messages:
            lag.processed(group, m.topic, m.partition, m.offset)
    finally:
        for span in spans:
            span.end()


@contextmanager
def timer_run(name: str, *, past_due: bool = False, tracer_provider: TracerProvider | None = None) -> Iterator[Span]:
    """A scheduled run as a trace of its own (a root span, whatever context the caller is in)."""
    attributes = {"faas.trigger": "timer", "budget.timer.past_due": past_due}
    with _tracer(tracer_provider).start_as_current_span(name, context=Context(), attributes=attributes) as span:
        yield span
