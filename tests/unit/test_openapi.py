"""The OpenAPI document describes every HTTP route the assembled app really serves."""

import re

import pytest
from openapi_spec_validator import validate

from cli.runner.index import index
from function_app import app
from shared.openapi import build_document, openapi_path

# The document and its browsable page describe the API; they are not part of it.
UNDOCUMENTED = {"openapi", "docs"}


@pytest.fixture(scope="module")
def document() -> dict:
    return build_document(app)


def served_operations() -> set[tuple[str, str]]:
    """(path, method) for every HTTP trigger the app registers, read from its own bindings."""
    out = set()
    for fn in index(app):
        if fn.kind != "httpTrigger" or fn.name in UNDOCUMENTED:
            continue
        for method in fn.trigger.get("methods") or ["GET", "POST"]:
            out.add((openapi_path(fn.trigger.get("route") or fn.name), method.lower()))
    return out


def operations(document: dict):
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_served_route_and_method_is_documented_and_nothing_else(document):
    documented = {(path, method) for path, method, _ in operations(document)}
    assert served_operations()  # the app serves something, so the comparison means something
    assert documented == served_operations()


def test_operation_ids_are_the_function_names_and_unique(document):
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    http_functions = {fn.name for fn in index(app) if fn.kind == "httpTrigger"} - UNDOCUMENTED
    assert set(ids) == http_functions


def test_bearer_tokens_are_the_security_scheme(document):
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


def test_every_protected_operation_requires_a_token_and_documents_401(document):
    protected = [(path, method, op) for path, method, op in operations(document) if path != "/api/health"]
    assert protected
    for path, method, op in protected:
        assert op.get("security") == [{"bearer": []}], (path, method)
        assert "401" in op["responses"], (path, method)


def test_health_is_public(document):
    health = document["paths"]["/api/health"]["get"]
    assert "security" not in health
    assert "401" not in health["responses"]


def test_operations_that_take_a_body_document_it_and_its_refusals(document):
    for path, method, op in operations(document):
        if method in ("post", "put", "patch"):
            assert op["requestBody"]["required"] is True, (path, method)
            assert "application/json" in op["requestBody"]["content"], (path, method)
            for status in ("413", "415", "422"):
                assert status in op["responses"], (path, method, status)
        else:
            assert "requestBody" not in op, (path, method)


def test_errors_are_documented_as_problem_details(document):
    for path, method, op in operations(document):
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (path, method, status)


def test_every_path_parameter_is_declared(document):
    for path, method, op in operations(document):
        declared = {p["name"] for p in op["parameters"] if p["in"] == "path"}
        assert declared == set(re.findall(r"\{(\w+)\}", path)), (path, method)


@pytest.mark.parametrize(
    ("route", "path"),
    [
        ("transactions/{id:guid}", "/api/transactions/{id}"),
        ("budgets/{category}/{month}", "/api/budgets/{category}/{month}"),
        ("files/{*rest}", "/api/files/{rest}"),
        ("items/{id?}", "/api/items/{id}"),
        ("health", "/api/health"),
    ],
)
def test_route_templates_become_openapi_paths(route, path):
    assert openapi_path(route) == path
