"""What a caller meets at the edge: identity, scoping, limits, problem details, the API document."""

from __future__ import annotations

import uuid

from tests.support.wait import until


def _txn() -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": "income",
        "amount": "2500.00",
        "currency": "EUR",
        "category": "salary",
        "date": "2026-11-01",
    }


def test_no_token_or_a_bad_token_is_401(app_server):
    with app_server.client() as anon:
        r = anon.post("/api/transactions", json=_txn())
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert "bearer" in r.headers["www-authenticate"].lower()
    with app_server.client("not.a.token") as bad:
        assert bad.get("/api/transactions").status_code == 401


def test_a_user_sees_only_their_own_transactions(app_server, infra, client, user):
    body = _txn()
    assert client.post("/api/transactions", json=body).status_code == 202
    until(lambda: client.get(f"/api/transactions/{body['id']}").status_code == 200, what="alice's row")
    with app_server.client(infra.issuer.token(f"other-{uuid.uuid4().hex[:6]}")) as other:
        assert other.get(f"/api/transactions/{body['id']}").status_code == 404
        assert other.get("/api/transactions").json()["items"] == []
        # Deleting someone else's id is accepted as an event but changes nothing of theirs.
        assert other.delete(f"/api/transactions/{body['id']}").status_code == 202
    marker = _txn()
    client.post("/api/transactions", json=marker)
    until(lambda: client.get(f"/api/transactions/{marker['id']}").status_code == 200, what="the marker")
    assert client.get(f"/api/transactions/{body['id']}").status_code == 200


def test_listing_pages_newest_first_with_filters(client):
    dates = ["2026-10-01", "2026-10-15", "2026-11-01", "2026-11-15", "2026-11-30"]
    for d in dates:
        client.post("/api/transactions", json={**_txn(), "date": d, "type": "expense", "category": "food"})
    until(lambda: len(client.get("/api/transactions").json()["items"]) == 5, what="five rows")
    first = client.get("/api/transactions", params={"limit": 2}).json()
    assert [i["date"] for i in first["items"]] == ["2026-11-30", "2026-11-15"]
    second = client.get("/api/transactions", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["date"] for i in second["items"]] == ["2026-11-01", "2026-10-15"]
    november = client.get("/api/transactions", params={"from": "2026-11-01", "to": "2026-11-30"}).json()
    assert len(november["items"]) == 3
    assert client.get("/api/transactions", params={"type": "income"}).json()["items"] == []
    assert client.get("/api/transactions", params={"cursor": "garbage"}).status_code == 400


def test_bodies_over_the_limit_are_413_and_bad_json_is_400(client):
    huge = {**_txn(), "description": "x" * 70_000}
    assert client.post("/api/transactions", json=huge).status_code == 413
    r = client.post("/api/transactions", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"


def test_health_and_the_api_document(app_server):
    with app_server.client() as anon:
        health = anon.get("/api/health")
        assert health.status_code == 200 and health.json()["checks"] == {"broker": "ok", "database": "ok"}
        doc = anon.get("/api/openapi.json").json()
        assert {
            "/api/transactions",
            "/api/transactions/{id}",
            "/api/transactions/batch",
            "/api/budgets/{category}/{month}",
            "/api/health",
        } <= set(doc["paths"])
        assert "post" in doc["paths"]["/api/transactions"] and "get" in doc["paths"]["/api/transactions"]
        docs = anon.get("/api/docs")
        assert docs.status_code == 200 and "openapi.json" in docs.text
