"""The OpenAPI document describes every route the assembled app serves, with every refusal it can answer."""

import re

import pytest
from fastapi.routing import APIRoute
from openapi_spec_validator import validate

# The document describes the API; it is not part of it. The dashboard's pages are not API either.
UNDOCUMENTED = {"/api/openapi.json"}
# Bodies that are files as another party publishes them, not JSON: an ECB rate file, a bank's statement, each told
# apart by its content.
FILE_BODIES = {("/api/rates", "post"), ("/api/imports", "post")}


@pytest.fixture
def document(api) -> dict:
    return api.openapi()


def served_operations(api) -> set[tuple[str, str]]:
    """(path, method) for every route the app serves, read from the app's own routing table."""
    out = set()
    for route in _api_routes(api):
        for method in route.methods:
            out.add((route.path, method.lower()))
    return out


def _api_routes(api) -> list[APIRoute]:
    found = []
    for route in api.router.routes:
        routes = route.original_router.routes if hasattr(route, "original_router") else [route]
        prefix = route.include_context.prefix if hasattr(route, "include_context") else ""
        included = getattr(getattr(route, "original_router", None), "include_in_schema", True)
        for r in routes:
            if isinstance(r, APIRoute) and r.include_in_schema and included and prefix + r.path not in UNDOCUMENTED:
                found.append(_Seen(prefix + r.path, r.methods, r.operation_id))
    return found


class _Seen:
    def __init__(self, path, methods, operation_id) -> None:
        self.path, self.methods, self.operation_id = path, methods, operation_id


def operations(document: dict):
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_served_route_and_method_is_documented_and_nothing_else(api, document):
    documented = {(path, method) for path, method, _ in operations(document)}
    assert served_operations(api)  # the app serves something, so the comparison means something
    assert documented == served_operations(api)


def test_operation_ids_are_the_route_names_and_unique(api, document):
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    assert set(ids) == {r.operation_id for r in _api_routes(api)}


def test_bearer_tokens_are_the_security_scheme(document):
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")


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
            content = op["requestBody"]["content"]
            assert "application/json" in content or (path, method) in FILE_BODIES, (path, method)
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
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"\{(\w+)\}", path)), (path, method)


def test_every_report_documents_its_own_parameters(document):
    trend = document["paths"]["/api/reports/trend"]["get"]
    assert {p["name"] for p in trend["parameters"]} == {"months", "until", "convert_to"}
    search = document["paths"]["/api/reports/search"]["get"]
    assert {"from", "to", "q", "cursor", "limit"} <= {p["name"] for p in search["parameters"]}


def test_amounts_and_currencies_are_described_as_the_validators_accept_them(document):
    schema = document["components"]["schemas"]["NewTransaction"]["properties"]
    assert schema["amount"]["type"] == "string" and schema["amount"]["pattern"]
    assert "EUR" in schema["currency"]["enum"] and "XAU" not in schema["currency"]["enum"]
