"""Webhooks: a user's endpoints over HTTP; delivery as Kafka triggers (alerts, change feed) and a retry timer."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

import azure.functions as func
from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from functions.bodies import JsonRoute, body_limit
from functions.deps import Caller, RootDep
from functions.errors import JsonResponse
from functions.kafka import batch_trigger, inbound
from shared.bootstrap import Root
from shared.domain.webhooks import NewWebhook
from shared.services.webhooks import Webhooks

log = logging.getLogger("budget.webhooks")
router = APIRouter(prefix="/api", tags=["webhooks"], route_class=JsonRoute, strict_content_type=False)
WebhookId = Annotated[str, Path(max_length=64, description="The webhook's id")]
_NOT_YOURS = {404: {"description": "Not yours, or none"}}


async def _webhooks(root: RootDep) -> Webhooks:
    return root.webhooks


WebhooksDep = Annotated[Webhooks, Depends(_webhooks)]


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    status: Literal["active", "disabled"]
    disabled_reason: str | None
    disabled_at: str | None
    created_at: str


class CreatedWebhook(WebhookOut):
    secret: str


class WebhookList(BaseModel):
    items: list[WebhookOut]


class DeliveryOut(BaseModel):
    id: str
    event_type: str
    status: Literal["pending", "delivered", "failing", "given_up"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: str | None
    created_at: str
    delivered_at: str | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


@router.post(
    "/webhooks",
    summary="Register an endpoint for events; the answer holds its signing secret, shown only this once",
    status_code=201,
    response_model=CreatedWebhook,
    responses={409: {"description": "Too many webhooks"}},
    operation_id="create_webhook",
    openapi_extra=body_limit(8 * 1024),
)
async def create_webhook(new: NewWebhook, caller: Caller, webhooks: WebhooksDep) -> JsonResponse:
    created = await run_in_threadpool(webhooks.register, caller.user_id, new)  # resolves the host: blocking
    return JsonResponse(created, 201, {"Location": f"/api/webhooks/{created['id']}"})


@router.get("/webhooks", summary="Your webhooks", response_model=WebhookList, operation_id="list_webhooks")
async def list_webhooks(caller: Caller, webhooks: WebhooksDep) -> JsonResponse:
    return JsonResponse(await run_in_threadpool(webhooks.owned, caller.user_id))


@router.delete(
    "/webhooks/{id}",
    summary="Delete a webhook and its deliveries",
    status_code=204,
    response_class=Response,
    responses=_NOT_YOURS,
    operation_id="delete_webhook",
)
async def delete_webhook(id: WebhookId, caller: Caller, webhooks: WebhooksDep) -> Response:
    await run_in_threadpool(webhooks.delete, caller.user_id, id)
    return Response(status_code=204)


@router.get(
    "/webhooks/{id}/deliveries",
    summary="A webhook's deliveries, newest first, with their attempts",
    response_model=DeliveryPage,
    responses=_NOT_YOURS,
    operation_id="list_webhook_deliveries",
)
async def list_deliveries(
    id: WebhookId,
    caller: Caller,
    webhooks: WebhooksDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JsonResponse:
    page = await run_in_threadpool(webhooks.deliveries, caller.user_id, id, cursor=cursor or None, limit=limit)
    return JsonResponse(page)


def triggers(root: Root) -> func.Blueprint:
    bp = func.Blueprint()
    s = root.settings

    @bp.function_name("deliver_webhooks")
    @batch_trigger(bp, s, arg_name="alerts", topic="%AlertsTopic%", group="%WebhooksConsumerGroup%")
    def deliver_webhooks(alerts: list[func.KafkaEvent]) -> None:
        """Deliveries are recorded before this returns; only a database failure raises (the batch is retried)."""
        root.webhooks.handle_alerts([inbound(e) for e in alerts])

    @bp.function_name("deliver_change_webhooks")
    @batch_trigger(bp, s, arg_name="changes", topic="%ChangesTopic%", group="%WebhooksConsumerGroup%")
    def deliver_change_webhooks(changes: list[func.KafkaEvent]) -> None:
        """As deliver_webhooks, for finished imports in the change feed."""
        root.webhooks.handle_changes([inbound(e) for e in changes])

    @bp.function_name("retry_webhooks")
    @bp.timer_trigger(arg_name="timer", schedule="%WebhooksRetrySchedule%", use_monitor=True)
    def retry_webhooks(timer: func.TimerRequest) -> None:
        """Every due delivery is attempted; a failure raises, and the next tick picks up the same rows."""
        if timer.past_due:
            log.warning("webhook retries are past due: a scheduled run was missed; this run catches up")
        root.webhooks.retry_due()

    return bp
