"""The local runner serves a function app's HTTP triggers the way the Functions host routes them."""

import asyncio
import threading
import uuid
from urllib.parse import quote

import azure.functions as func
import orjson
import pytest

from cli.runner.http import MAX_BODY, FunctionsAsgi, compile_route, routes_of

# --- route templates ---------------------------------------------------------------------------


def matches(template: str, path: str) -> dict | None:
    m = compile_route(template)[0].match(path)
    return m.groupdict() if m else None


def test_literal_routes_match_only_themselves():
    assert matches("transactions/batch", "transactions/batch") == {}
    assert matches("transactions/batch", "transactions/other") is None
    assert matches("transactions/batch", "transactions/batch/extra") is None


def test_literal_dots_are_not_wildcards():
    assert matches("openapi.json", "openapi.json") == {}
    assert matches("openapi.json", "openapiXjson") is None


def test_parameters_take_one_segment_each():
    assert matches("budgets/{category}/{month}", "budgets/food/2026-11") == {"category": "food", "month": "2026-11"}
    assert matches("budgets/{category}/{month}", "budgets/food") is None
    assert matches("budgets/{category}/{month}", "budgets/a/b/c") is None


def test_the_guid_constraint_accepts_only_uuids():
    tid = str(uuid.uuid4())
    assert matches("transactions/{id:guid}", f"transactions/{tid}") == {"id": tid}
    assert matches("transactions/{id:guid}", f"transactions/{tid.upper()}") == {"id": tid.upper()}
    assert matches("transactions/{id:guid}", "transactions/batch") is None
    assert matches("transactions/{id:guid}", "transactions/123") is None


def test_the_int_constraint_accepts_only_integers():
    assert matches("pages/{n:int}", "pages/-12") == {"n": "-12"}
    assert matches("pages/{n:int}", "pages/twelve") is None


def test_a_catch_all_takes_the_rest_of_the_path():
    assert matches("files/{*path}", "files/a/b/c.txt") == {"path": "a/b/c.txt"}


def test_routes_match_case_insensitively_like_the_host():
    assert matches("transactions/batch", "Transactions/BATCH") == {}


def test_templates_count_their_parameters():
    assert compile_route("transactions")[1] == 0
    assert compile_route("budgets/{category}/{month:alpha}")[1] == 2


def test_literal_routes_win_over_parameters_in_the_real_app():
    from function_app import app

    route = next(r for r in routes_of(app) if r.pattern.match("transactions/batch") and "POST" in r.methods)
    assert route.function.name == "record_transaction_batch"
    route = next(r for r in routes_of(app) if r.pattern.match(f"transactions/{uuid.uuid4()}") and "GET" in r.methods)
    assert route.function.name == "get_transaction"


# --- the ASGI app, driven directly ---------------------------------------------------------------


