"""Routes every service app carries: health, the OpenAPI document and its browsable docs."""

from __future__ import annotations

import asyncio

import azure.functions as func

from functions._http import Problem, json_response, problem_response
from functions._openapi import operation
from shared import bootstrap
from shared.openapi import DOCS_HTML, build_document

bp = func.Blueprint()


def _broker_topics() -> list[str]:
    s = bootstrap.settings()
    return [s.transactions_topic, s.dead_letter_topic]


@bp.function_name("health")
@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@operation(
    "200 when the broker and the database answer; 503 naming what fails",
    tag="platform",
    public=True,
    responses={200: "Everything answers", 503: "A part is down"},
)
async def health(req: func.HttpRequest) -> func.HttpResponse:  # noqa: ARG001
    checks: dict[str, str] = {}
    failing: list[str] = []
    services = bootstrap.settings().enabled_services

    async def probe(name: str, check) -> None:
        try:
            await asyncio.wait_for(asyncio.to_thread(check), 5)
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - a health check reports, it never raises
            checks[name] = f"unavailable: {exc}"[:300]
            failing.append(name)

    probes = []
    if {"receiver", "storage", "analyzer"} & set(services):
        probes.append(probe("broker", lambda: bootstrap.publisher().check(_broker_topics())))
    if {"storage", "processor"} & set(services):
        probes.append(probe("database", lambda: bootstrap.store().ping()))
    await asyncio.gather(*probes)
    if failing:
        detail = f"Unavailable: {', '.join(sorted(failing))}"
        return problem_response(Problem(503, detail, headers={"Retry-After": "5"}, checks=checks))
    return json_response(200, {"status": "ok", "checks": checks})


@bp.function_name("openapi")
@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def openapi(req: func.HttpRequest) -> func.HttpResponse:  # noqa: ARG001
    from function_app import app  # the document describes the app as assembled, nothing else

    return json_response(200, build_document(app))


@bp.function_name("docs")
@bp.route(route="docs", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def docs(req: func.HttpRequest) -> func.HttpResponse:  # noqa: ARG001
    return func.HttpResponse(DOCS_HTML, status_code=200, mimetype="text/html")
