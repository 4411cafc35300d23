"""POST /api/rates at the edge: the admin role before anything about the body, and the body's limits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shared.adapters.rates.ecb import MAX_BYTES


@pytest.fixture
def http(api) -> TestClient:
    return TestClient(api, raise_server_exceptions=False)


def test_without_the_admin_role_loading_rates_is_403(http, issuer):
    r = http.post("/api/rates", content=b"Date,USD,\n", headers={"Authorization": f"Bearer {issuer.token('u1')}"})
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert "admin" in r.json()["detail"]


def test_without_a_token_it_is_401(http):
    assert http.post("/api/rates", content=b"Date,USD,\n").status_code == 401


def test_an_admin_sending_more_than_an_ecb_file_can_be_is_413_unread(http, issuer):
    token = issuer.token("admin-1", admin=True)
    r = http.post("/api/rates", content=b"x" * (MAX_BYTES + 1), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 413 and f"{MAX_BYTES:,}" in r.json()["detail"]


def test_an_empty_body_is_400_saying_what_to_send(http, issuer):
    r = http.post("/api/rates", headers={"Authorization": f"Bearer {issuer.token('admin-1', admin=True)}"})
    assert r.status_code == 400 and "ECB rate file" in r.json()["detail"]


def test_the_document_states_the_file_forms_and_the_limit(api):
    op = api.openapi()["paths"]["/api/rates"]["post"]
    assert {"application/xml", "text/csv", "application/zip"} <= set(op["requestBody"]["content"])
    assert op["x-body-limit"] == MAX_BYTES
    assert {"403", "413", "422"} <= set(op["responses"])
