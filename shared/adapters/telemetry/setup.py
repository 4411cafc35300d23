"""Telemetry for one process, configured once and early, from the settings.

In Azure (APPLICATIONINSIGHTS_CONNECTION_STRING): Application Insights through azure-monitor-opentelemetry, signed
in with the app's managed identity. Elsewhere with OTEL_EXPORTER_OTLP_ENDPOINT: traces, metrics and logs to that
collector over OTLP/HTTP. Otherwise nothing is exported, but spans still get ids, so logs and Kafka headers carry
them (from the publish on: FastAPI's own request span is skipped then). Nothing here runs at import time: the
Functions host imports the app just to index it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from opentelemetry import metrics, trace
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from shared.adapters.telemetry.lag import broker_watermarks
from shared.adapters.telemetry.metrics import default as default_metrics
from shared.settings import SERVICES, Settings

log = logging.getLogger(__name__)

Exporter = Literal["azure-monitor", "otlp", "none"]
_observed: list[bool] = [False]  # does anything record spans in this process (an exporter, a test's processor)?


def _unobserved(_scope: object) -> bool:
    """FastAPI skips its telemetry when nothing would see it (it costs ~10% of a request); ids start at the publish."""
    return not _observed[0]


# FastAPI traces and times its requests itself once a provider is installed: `FastAPI(telemetry=FASTAPI)`.
# Its per-request operation spans (dependencies, endpoint, serialization) cost more than they tell here, and the
# app's error handler already logs every unexpected error with its incident id.
FASTAPI = {"operation_spans": False, "logs": False, "exclude": _unobserved}


@dataclass(frozen=True)
class Telemetry:
    exporter: Exporter
    service_name: str
    tracer_provider: TracerProvider


_lock = threading.Lock()
_installed: list[Telemetry] = []


def exporter_for(settings: Settings) -> Exporter:
    if settings.applicationinsights_connection_string:
        return "azure-monitor"
    if settings.otel_exporter_otlp_endpoint:
        return "otlp"
    return "none"


def service_name(settings: Settings) -> str:
    """OTEL_SERVICE_NAME, else named after the services hosted (Application Insights' cloud role name)."""
    if settings.otel_service_name:
        return settings.otel_service_name
    hosted = settings.enabled_services
    return "budget" if set(hosted) == set(SERVICES) else "budget-" + "-".join(hosted)


def configure(
    settings: Settings,
    *,
    span_processors: Sequence[SpanProcessor] = (),
    metric_readers: Sequence[MetricReader] = (),
) -> Telemetry:
    """Install the providers and instrumentation, once per process: before the first engine or request.

    `span_processors` and `metric_readers` are added to the pipeline (tests pass in-memory ones); with any of
    them, spans are recorded even when nothing else is exported. A second call returns the first's result.
    """
    with _lock:
        if not _installed:
            _installed.append(_install(settings, list(span_processors), list(metric_readers)))
            _observed[0] = _installed[0].exporter != "none" or bool(span_processors or metric_readers)
            log.info("telemetry: service %s, exporting to %s", _installed[0].service_name, _installed[0].exporter)
        elif span_processors or metric_readers:
            log.warning("telemetry was configured already: the processors and readers given now are ignored")
        return _installed[0]


def _install(settings: Settings, processors: list[SpanProcessor], readers: list[MetricReader]) -> Telemetry:
    exporter = exporter_for(settings)
    name = service_name(settings)
    resource = Resource.create({"service.name": name})
    if exporter == "azure-monitor":
        from azure.monitor.opentelemetry import configure_azure_monitor  # only Azure needs it

        configure_azure_monitor(
            connection_string=settings.applicationinsights_connection_string,
            credential=_credential(settings),
            resource=resource,
            span_processors=processors,
            metric_readers=readers,
            # FastAPI instruments itself (FASTAPI above): a second, contrib instrumentation would double the spans.
            instrumentation_options={"fastapi": {"enabled": False}},
        )
    elif exporter == "otlp":
        _otlp(settings.otel_exporter_otlp_endpoint or "", resource, processors, readers)
    else:
        # Nothing to export to: ids without recording (ALWAYS_OFF still gives every span a trace id).
        provider = TracerProvider(resource=resource, sampler=None if processors else ALWAYS_OFF)
        for p in processors:
            provider.add_span_processor(p)
        trace.set_tracer_provider(provider)
        if readers:
            metrics.set_meter_provider(MeterProvider(metric_readers=readers, resource=resource))
    # Every engine built from now on. The instrumentation declares SQLAlchemy < 2.1 (the range it is tested on);
    # 2.1 keeps the engine events it listens to, and tests/integration/test_tracing.py checks its spans.
    SQLAlchemyInstrumentor().instrument(skip_dep_check=True)
    default_metrics().alerts_topic = settings.alerts_topic
    if exporter != "none" or readers:
        # Consumer lag needs the partitions' ends; the Functions host's consumer will not tell: ask the broker.
        default_metrics().lag.watermarks = broker_watermarks(settings)
    return Telemetry(exporter, name, trace.get_tracer_provider())  # type: ignore[arg-type]


def _credential(settings: Settings):
    """Entra ID sign-in to Application Insights (local auth off): the app's user-assigned managed identity.

    The same client id as APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD;ClientId=<id>, which the
    Functions host reads for its own telemetry. None: the exporter reads that setting itself.
    """
    if not settings.azure_client_id:
        return None
    from azure.identity import ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=settings.azure_client_id)


def _otlp(endpoint: str, resource: Resource, processors: list[SpanProcessor], readers: list[MetricReader]) -> None:
    """Traces, metrics and logs to a collector over OTLP/HTTP (`<endpoint>/v1/traces` and so on)."""
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.logging.handler import LoggingHandler
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    base = endpoint.rstrip("/")
    tracer = TracerProvider(resource=resource)  # sampler from OTEL_TRACES_SAMPLER, parent-based always-on by default
    for p in [*processors, BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{base}/v1/traces"))]:
        tracer.add_span_processor(p)
    trace.set_tracer_provider(tracer)
    exporting = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{base}/v1/metrics"))
    metrics.set_meter_provider(MeterProvider(metric_readers=[*readers, exporting], resource=resource))
    logs = LoggerProvider(resource=resource)
    logs.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{base}/v1/logs")))
    set_logger_provider(logs)
    logging.getLogger().addHandler(LoggingHandler(logger_provider=logs))