def build_app() -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    # Registered before the literal route on purpose: order of registration must not decide routing.
    @app.function_name("get_item")
    @app.route(route="items/{id}", methods=["GET", "DELETE"])
    def get_item(req: func.HttpRequest) -> func.HttpResponse:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        body = {
            "function": "get_item",
            "method": req.method,
            "id": req.route_params["id"],
            "params": dict(req.params),
            "on_event_loop": on_loop,
            "url": req.url,
        }
        return func.HttpResponse(orjson.dumps(body), status_code=200, mimetype="application/json")

    @app.function_name("post_batch")
    @app.route(route="items/batch", methods=["POST"])
    async def post_batch(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(
            req.get_body(),
            status_code=202,
            headers={"Location": "/api/items/batch/1", "X-Request-Type": req.headers.get("content-type", "")},
            mimetype="application/octet-stream",
        )

    @app.function_name("get_budget")
    @app.route(route="budgets/{category}/{month}", methods=["PUT"])
    def get_budget(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(orjson.dumps(dict(req.route_params)), mimetype="application/json")

    @app.function_name("hello")
    @app.route(route="hello", methods=["GET"])
    def hello(req: func.HttpRequest) -> func.HttpResponse:  # noqa: ARG001
        return func.HttpResponse("héllo", status_code=200)

    @app.function_name("boom")
    @app.route(route="boom", methods=["GET"])
    def boom(req: func.HttpRequest) -> func.HttpResponse:  # noqa: ARG001
        raise RuntimeError("database password is hunter2")

    return app


@pytest.fixture
def asgi():
    app = FunctionsAsgi(build_app(), threads=4)
    yield app
    asyncio.run(lifespan(app))


async def lifespan(app) -> list[str]:
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive():
        return inbox.pop(0)

    async def send(message):
        sent.append(message["type"])

    await app({"type": "lifespan"}, receive, send)
    return sent


class Response:
    def __init__(self, status: int, headers: list, body: bytes) -> None:
        self.status = status
        self.headers = {k.decode(): v.decode() for k, v in headers}
        self.body = body

    def json(self):
        return orjson.loads(self.body)


def call(app, method: str, path: str, *, query: str = "", headers=(), body: bytes = b"", chunks=None) -> Response:
    """One request through the ASGI interface, with the scope a server such as uvicorn builds."""
    messages = (
        [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
        if chunks is not None
        else [{"type": "http.request", "body": body, "more_body": False}]
    )
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,  # ASGI: percent-decoded already
        "raw_path": quote(path, safe="/").encode(),  # ASGI: the bytes as sent, still percent-encoded
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver"), *((k.encode(), v.encode()) for k, v in headers)],
    }
    sent = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start, end = sent
    assert start["type"] == "http.response.start" and end["type"] == "http.response.body"
    return Response(start["status"], start["headers"], end["body"])


def test_lifespan_startup_and_shutdown_complete():
    assert asyncio.run(lifespan(FunctionsAsgi(build_app(), threads=1))) == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


def test_a_sync_function_runs_off_the_event_loop_with_route_and_query_params(asgi):
    tid = str(uuid.uuid4())
    r = call(asgi, "GET", f"/api/items/{tid}", query="month=2026-11&empty=&tag=a%26b")
    assert r.status == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {
        "function": "get_item",
        "method": "GET",
        "id": tid,
        "params": {"month": "2026-11", "empty": "", "tag": "a&b"},
        "on_event_loop": False,
        "url": f"http://testserver/api/items/{tid}?month=2026-11&empty=&tag=a%26b",
    }


def test_an_async_function_gets_the_body_and_its_status_and_headers_are_carried(asgi):
    r = call(asgi, "POST", "/api/items/batch", headers=[("content-type", "text/csv")], body=b"a,b\n1,2\n")
    assert r.status == 202
    assert r.body == b"a,b\n1,2\n"
    assert r.headers["location"] == "/api/items/batch/1"
    assert r.headers["x-request-type"] == "text/csv"
    assert r.headers["content-type"] == "application/octet-stream"


def test_a_streamed_body_is_reassembled(asgi):
    r = call(asgi, "POST", "/api/items/batch", chunks=[b"one,", b"two,", b"three"])
    assert r.body == b"one,two,three"


def test_a_literal_route_wins_over_a_parameter_whatever_the_registration_order(asgi):
    assert call(asgi, "POST", "/api/items/batch", body=b"x").status == 202
    # GET is not a method of items/batch, so items/{id} answers with id "batch", as the host does.
    assert call(asgi, "GET", "/api/items/batch").json()["id"] == "batch"


def test_a_trailing_slash_reaches_the_same_function(asgi):
    assert call(asgi, "GET", "/api/items/42/").json()["id"] == "42"


def test_a_text_response_gets_a_text_content_type_with_its_charset(asgi):
    r = call(asgi, "GET", "/api/hello")
    assert r.headers["content-type"].startswith("text/plain")
    assert "charset=utf-8" in r.headers["content-type"]
    assert r.body.decode("utf-8") == "héllo"


@pytest.mark.parametrize("path", ["/api/nothing-here", "/api/items/1/2", "/health", "/api", "/"])
def test_an_unknown_route_is_a_404_problem(asgi, path):
    r = call(asgi, "GET", path)
    assert r.status == 404
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 404
    assert problem["title"] == "Not Found"
    assert path in problem["detail"]


def test_a_known_route_with_the_wrong_method_is_a_405_with_allow(asgi):
    r = call(asgi, "PATCH", "/api/items/7")
    assert r.status == 405
    assert r.headers["allow"] == "DELETE, GET"
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "PATCH is not allowed here; use DELETE, GET."


def test_allow_lists_the_methods_of_every_route_matching_the_path(asgi):
    assert call(asgi, "PUT", "/api/items/batch").headers["allow"] == "DELETE, GET, POST"


def test_a_body_declared_over_the_limit_is_refused_without_calling_the_function(asgi):
    r = call(asgi, "POST", "/api/items/batch", headers=[("content-length", str(MAX_BODY + 1))], body=b"")
    assert r.status == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Content Too Large"


def test_a_streamed_body_over_the_limit_is_refused(asgi):
    chunk = b"x" * (1024 * 1024)
    r = call(asgi, "POST", "/api/items/batch", chunks=[chunk] * 4 + [b"x"])
    assert r.status == 413


def test_a_body_exactly_at_the_limit_is_accepted(asgi):
    chunk = b"x" * (1024 * 1024)
    r = call(asgi, "POST", "/api/items/batch", chunks=[chunk] * 4)
    assert r.status == 202
    assert len(r.body) == MAX_BODY


def test_a_failing_function_is_a_500_problem_that_leaks_nothing(asgi):
    r = call(asgi, "GET", "/api/boom")
    assert r.status == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert "incident" in r.json()["detail"]
    assert b"hunter2" not in r.body


def test_route_params_arrive_decoded(asgi):
    # The server hands the ASGI app a percent-decoded path: "Caf%C3%A9" arrives as "Café".
    r = call(asgi, "PUT", "/api/budgets/Café & Bar/2026-11")
    assert r.json() == {"category": "Café & Bar", "month": "2026-11"}


def test_route_params_are_decoded_exactly_once(asgi):
    # The client sent "/api/budgets/100%2525/2026-11" for the category "100%25"; the server decoded
    # it once into the ASGI path. Decoding again would turn the category into "100%".
    r = call(asgi, "PUT", "/api/budgets/100%25/2026-11")
    assert r.json()["category"] == "100%25"


def test_concurrent_requests_are_served_independently(asgi):
    ids = [str(uuid.uuid4()) for _ in range(8)]
    results: dict[str, str] = {}

    def one(tid: str) -> None:
        results[tid] = call(asgi, "GET", f"/api/items/{tid}").json()["id"]

    threads = [threading.Thread(target=one, args=(tid,)) for tid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {tid: tid for tid in ids}
