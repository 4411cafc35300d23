"""Routing of the assembled app: which route answers, what a wrong path or method gets, and how the Functions
host's call reaches the same FastAPI app (routePrefix "", one ASGI function for every path)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from urllib.parse import quote

import azure.functions as func
import orjson
import pytest
from fastapi.testclient import TestClient

from cli.runner.index import index
from shared.domain.events import decode


@pytest.fixture
def http(api):
    return TestClient(api, raise_server_exceptions=False)


@pytest.fixture
def token(issuer):
    return issuer.token(f"user-{uuid.uuid4().hex[:8]}")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_literal_route_wins_over_a_parameter(http, token, publisher):
    item = {"type": "expense", "amount": "1.00", "currency": "EUR", "category": "c", "date": "2026-01-02"}
    r = http.post("/api/transactions/batch", json={"transactions": [item]}, headers=auth(token))
    assert r.status_code == 202 and len(r.json()["ids"]) == 1
    assert http.get("/api/transactions/batch", headers=auth(token)).status_code == 404  # not a UUID: no such one


@pytest.mark.parametrize("path", ["/api/nope", "/api/transactions/x/y", "/nothing"])
def test_an_unknown_route_is_a_404_problem(http, path):
    r = http.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert (problem["status"], problem["title"]) == (404, "Not Found")
    assert path in problem["detail"]


def test_a_wrong_method_is_405_listing_the_methods_of_every_route_at_the_path(http):
    r = http.post(f"/api/transactions/{uuid.uuid4()}")
    assert r.status_code == 405
    assert r.headers["allow"] == "DELETE, GET, PATCH"
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "POST is not allowed here; use DELETE, GET, PATCH."


@pytest.mark.parametrize("category", ["Café & Bar", "100%25"])
def test_route_params_arrive_as_the_server_decoded_them_once(api, token, publisher, category):
    # uvicorn hands the app a path percent-decoded once ("100%2525" on the wire is "100%25" here); decoding
    # again would make it "100%". (The test client decodes twice itself, so this speaks ASGI directly.)
    status, body = asgi_call(api, "PUT", f"/api/budgets/{category}/2026-11", token, b'{"amount":"5","currency":"EUR"}')
    assert status == 202, body
    assert orjson.loads(body)["category"] == category
    assert decode(publisher.sent[-1].value).budget.category == category


def asgi_call(app, method: str, path: str, token: str, body: bytes) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": quote(path, safe="/").encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
    }
    inbox = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive():
        return inbox.pop(0) if inbox else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_concurrent_requests_are_served_independently(api, issuer):
    users = [f"user-{uuid.uuid4().hex[:8]}" for _ in range(8)]
    results: dict[str, int] = {}

    def one(user: str) -> None:
        with TestClient(api) as c:
            results[user] = c.get("/api/transactions", headers=auth(issuer.token(user))).status_code

    threads = [threading.Thread(target=one, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {u: 200 for u in users}


def test_the_functions_host_reaches_the_api_through_the_one_asgi_function(function_app):
    """As in Azure: the host calls `http_app_func` with a func.HttpRequest for any path (routePrefix "")."""
    (fn,) = [f for f in index(function_app) if f.kind == "httpTrigger"]
    assert fn.name == "http_app_func" and fn.trigger["route"] == "/{*route}"
    request = func.HttpRequest(method="GET", url="https://budget.example/api/nope", headers={}, body=b"")
    response = asyncio.run(fn.call(req=request, context=_Context()))
    assert response.status_code == 404
    assert orjson.loads(response.get_body())["detail"] == "No route /api/nope."


class _Context(func.Context):
    """The invocation context the host passes; the ASGI bridge reads these names only for the scope."""

    invocation_id = "test"
    function_name = "http_app_func"
    function_directory = "/home/site/wwwroot"
    trace_context = None
    retry_context = None
    thread_local_storage = None
