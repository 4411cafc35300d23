"""Log lines are JSON objects, one a line, carrying the trace and span id of the work that wrote them."""

from __future__ import annotations

import io
import logging

import orjson
import pytest
from opentelemetry.sdk.trace import TracerProvider

from shared.adapters.telemetry.logs import log_handler


@pytest.fixture
def lines():
    """A logger writing through the project's handler into a buffer; yields (logger, buffer)."""
    buffer = io.StringIO()
    handler = log_handler("json")
    handler.setStream(buffer)
    logger = logging.getLogger(f"test.telemetry.{id(buffer)}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, buffer
    logger.removeHandler(handler)


def records(buffer: io.StringIO) -> list[dict]:
    return [orjson.loads(line) for line in buffer.getvalue().splitlines()]


def test_a_line_written_inside_a_span_carries_its_trace_and_span_id(lines):
    logger, buffer = lines
    with TracerProvider().get_tracer("test").start_as_current_span("request") as span:
        logger.info("stored batch: %d applied", 3, extra={"batch": 3})
    (line,) = records(buffer)
    context = span.get_span_context()
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")
    assert line["message"] == "stored batch: 3 applied"
    assert line["level"] == "INFO"
    assert line["logger"] == logger.name
    assert line["batch"] == 3
    assert line["time"].endswith("+00:00")


def test_outside_a_span_there_is_no_trace_id_and_exceptions_are_kept(lines):
    logger, buffer = lines
    try:
        raise ValueError("bad row")
    except ValueError:
        logger.exception("failed")
    (line,) = records(buffer)
    assert "trace_id" not in line
    assert "ValueError: bad row" in line["exc_info"]


def test_one_object_per_line_even_for_multi_line_messages(lines):
    logger, buffer = lines
    logger.warning("first line\nsecond line")
    assert len(buffer.getvalue().splitlines()) == 1
    assert records(buffer)[0]["message"] == "first line\nsecond line"


def test_text_lines_stay_readable_for_people():
    buffer = io.StringIO()
    handler = log_handler("text")
    handler.setStream(buffer)
    handler.handle(logging.LogRecord("budget.storage", logging.INFO, __file__, 1, "stored %d", (2,), None))
    assert buffer.getvalue().rstrip().endswith("INFO budget.storage: stored 2")
