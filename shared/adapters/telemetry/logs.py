"""Log lines as JSON objects, one a line, each with the trace and span id of the work that wrote it."""

from __future__ import annotations

import logging
from typing import Literal

from opentelemetry import trace
from pythonjsonlogger.orjson import OrjsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LogFormat = Literal["json", "text"]


class TraceIds(logging.Filter):
    """Adds `trace_id` and `span_id` (W3C hex) to a record written inside a span; it runs in the writer's thread."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True


def json_formatter() -> logging.Formatter:
    """`{"time", "level", "logger", "message", "trace_id", "span_id", ...extra fields, "exc_info"}`."""
    return OrjsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


def log_handler(fmt: LogFormat = "json") -> logging.Handler:
    """A stderr handler writing `fmt` lines that carry trace ids."""
    handler = logging.StreamHandler()
    handler.addFilter(TraceIds())
    handler.setFormatter(json_formatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(*, level: str = "INFO", fmt: LogFormat = "json") -> None:
    """The root logger writes `fmt` lines to stderr (unless something configured logging before)."""
    logging.basicConfig(level=level, handlers=[log_handler(fmt)])
