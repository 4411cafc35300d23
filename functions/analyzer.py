"""Analyzer: reports over HTTP (one route per report), and over Kafka request/reply; budget alerts (Kafka)."""

from __future__ import annotations

from typing import Any

import azure.functions as func
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from functions.deps import AnalyzerDep, Caller
from functions.errors import JsonResponse
from functions.kafka import batch_trigger, consumed
from shared.bootstrap import Root
from shared.services.queries import REGISTRY, Query

router = APIRouter(prefix="/api")


def _parameters(query: Query) -> list[dict[str, Any]]:
    """The report's params model as OpenAPI query parameters (the model validates them, not the router)."""
    schema = query.params.model_json_schema()
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        # Optional params show their own type, not pydantic's "or null".
        branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"]
        extra = {k: v for k, v in prop.items() if k in ("default", "description", "pattern") and v is not None}
        shown = {**branches[0], **extra} if branches else prop
        out.append({"name": name, "in": "query", "required": name in required, "schema": shown})
    return out


def _route(query: Query) -> None:
    """One GET route per report, so each is documented with its own parameters."""
    prefix = "admin" if query.admin_only else "reports"
    responses: dict[int | str, dict[str, Any]] = {
        404: {"description": "Unknown query"},
        422: {"description": "Invalid parameters"},
        503: {"description": "The analytics store is not built yet"},
    }
    if query.admin_only:
        responses[403] = {"description": "The token lacks the admin app role"}

    async def report(request: Request, caller: Caller, analyzer: AnalyzerDep) -> JsonResponse:
        params = dict(request.query_params)
        return JsonResponse(await run_in_threadpool(analyzer.answer, query.name, params, caller))

    router.add_api_route(
        f"/{prefix}/{query.name}",
        report,
        methods=["GET"],
        tags=[prefix],
        summary=query.summary + (" (administrators)" if query.admin_only else ""),
        response_description="The answer and how fresh it is",
        responses=responses,
        operation_id=f"{prefix}_{query.name.replace('-', '_')}",
        openapi_extra={"parameters": _parameters(query)},
    )


for _query in REGISTRY.values():
    _route(_query)


def triggers(root: Root) -> func.Blueprint:
    bp = func.Blueprint()
    s = root.settings

    @bp.function_name("answer_queries")
    @batch_trigger(bp, s, arg_name="requests", topic="%QueriesTopic%", group="%AnalyzerConsumerGroup%")
    def answer_queries(requests: list[func.KafkaEvent]) -> None:
        """Every request gets a reply; only a broker failure raises (the batch is retried, replies are keyed)."""
        with consumed(requests, function="answer_queries", group=s.analyzer_consumer_group) as messages:
            root.analyzer.answer_requests(messages)

    @bp.function_name("budget_alerts")
    @batch_trigger(bp, s, arg_name="events", topic="%TransactionsTopic%", group="%AlertsConsumerGroup%")
    def budget_alerts(events: list[func.KafkaEvent]) -> None:
        """Alerts are recorded with the state and acknowledged by the broker before this returns; failures retry."""
        with consumed(events, function="budget_alerts", group=s.alerts_consumer_group) as messages:
            root.alerts.raise_alerts(messages)

    return bp
