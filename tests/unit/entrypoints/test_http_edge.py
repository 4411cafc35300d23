"""The HTTP edge: JSON bodies with limits, bearer auth, and every failure as RFC 9457 problem details."""

from __future__ import annotations

import uuid

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from functions import errors
from functions.bodies import JsonRoute, body_limit
from functions.deps import Caller
from shared.adapters.kafka.publisher import BrokerUnavailable
from shared.domain.transactions import NewTransaction
from shared.problems import MEDIA_TYPE, Problem


class Small(BaseModel):
    amount: str


def edge_app(root, failure: Exception | None = None) -> FastAPI:
    """A FastAPI app with the edge installed and routes that accept a small body or fail as told."""
    app = FastAPI()
    app.state.root = root
    errors.install(app)
    router = APIRouter(route_class=JsonRoute, strict_content_type=False)

    @router.post("/small", openapi_extra=body_limit(100))
    async def small(body: Small) -> dict:
        return {"amount": body.amount}

    @router.post("/transaction")
    async def transaction(body: NewTransaction) -> dict:
        return {"id": str(body.id)}

    @router.get("/fail")
    async def fail() -> None:
        raise failure  # type: ignore[misc]

    @router.get("/who")
    async def who(caller: Caller) -> dict:
        return {"user": caller.user_id, "admin": caller.is_admin}

    app.include_router(router)
    return app


def problem_of(response) -> dict:
    assert response.headers["content-type"] == MEDIA_TYPE
    body = response.json()
    assert body["status"] == response.status_code
    assert body["type"] == "about:blank"
    return body


@pytest.fixture
def client(root):
    return TestClient(edge_app(root), raise_server_exceptions=False)


def failing(root, exc: Exception) -> TestClient:
    return TestClient(edge_app(root, exc), raise_server_exceptions=False)


# --- bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ctype",
    [None, "application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"],
)
def test_json_bodies_are_parsed(client, ctype):
    headers = {"content-type": ctype} if ctype else {}
    r = client.post("/small", content=b'{"amount": "1.00"}', headers=headers)
    assert (r.status_code, r.json()) == (200, {"amount": "1.00"})


def test_a_body_at_the_limit_is_read_and_one_byte_over_is_413_naming_the_limit(client):
    body = b'{"amount": "' + b"x" * 86 + b'"}'
    assert len(body) == 100
    assert client.post("/small", content=body).status_code == 200
    over = client.post("/small", content=body + b" ")
    assert over.status_code == 413
    assert "100 bytes" in problem_of(over)["detail"]


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=1"])
def test_a_body_that_is_not_json_by_content_type_is_415(client, ctype):
    r = client.post("/small", content=b"{}", headers={"content-type": ctype})
    assert r.status_code == 415
    assert ctype.split(";")[0] in problem_of(r)["detail"]


