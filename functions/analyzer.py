"""Analyzer: answers queries over Kafka (request/reply) and HTTP from the analytics store (issue 4)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import azure.functions as func

from functions._http import Problem, authenticate, endpoint, json_response
from functions._openapi import operation
from functions.kafka import batch_trigger, inbound
from shared import bootstrap
from shared.adapters.analytics.snapshot import store_path
from shared.services import queries
from shared.services.alerts import AlertState, raise_alerts
from shared.services.analyzer import answer_messages

bp = func.Blueprint()


def _source_head(watermark: int) -> queries.SourceHead:
    """MySQL's position, for the `lag` query only: the engine is built on first use."""
    from shared.adapters.mysql.source import source_head

    return source_head(bootstrap.store().engine)(watermark)


# -- over Kafka -----------------------------------------------------------------------------------------


@bp.function_name("answer_queries")
@batch_trigger(bp, arg_name="requests", topic="%QueriesTopic%", consumer_group="%AnalyzerConsumerGroup%")
def answer_queries(requests: list[func.KafkaEvent]) -> None:
    """Every request gets a reply; only a broker failure raises (the batch is retried, replies are keyed)."""
    s = bootstrap.settings()
    replies = answer_messages(
        [inbound(e) for e in requests],
        verifier=bootstrap.verifier(),
        results_topic=s.results_topic,
        store_path=str(store_path(s)),
        source_head=_source_head,
    )
    bootstrap.publisher().publish_blocking(replies)


# -- budget alerts --------------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _alert_state(path: str) -> AlertState:
    return AlertState(path)


@bp.function_name("budget_alerts")
@batch_trigger(bp, arg_name="events", topic="%TransactionsTopic%", consumer_group="%AlertsConsumerGroup%")
def budget_alerts(events: list[func.KafkaEvent]) -> None:
    """Alerts are recorded with the state and acknowledged by the broker before this returns; failures retry."""
    s = bootstrap.settings()
    raise_alerts(
        [inbound(e) for e in events],
        state=_alert_state(s.alerts_state_path),
        publisher=bootstrap.publisher(),
        topic=s.alerts_topic,
    )


# -- over HTTP ------------------------------------------------------------------------------------------


def _query_parameters(query: queries.Query) -> list[dict[str, Any]]:
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
    """One GET function per query, so each appears in the OpenAPI document with its own parameters."""
    prefix = "admin" if query.admin_only else "reports"
    responses = {200: "The answer and how fresh it is", 404: "Unknown query", 422: "Invalid parameters"}
    responses[503] = "The analytics store is not built yet"
    if query.admin_only:
        responses[403] = "The token lacks the admin app role"

    def handler(req: func.HttpRequest) -> func.HttpResponse:
        user = authenticate(req)
        try:
            body = queries.answer(
                query.name,
                dict(req.params),
                user_id=user.user_id,
                is_admin=user.is_admin,
                store_path=str(store_path(bootstrap.settings())),
                source_head=_source_head,
            )
        except queries.QueryError as exc:
            raise Problem(exc.status, exc.detail, **({"errors": exc.errors} if exc.errors else {})) from None
        return json_response(200, body)

    name = f"{prefix}_{query.name.replace('-', '_')}"
    handler.__name__ = handler.__qualname__ = name
    described = operation(
        query.summary + (" (administrators)" if query.admin_only else ""),
        tag="admin" if query.admin_only else "reports",
        query=_query_parameters(query),
        responses=responses,
    )(endpoint(handler))
    routed = bp.route(route=f"{prefix}/{query.name}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    bp.function_name(name)(routed(described))


for _query in queries.REGISTRY.values():
    _route(_query)
