"""One transaction is one trace, across HTTP, Kafka and MySQL; a query over Kafka replies in its request's trace.

Real broker and MariaDB; the spans are caught by an in-memory exporter installed through telemetry.configure().
The stack here has its own topics and consumer groups, so no other test's messages join its batches.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
from confluent_kafka import Consumer, TopicPartition
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from cli.runner.index import index
from cli.runner.triggers import TimerRequest
from functions.app import build
from shared.adapters.kafka.admin import ensure_topics
from shared.adapters.kafka.config import client_config
from shared.adapters.kafka.messages import OutboundMessage
from shared.adapters.telemetry.lag import broker_watermarks
from shared.adapters.telemetry.metrics import default as default_metrics
from shared.adapters.telemetry.setup import configure
from shared.bootstrap import Root
from tests.support.stack import AppServer
from tests.support.wait import until


@pytest.fixture(scope="module")
def exporter(infra):
    exporter = InMemorySpanExporter()
    configure(infra.settings(), span_processors=[SimpleSpanProcessor(exporter)])
    with trace.get_tracer("test").start_as_current_span("probe"):
        pass
    if not exporter.get_finished_spans():
        pytest.fail("telemetry was configured before this module without its exporter: run it in its own process")
    yield exporter
    exporter.shutdown()  # spans of later modules in this process are dropped, not kept


@pytest.fixture(scope="module")
def stack(infra, exporter, tmp_path_factory):
    run = f"tracing-{uuid.uuid4().hex[:8]}"
    settings = infra.settings(
        transactions_topic=f"{run}-tx",
        dead_letter_topic=f"{run}-tx.dlt",
        changes_topic=f"{run}-changes",
        queries_topic=f"{run}-queries",
        results_topic=f"{run}-results",
        alerts_topic=f"{run}-alerts",
        storage_consumer_group=f"{run}-storage",
        analyzer_consumer_group=f"{run}-analyzer",
        analytics_store_path=str(tmp_path_factory.mktemp("tracing") / "analytics.db"),
    )
    ensure_topics(settings)
    root = Root(settings)  # built after configure(): its engine is instrumented
    server = AppServer(root, kafka_functions=("store_transactions", "answer_queries")).start()
    _, app = build(root)
    yield server, {fn.name: fn for fn in index(app)}
    server.stop()
    root.close()


def by_trace(exporter: InMemorySpanExporter, trace_id: int) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]


def child(spans: list[ReadableSpan], parent: ReadableSpan, *, kind: SpanKind, name: str | None = None):
    """The one span of `kind` (named `name`) whose parent is `parent`; None while it has not ended."""
    found = [
        s
        for s in spans
        if s.kind is kind and s.parent is not None and s.parent.span_id == parent.context.span_id
        if name is None or s.name == name
    ]
    assert len(found) <= 1, found
    return found[0] if found else None


def test_one_transaction_is_one_trace_from_the_request_to_the_sql_write(stack, exporter, infra, user, db):
    server, _ = stack
    settings = server.root.settings
    transaction = {
        "id": str(uuid.uuid4()),
        "type": "expense",
        "amount": "12.50",
        "currency": "EUR",
        "category": "groceries",
        "date": "2026-11-20",
        "tags": [],
    }
    with server.client(infra.issuer.token(user)) as http:
        assert http.post("/api/transactions", json=transaction).status_code == 202

    def stored() -> bool:
        with db.connect() as conn:
            return conn.execute(sa.text("SELECT 1 FROM transactions WHERE id = :id"), transaction).first() is not None

    until(stored, what="the transaction's row")
    (request,) = [
        s
        for s in exporter.get_finished_spans()
        if s.kind is SpanKind.SERVER and s.attributes.get("http.route") == "/api/transactions"
        if s.attributes.get("http.request.method") == "POST"
    ]
    assert request.name == "POST /api/transactions"
    assert request.attributes["http.response.status_code"] == 202

    def chain():
        spans = by_trace(exporter, request.context.trace_id)
        send = child(spans, request, kind=SpanKind.PRODUCER, name=f"send {settings.transactions_topic}")
        consume = send and child(spans, send, kind=SpanKind.CONSUMER, name=f"process {settings.transactions_topic}")
        batch = consume and child(spans, consume, kind=SpanKind.INTERNAL, name="store_transactions")
        writes = batch and [
            s
            for s in spans
            if s.kind is SpanKind.CLIENT and s.parent.span_id == batch.context.span_id
            if str(s.attributes.get("db.statement", "")).lstrip().upper().startswith("INSERT")
        ]
        return writes and (send, consume, batch, writes)

    send, consume, batch, writes = until(chain, what="the trace to reach the SQL write")
    assert consume.attributes["messaging.consumer.group.name"] == settings.storage_consumer_group
    assert consume.attributes["messaging.destination.name"] == settings.transactions_topic
    assert batch.attributes["messaging.batch.message_count"] == 1
    assert {w.attributes["db.system"] for w in writes} == {"mysql"}
    # FastAPI's per-operation spans are off: the publish hangs right under the request.
    assert not [s for s in by_trace(exporter, request.context.trace_id) if s.name.startswith("fastapi.")]

    # The consumer loop measured its lag from the offsets: nothing left behind on that partition.
    partition = int(consume.attributes["messaging.destination.partition.id"])
    lag = default_metrics().lag
    assert until(lambda: (settings.storage_consumer_group, settings.transactions_topic) in lag.observe())
    assert lag.observe()[(settings.storage_consumer_group, settings.transactions_topic)] == 0
    # ... and the broker, asked as in Azure, says where that partition ends: just past the message.
    ends = broker_watermarks(settings)([(settings.transactions_topic, partition)])
    assert ends[(settings.transactions_topic, partition)] == consume.attributes["messaging.kafka.offset"] + 1


def test_the_processor_run_is_its_own_trace_with_its_mysql_reads(stack, exporter):
    server, functions = stack
    exporter.clear()
    functions["sync_analytics"].call(timer=TimerRequest(False))
    (run,) = [s for s in exporter.get_finished_spans() if s.name == "sync_analytics"]
    assert run.parent is None
    reads = [
        s
        for s in by_trace(exporter, run.context.trace_id)
        if s.kind is SpanKind.CLIENT and str(s.attributes.get("db.statement", "")).lstrip().upper().startswith("SELECT")
    ]
    assert reads and {r.attributes["db.system"] for r in reads} == {"mysql"}
    assert run.attributes["budget.sync.skipped"] is False
    assert default_metrics().sync.age_s() is not None and default_metrics().sync.behind() is not None


def reply_reader(settings) -> Consumer:
    """A consumer of the results topic from its current end (assigned by hand, no group joined)."""
    conf = client_config(settings, role="test-replies")
    conf.update({"group.id": f"test-{uuid.uuid4().hex}", "enable.auto.commit": False, "fetch.wait.max.ms": 10})
    consumer = Consumer(conf)
    topic = settings.results_topic
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    ends = [consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions]
    consumer.assign([TopicPartition(topic, p, end) for p, end in zip(partitions, ends, strict=True)])
    return consumer


def test_a_query_over_kafka_is_answered_in_the_requests_trace(stack, exporter, infra, user):
    server, functions = stack
    settings = server.root.settings
    functions["sync_analytics"].call(timer=TimerRequest(False))  # a store to answer from
    replies = reply_reader(settings)
    request_id = str(uuid.uuid4())
    request = {
        "request_id": request_id,
        "reply_to": settings.results_topic,
        "token": infra.issuer.token(user),
        "query": {"name": "monthly-summary", "params": {"month": "2026-11"}},
    }
    with trace.get_tracer("test").start_as_current_span("query client") as client:
        message = OutboundMessage(settings.queries_topic, request_id.encode(), orjson.dumps(request))
        server.root.publisher.publish_blocking([message])

    def reply():
        m = replies.poll(0.2)
        return m if m is not None and m.error() is None and m.key() == request_id.encode() else None

    try:
        answer = until(reply, what="the reply")
    finally:
        replies.close()
    assert orjson.loads(answer.value())["ok"] is True
    _, trace_id, span_id, _ = dict(answer.headers())["traceparent"].decode().split("-")
    assert int(trace_id, 16) == client.get_span_context().trace_id

    def chain():
        spans = by_trace(exporter, client.get_span_context().trace_id)
        (root,) = [s for s in spans if s.name == "query client"]
        send = child(spans, root, kind=SpanKind.PRODUCER, name=f"send {settings.queries_topic}")
        consume = send and child(spans, send, kind=SpanKind.CONSUMER, name=f"process {settings.queries_topic}")
        batch = consume and child(spans, consume, kind=SpanKind.INTERNAL, name="answer_queries")
        reply_send = batch and child(spans, batch, kind=SpanKind.PRODUCER, name=f"send {settings.results_topic}")
        return reply_send

    reply_send = until(chain, what="the reply's publish in the request's trace")
    assert int(span_id, 16) == reply_send.context.span_id  # the reply carries the context on


_OTLP_CLIENT = """
import logging, sys
from opentelemetry import trace
from shared.adapters.telemetry.setup import configure
from shared.settings import Settings

telemetry = configure(Settings(otel_exporter_otlp_endpoint=sys.argv[1], otel_service_name="budget-otlp-test"))
assert telemetry.exporter == "otlp", telemetry
logging.getLogger().setLevel(logging.INFO)
with trace.get_tracer("test").start_as_current_span("exported"):
    logging.getLogger("budget.test").info("inside the span")
trace.get_tracer_provider().shutdown()  # flushes
from opentelemetry._logs import get_logger_provider
get_logger_provider().shutdown()
"""


def test_with_an_otlp_endpoint_spans_and_logs_go_to_the_collector(infra, tmp_path):
    """A collector stand-in on loopback: OTLP/HTTP posts arrive on /v1/traces and /v1/logs."""
    import subprocess
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: dict[str, bytes] = {}

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the stdlib's name
            received[self.path] = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**infra.env, "PATH": "/usr/bin:/bin"}
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        done = subprocess.run(
            [sys.executable, "-c", _OTLP_CLIENT, endpoint],
            env=env,
            cwd=Path(__file__).parents[2],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    finally:
        server.shutdown()
    assert b"exported" in received["/v1/traces"]
    assert b"budget-otlp-test" in received["/v1/traces"]
    assert b"inside the span" in received["/v1/logs"]
