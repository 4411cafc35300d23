"""Trace context across Kafka: what we publish carries it in its headers, what we consume continues it."""

from __future__ import annotations

import uuid

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from shared.adapters.kafka.messages import InboundMessage, OutboundMessage, dead_letter
from shared.adapters.telemetry.metrics import default as default_metrics
from shared.adapters.telemetry.spans import extract, inject, processing, publishing, timer_run


@pytest.fixture
def exporter():
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter):
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def received(message: OutboundMessage, offset: int = 7) -> InboundMessage:
    """The message as a consumer gets it back from the broker."""
    return InboundMessage(message.topic, 2, offset, message.key, message.value, message.headers)


def outbound(topic: str = "transactions", **headers: bytes) -> OutboundMessage:
    return OutboundMessage(topic, b"user-1", b"{}", tuple(headers.items()))


def test_the_context_survives_the_round_trip_through_message_headers(provider):
    with provider.get_tracer("test").start_as_current_span("request") as span:
        (sent,) = inject([outbound()])
    names = [k for k, _ in sent.headers]
    assert "traceparent" in names
    continued = trace.get_current_span(extract(received(sent))).get_span_context()
    assert continued.trace_id == span.get_span_context().trace_id
    assert continued.span_id == span.get_span_context().span_id
    assert continued.is_remote


def test_tracestate_travels_too(provider):
    carried = outbound(traceparent=f"00-{'a' * 32}-{'b' * 16}-01".encode(), tracestate=b"vendor=x")
    context = trace.get_current_span(extract(received(carried))).get_span_context()
    (sent,) = inject([outbound()], context=trace.set_span_in_context(trace.NonRecordingSpan(context)))
    assert dict(sent.headers)["tracestate"] == b"vendor=x"


def test_a_dead_letter_carries_the_context_it_was_written_in_not_the_original_one(provider):
    original = received(outbound(traceparent=f"00-{'1' * 32}-{'2' * 16}-01".encode()))
    letter = dead_letter(original, topic="transactions.dlt", reason="not JSON: nope")
    with provider.get_tracer("test").start_as_current_span("batch") as span:
        (sent,) = inject([letter])
    parents = [v for k, v in sent.headers if k == "traceparent"]
    assert len(parents) == 1
    assert parents[0].decode().split("-")[1] == format(span.get_span_context().trace_id, "032x")
    assert dict(sent.headers)["dlt.reason"] == b"not JSON: nope"  # the rest of the letter is untouched


@pytest.mark.parametrize("value", [b"", b"garbage", b"00-zz-zz-01", b"\xff\xfe"])
def test_a_message_with_a_broken_traceparent_starts_a_new_trace(value):
    context = trace.get_current_span(extract(received(outbound(traceparent=value)))).get_span_context()
    assert not context.is_valid


def test_without_a_current_span_nothing_is_added():
    message = outbound(other=b"x")
    assert inject([message]) == [message]


def test_publishing_is_a_producer_span_whose_context_the_messages_carry(provider, exporter):
    with publishing([outbound(), outbound()], tracer_provider=provider) as sent:
        pass
    (span,) = exporter.get_finished_spans()
    assert span.kind is SpanKind.PRODUCER
    assert span.name == "send transactions"
    assert span.attributes["messaging.batch.message_count"] == 2
    for m in sent:
        assert f"-{format(span.context.span_id, '016x')}-" in dict(m.headers)["traceparent"].decode()


def test_a_failed_publish_is_a_failed_span(provider, exporter):
    with pytest.raises(RuntimeError), publishing([outbound()], tracer_provider=provider):
        raise RuntimeError("broker down")
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR


def sent_in_trace(provider, topic: str, offset: int) -> tuple[InboundMessage, trace.SpanContext]:
    with provider.get_tracer("test").start_as_current_span("send") as span:
        (message,) = inject([outbound(topic)])
    return received(message, offset), span.get_span_context()


def test_each_consumed_message_continues_its_trace_and_the_batch_work_sits_under_the_first(provider, exporter):
    group = f"group-{uuid.uuid4().hex}"
    first, first_ctx = sent_in_trace(provider, "tx", 10)
    second, second_ctx = sent_in_trace(provider, "tx", 11)
    exporter.clear()
    batch = processing([first, second], name="store_transactions", group=group, tracer_provider=provider)
    with batch, provider.get_tracer("test").start_as_current_span("INSERT"):
        pass
    spans = {s.name: s for s in exporter.get_finished_spans() if s.name != "process tx"}
    consumers = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CONSUMER]
    assert [c.parent.span_id for c in consumers] == [first_ctx.span_id, second_ctx.span_id]
    assert [c.context.trace_id for c in consumers] == [first_ctx.trace_id, second_ctx.trace_id]
    assert consumers[0].attributes["messaging.kafka.offset"] == 10
    batch = spans["store_transactions"]
    assert batch.parent.span_id == consumers[0].context.span_id
    assert {link.context.span_id for link in batch.links} == {first_ctx.span_id, second_ctx.span_id}
    assert spans["INSERT"].parent.span_id == batch.context.span_id
    assert (group, "tx") not in default_metrics().lag.observe()  # nothing known of the topic's end yet
    default_metrics().lag.high_watermark("tx", 2, 15)
    assert default_metrics().lag.observe()[(group, "tx")] == 15 - 12


def test_a_failed_batch_fails_every_message_span_and_keeps_the_group_where_it_was(provider, exporter):
    group = f"group-{uuid.uuid4().hex}"
    done, _ = sent_in_trace(provider, "tx-failing", 2)
    failing, _ = sent_in_trace(provider, "tx-failing", 3)
    with processing([done], name="f", group=group, tracer_provider=provider):
        pass
    exporter.clear()
    with pytest.raises(ConnectionError), processing([failing], name="f", group=group, tracer_provider=provider):
        raise ConnectionError("database down")
    assert {s.status.status_code for s in exporter.get_finished_spans()} == {StatusCode.ERROR}
    default_metrics().lag.high_watermark("tx-failing", 2, 4)
    assert default_metrics().lag.observe()[(group, "tx-failing")] == 1  # offset 3 still waits


def test_a_timer_run_is_a_trace_of_its_own(provider, exporter):
    outer = provider.get_tracer("test").start_as_current_span("unrelated")
    with outer, timer_run("sync_analytics", past_due=True, tracer_provider=provider):
        pass
    run = next(s for s in exporter.get_finished_spans() if s.name == "sync_analytics")
    assert run.parent is None
    assert run.attributes["budget.timer.past_due"] is True
