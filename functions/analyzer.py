"""Analyzer: reports over HTTP (one route per report), and over Kafka request/reply; budget alerts (Kafka)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import azure.functions as func
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from functions.deps import AlertsDep, AnalyzerDep, Caller
from functions.errors import JsonResponse
from functions.kafka import batch_trigger, consumed
from shared.bootstrap import Root
from shared.services import queries

router = APIRouter(prefix="/api")


def _parameters(query: queries.Query) -> list[dict[str, Any]]:
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


def _route(query: queries.Query) -> None:
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


for _query in queries.REGISTRY.values():
    _route(_query)


class Alert(BaseModel):
    id: str
    type: Literal["budget.threshold"]
    category: str
    month: str
    threshold: int
    currency: str
    accounts: list[str] | None = Field(None, description="The budget's accounts; null: every expense counted.")
    budget: str
    spent: str
    share_used: str | None
    created_at: str


class AlertList(BaseModel):
    items: list[Alert]


@router.get(
    "/alerts",
    tags=["alerts"],
    summary="Your budget alerts, newest first",
    response_model=AlertList,
    operation_id="list_alerts",
)
async def list_alerts(
    caller: Caller, alerts: AlertsDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> JsonResponse:
    return JsonResponse({"items": await run_in_threadpool(alerts.recent, caller.user_id, limit)})


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
    @batch_trigger(bp, s, arg_name="changes", topic="%ChangesTopic%", group="%AlertsConsumerGroup%")
    def budget_alerts(changes: list[func.KafkaEvent]) -> None:
        """Alerts are recorded with the state and acknowledged by the broker before this returns; failures retry."""
        with consumed(changes, function="budget_alerts", group=s.alerts_consumer_group) as messages:
            root.alerts.apply_changes(messages)

    return bp
