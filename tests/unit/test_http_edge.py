"""The HTTP edge: JSON bodies with limits, bearer auth, and every failure as RFC 9457 problem details."""

import asyncio
import uuid

import azure.functions as func
import orjson
import pytest
from pydantic import ValidationError

from functions._http import (
    PROBLEM,
    Problem,
    authenticate,
    endpoint,
    json_response,
    problem_response,
    read_json,
)
from shared import bootstrap
from shared.adapters.auth.devissuer import ADMIN_ROLE, DEV_AUDIENCE, DEV_ISSUER, DevIssuer
from shared.adapters.kafka.publisher import BrokerUnavailable
from shared.domain.transactions import NewTransaction


def request(body: bytes = b"", *, headers: dict | None = None, method: str = "POST") -> func.HttpRequest:
    return func.HttpRequest(method=method, url="http://localhost/api/x", headers=headers or {}, body=body)


def problem_of(resp: func.HttpResponse) -> dict:
    assert resp.mimetype == PROBLEM
    body = orjson.loads(resp.get_body())
    assert body["status"] == resp.status_code
    assert body["type"] == "about:blank"
    return body


# --- read_json ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ctype",
    [None, "application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"],
)
def test_json_bodies_are_parsed(ctype):
    headers = {"content-type": ctype} if ctype else {}
    assert read_json(request(b'{"amount": "1.00"}', headers=headers), limit=100) == {"amount": "1.00"}


def test_a_body_at_the_limit_is_read_and_one_byte_over_is_413():
    body = b'"' + b"x" * 98 + b'"'
    assert read_json(request(body), limit=100) == "x" * 98
    with pytest.raises(Problem) as info:
        read_json(request(body + b" "), limit=100)
    assert info.value.status == 413
    assert "101 bytes" in info.value.detail
    assert "100 bytes" in info.value.detail


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=1"])
def test_a_body_that_is_not_json_by_content_type_is_415(ctype):
    with pytest.raises(Problem) as info:
        read_json(request(b"{}", headers={"content-type": ctype}), limit=100)
    assert info.value.status == 415
    assert ctype.split(";")[0] in info.value.detail


@pytest.mark.parametrize("body", [b"", b"{", b"{'a': 1}", b"\xff", b"NaN"])
def test_invalid_json_is_400(body):
    with pytest.raises(Problem) as info:
        read_json(request(body), limit=100)
    assert info.value.status == 400
    assert "not valid JSON" in info.value.detail


def test_the_size_limit_is_checked_before_the_content_type():
    with pytest.raises(Problem) as info:
        read_json(request(b"x" * 200, headers={"content-type": "text/plain"}), limit=100)
    assert info.value.status == 413


# --- problem responses -------------------------------------------------------------------------


def test_a_problem_becomes_problem_details_with_extra_members_and_headers():
    resp = problem_response(Problem(422, "fix the amount", headers={"Retry-After": "5"}, errors=[{"field": "amount"}]))
    assert resp.status_code == 422
    assert resp.headers["Retry-After"] == "5"
    assert problem_of(resp) == {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "fix the amount",
        "errors": [{"field": "amount"}],
    }


def test_json_responses_carry_status_body_and_headers():
    resp = json_response(202, {"id": "x"}, {"Location": "/api/transactions/x"})
    assert (resp.status_code, resp.mimetype) == (202, "application/json")
    assert resp.headers["Location"] == "/api/transactions/x"
    assert orjson.loads(resp.get_body()) == {"id": "x"}


# --- endpoint: every failure is a problem ------------------------------------------------------


def validation_error() -> ValidationError:
    with pytest.raises(ValidationError) as info:
        NewTransaction.model_validate({"type": "expense", "amount": 1, "currency": "EUR", "category": "c"})
    return info.value


def raising(exc: Exception, *, is_async: bool):
    """A route that fails with `exc`, wrapped like every real route."""
    if is_async:

        @endpoint
        async def async_route(req: func.HttpRequest) -> func.HttpResponse:  # noqa: ARG001
            raise exc

        return async_route

    @endpoint
    def sync_route(req: func.HttpRequest) -> func.HttpResponse:  # noqa: ARG001
        raise exc

    return sync_route


@pytest.fixture(params=[False, True], ids=["sync", "async"])
def run(request):
    def call(exc: Exception) -> func.HttpResponse:
        result = raising(exc, is_async=request.param)(request_for_route())
        return asyncio.run(result) if asyncio.iscoroutine(result) else result

    return call


def request_for_route() -> func.HttpRequest:
    return func.HttpRequest(method="GET", url="http://localhost/api/x", body=b"")


def test_sync_routes_stay_sync_and_async_routes_stay_async():
    assert not asyncio.iscoroutinefunction(raising(RuntimeError(), is_async=False))
    assert asyncio.iscoroutinefunction(raising(RuntimeError(), is_async=True))


def test_a_problem_raised_in_a_route_is_answered_as_is(run):
    resp = run(Problem(404, "No such transaction"))
    assert resp.status_code == 404
    assert problem_of(resp)["detail"] == "No such transaction"


def test_validation_errors_are_422_listing_each_field(run):
    body = problem_of(run(validation_error()))
    assert body["status"] == 422
    fields = {e["field"] for e in body["errors"]}
    assert {"amount", "date"} <= fields
    assert all(not e["message"].startswith("Value error") for e in body["errors"])
    assert body["detail"].startswith("The request has invalid fields: ")


def test_a_broker_that_does_not_acknowledge_is_503_with_retry_after(run):
    resp = run(BrokerUnavailable("timeout"))
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "5"
    assert "same id" in problem_of(resp)["detail"]


def test_an_unexpected_error_is_500_and_leaks_nothing(run):
    resp = run(RuntimeError("password=hunter2"))
    assert resp.status_code == 500
    assert b"hunter2" not in resp.get_body()
    assert problem_of(resp)["title"] == "Internal Server Error"


# --- authenticate, against a real dev issuer ---------------------------------------------------


@pytest.fixture
def issuer(tmp_path, monkeypatch):
    issuer = DevIssuer(tmp_path / "issuer").ensure()
    for name, value in {
        "KafkaBrokerList": "127.0.0.1:9",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
        "AuthIssuer": DEV_ISSUER,
        "AuthAudience": DEV_AUDIENCE,
        "AuthJwksUrl": issuer.jwks_url,
        "AuthAdminRole": ADMIN_ROLE,
    }.items():
        monkeypatch.setenv(name, value)
    bootstrap.reset()
    yield issuer
    bootstrap.reset()


def test_a_valid_bearer_token_authenticates_the_user(issuer):
    uid = f"user-{uuid.uuid4().hex[:8]}"
    principal = authenticate(request(headers={"authorization": f"Bearer {issuer.token(uid, admin=True)}"}))
    assert principal.user_id == uid
    assert principal.is_admin


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "missing bearer token"),
        ("Basic dTpw", "must be 'Bearer <token>'"),
        ("Bearer not-a-token", "malformed token"),
    ],
)
def test_without_a_valid_token_the_answer_is_401_with_www_authenticate(issuer, authorization, reason):
    headers = {"authorization": authorization} if authorization else {}
    with pytest.raises(Problem) as info:
        authenticate(request(headers=headers))
    assert info.value.status == 401
    assert reason in info.value.detail
    assert info.value.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_an_expired_token_is_401_saying_so(issuer):
    with pytest.raises(Problem) as info:
        authenticate(request(headers={"authorization": f"Bearer {issuer.token('u', ttl_s=-600)}"}))
    assert (info.value.status, info.value.detail) == (401, "token expired")