@pytest.mark.parametrize("body", [b"{", b"{'a': 1}", b"\xff", b"NaN"])
def test_invalid_json_is_400(client, body):
    r = client.post("/small", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert "not valid JSON" in problem_of(r)["detail"]


def test_the_limit_holds_without_a_content_length(client):
    def chunks():
        yield b'{"amount": "'
        yield b"x" * 200
        yield b'"}'

    r = client.post("/small", content=chunks())
    assert r.status_code == 413


def test_an_empty_body_is_400_asking_for_a_json_object(client):
    r = client.post("/small", content=b"", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert "JSON object" in problem_of(r)["detail"]


def test_the_size_limit_is_checked_before_the_content_type(client):
    assert client.post("/small", content=b"x" * 200, headers={"content-type": "text/plain"}).status_code == 413


def test_validation_errors_are_422_listing_each_field(client):
    r = client.post("/transaction", json={"type": "expense", "amount": 1, "currency": "EUR", "category": "c"})
    body = problem_of(r)
    assert body["status"] == 422
    fields = {e["field"] for e in body["errors"]}
    assert {"amount", "date"} <= fields
    assert all(not e["message"].startswith("Value error") for e in body["errors"])
    assert body["detail"].startswith("The request has invalid fields: ")


def test_field_errors_do_not_echo_the_submitted_values(client):
    secret = "IBAN DE89 3704 0044 0532 0130 00"
    r = client.post("/transaction", json={"type": "expense", "description": secret * 20})
    assert r.status_code == 422
    assert secret not in r.text


# --- failures ----------------------------------------------------------------------------------


def test_a_problem_raised_in_a_route_is_answered_as_is_with_extra_members_and_headers(root):
    problem = Problem(422, "fix the amount", headers={"Retry-After": "5"}, errors=[{"field": "amount"}])
    r = failing(root, problem).get("/fail")
    assert r.status_code == 422
    assert r.headers["Retry-After"] == "5"
    assert problem_of(r) == {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "fix the amount",
        "errors": [{"field": "amount"}],
    }


def test_a_broker_that_does_not_acknowledge_is_503_with_retry_after(root):
    r = failing(root, BrokerUnavailable("timeout")).get("/fail")
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert "same id" in problem_of(r)["detail"]


def test_an_unexpected_error_is_500_and_leaks_nothing(root):
    r = failing(root, RuntimeError("password=hunter2")).get("/fail")
    assert r.status_code == 500
    assert "hunter2" not in r.text
    assert problem_of(r)["title"] == "Internal Server Error"


def test_an_unknown_route_is_a_404_problem(client):
    r = client.get("/nowhere")
    assert r.status_code == 404
    assert problem_of(r)["detail"] == "No route /nowhere."


# --- authentication, against a real dev issuer -------------------------------------------------


def test_a_valid_bearer_token_authenticates_the_user(client, issuer):
    uid = f"user-{uuid.uuid4().hex[:8]}"
    r = client.get("/who", headers={"authorization": f"Bearer {issuer.token(uid, admin=True)}"})
    assert r.json() == {"user": uid, "admin": True}


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "missing bearer token"),
        ("Basic dTpw", "must be 'Bearer <token>'"),
        ("Bearer not-a-token", "malformed token"),
    ],
)
def test_without_a_valid_token_the_answer_is_401_with_www_authenticate(client, authorization, reason):
    r = client.get("/who", headers={"authorization": authorization} if authorization else {})
    assert r.status_code == 401
    assert reason in problem_of(r)["detail"]
    assert r.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_an_expired_token_is_401_saying_so(client, issuer):
    r = client.get("/who", headers={"authorization": f"Bearer {issuer.token('u', ttl_s=-600)}"})
    assert (r.status_code, problem_of(r)["detail"]) == (401, "token expired")


def test_without_a_token_nothing_about_the_body_is_said(api):
    http = TestClient(api, raise_server_exceptions=False)
    for body, ctype in ((b"{", "application/json"), (b"x" * 100_000, "application/json"), (b"a=1", "text/plain")):
        r = http.post("/api/transactions", content=body, headers={"content-type": ctype})
        assert r.status_code == 401, (body[:10], r.text)


def test_a_bad_split_of_one_transaction_names_its_field_not_a_batch_item(api, issuer):
    http = TestClient(api, raise_server_exceptions=False)
    body = {"type": "expense", "amount": "10.00", "currency": "EUR", "category": "c", "date": "2026-01-02",
            "splits": [{"category": "a", "amount": "4.00"}, {"category": "b", "amount": "x"}]}  # fmt: skip
    r = http.post("/api/transactions", json=body, headers={"Authorization": f"Bearer {issuer.token('u')}"})
    assert r.status_code == 422
    problem = problem_of(r)
    assert problem["detail"].startswith("The request has invalid fields: ")
    assert any(e["field"].startswith("splits.1") for e in problem["errors"])


def test_a_path_that_can_name_nothing_is_404_even_when_the_query_is_bad_too(api, issuer):
    http = TestClient(api, raise_server_exceptions=False)
    auth = {"Authorization": f"Bearer {issuer.token('u')}"}
    r = http.get(f"/api/webhooks/{'w' * 65}/deliveries", params={"limit": "0"}, headers=auth)
    assert r.status_code == 404, r.text
    assert problem_of(r)["detail"].startswith("No route /api/webhooks/")
    assert http.get("/api/webhooks/w1/deliveries", params={"limit": "0"}, headers=auth).status_code == 400
