"""Queries over Kafka, through the real broker and the answer_queries trigger: same answers as HTTP, errors
always answered, and the consumer carries on after bad requests."""

from __future__ import annotations

import uuid

import orjson
import pytest
from confluent_kafka import Consumer, TopicPartition
from typer.testing import CliRunner

from cli.query_client import QueryClient
from tests.integration.test_analyzer_queries import make_world, totals
from tests.support.stack import AppServer


@pytest.fixture(scope="module")
def world(infra):
    return make_world(infra)


@pytest.fixture(scope="module")
def as_alice(app_server, infra, world):
    with app_server.client(infra.issuer.token(world.alice)) as c:
        yield c


@pytest.fixture(scope="module")
def analyzer(infra, app_server, root):
    server = AppServer(root, kafka_functions=("answer_queries",)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def kafka(analyzer, infra):
    client = QueryClient(infra.settings(), client_id=f"test-{uuid.uuid4().hex[:8]}")
    yield client
    client.close()


@pytest.fixture(scope="module")
def shared_results(analyzer, infra):
    """A client whose replies come on the shared results topic."""
    client = QueryClient(infra.settings())
    yield client
    client.close()


@pytest.fixture(scope="module")
def alice_token(infra, world):
    return infra.issuer.token(world.alice)


USER_QUERIES = [
    ("monthly-summary", {"month": "{y}-03"}),
    ("category-breakdown", {"from": "{y}-03-10", "to": "{y}-05-20"}),
    ("budget-status", {"month": "{y}-03"}),
    ("trend", {"months": "4", "until": "{y}-05"}),
    ("top", {"from": "{y}-03-01", "to": "{y}-05-31", "limit": "5"}),
    ("search", {"category": "groceries", "limit": "20"}),
]


@pytest.mark.parametrize("name,params", USER_QUERIES)
def test_kafka_answers_equal_http_answers(kafka, as_alice, alice_token, world, name, params):
    params = {k: v.format(y=world.year) for k, v in params.items()}
    reply = kafka.ask(name, params, token=alice_token)
    assert reply["ok"] is True, reply
    http = as_alice.get(f"/api/reports/{name}", params=params)
    assert http.status_code == 200
    assert reply["result"] == http.json()


def test_a_reply_is_keyed_by_its_request_id_on_the_private_topic(kafka, alice_token, world, infra):
    request_id = kafka.send("monthly-summary", {"month": world.month(4)}, token=alice_token)
    reply = kafka.wait(request_id)
    assert reply["request_id"] == request_id
    mine = [r for r in world.of(world.alice) if r.month == world.month(4)]
    assert reply["result"]["data"]["currencies"] == totals(mine)
    assert kafka.reply_to == f"{infra.settings().results_topic}.{kafka.reply_to.rsplit('.', 1)[1]}"
    # The key is the request id: read it back from the broker.
    consumer = Consumer({"bootstrap.servers": infra.settings().kafka_broker_list, "group.id": uuid.uuid4().hex})
    consumer.assign([TopicPartition(kafka.reply_to, 0, 0)])
    keys = set()
    while (m := consumer.poll(2)) is not None:
        keys.add(m.key())
    consumer.close()
    assert request_id.encode() in keys


def test_numbers_in_json_params_are_accepted(kafka, alice_token, world):
    reply = kafka.ask("trend", {"months": 2, "until": world.month(5)}, token=alice_token)
    assert reply["ok"] is True, reply
    assert [m["month"] for m in reply["result"]["data"]["months"]] == [world.month(4), world.month(5)]


@pytest.mark.parametrize(
    "name,params,status,field",
    [
        ("no-such-query", {}, 404, None),
        ("monthly-summary", {"month": "2026-13"}, 422, "month"),
        ("monthly-summary", {"month": "2026-01", "user_id": "someone-else"}, 422, "user_id"),
        ("search", {"cursor": "bm9wZQ"}, 400, None),
    ],
)
def test_bad_queries_get_an_error_reply(kafka, alice_token, name, params, status, field):
    reply = kafka.ask(name, params, token=alice_token)
    assert reply["ok"] is False
    assert reply["error"]["status"] == status
    assert reply["error"]["title"] and reply["error"]["detail"]
    if field:
        assert reply["error"]["errors"][0]["field"] == field


def test_bad_tokens_get_401(kafka, infra, world):
    assert kafka.ask("monthly-summary", {"month": "2026-01"}, token="not-a-jwt")["error"]["status"] == 401
    expired = infra.issuer.token(world.alice, ttl_s=-3600)
    reply = kafka.ask("monthly-summary", {"month": "2026-01"}, token=expired)
    assert reply["error"] == {"type": "about:blank", "status": 401, "title": "Unauthorized", "detail": "token expired"}
    request_id = str(uuid.uuid4())
    kafka.send_raw(orjson.dumps({"request_id": request_id, "reply_to": kafka.reply_to, "query": {"name": "lag"}}))
    assert kafka.wait(request_id)["error"]["status"] == 401


@pytest.mark.parametrize("name", ["all-users-summary", "active-users", "lag"])
def test_admin_queries_refuse_non_admins_and_answer_admins(kafka, infra, alice_token, world, name):
    params = {"month": world.month(3)} if name == "all-users-summary" else {}
    refused = kafka.ask(name, params, token=alice_token)
    assert refused["ok"] is False and refused["error"]["status"] == 403
    admin = infra.issuer.token(f"admin-{uuid.uuid4().hex[:6]}", admin=True)
    answered = kafka.ask(name, params, token=admin)
    assert answered["ok"] is True, answered
    assert set(answered["result"]) == {"query", "params", "freshness", "data"}


def test_malformed_requests_get_error_replies_and_the_consumer_goes_on(shared_results, alice_token, world):
    shared_results.send_raw(b'{"request_id": "x", oops')
    reply = shared_results.wait(None)
    assert reply["ok"] is False and reply["request_id"] is None
    assert reply["error"]["status"] == 400 and "not JSON" in reply["error"]["detail"]
    shared_results.send_raw(b"")
    assert shared_results.wait(None)["error"]["status"] == 400
    shared_results.send_raw(orjson.dumps({"token": alice_token, "query": {"name": "trend", "params": {}}}))
    assert "request_id" in shared_results.wait(None)["error"]["detail"]
    request_id = str(uuid.uuid4())
    shared_results.send_raw(orjson.dumps({"request_id": request_id, "token": alice_token, "query": "trend"}))
    assert shared_results.wait(request_id)["error"]["status"] == 400
    # ... and the next good request is answered.
    reply = shared_results.ask("monthly-summary", {"month": world.month(3)}, token=alice_token)
    assert reply["ok"] is True


@pytest.mark.parametrize("reply_to", ["{transactions}", "{results}x", "{results}./../x", "", 42])
def test_a_request_cannot_make_the_analyzer_write_elsewhere(shared_results, alice_token, reply_to, infra):
    s = infra.settings()
    target = reply_to.format(transactions=s.transactions_topic, results=s.results_topic) if reply_to != 42 else 42
    request_id = str(uuid.uuid4())
    request = {"request_id": request_id, "reply_to": target, "token": alice_token}
    request["query"] = {"name": "trend", "params": {}}
    shared_results.send_raw(orjson.dumps(request))
    reply = shared_results.wait(request_id)  # refused, on the default results topic
    assert reply["ok"] is False and reply["error"]["status"] == 400
    assert "reply_to" in reply["error"]["detail"]


def test_the_cli_prints_the_same_answer_over_kafka_and_http(analyzer, app_server, infra, world, infra_env):
    from cli.commands import query
    from cli.main import app

    query.register(app)
    infra_env.setenv("BUDGET_HOME", str(infra.state))  # the dev issuer the CLI mints with is the test issuer
    runner = CliRunner()
    args = ["query", "monthly-summary", "--param", f"month={world.month(3)}", "--user", world.alice]
    over_kafka = runner.invoke(app, [*args, "--via", "kafka", "--client-id", f"cli-{uuid.uuid4().hex[:6]}"])
    assert over_kafka.exit_code == 0, over_kafka.output
    over_http = runner.invoke(app, [*args, "--via", "http", "--url", app_server.base_url])
    assert over_http.exit_code == 0, over_http.output
    assert orjson.loads(over_kafka.stdout) == orjson.loads(over_http.stdout)
    mine = [r for r in world.of(world.alice) if r.month == world.month(3)]
    assert orjson.loads(over_kafka.stdout)["data"]["currencies"] == totals(mine)
    refused = runner.invoke(app, ["query", "lag", "--via", "kafka", "--user", world.alice])
    assert refused.exit_code == 1
    assert refused.stdout == ""  # `budget query ... > answer.json` never writes an error into the answer
    assert orjson.loads(refused.stderr)["status"] == 403


def test_the_cli_says_so_when_no_reply_comes(analyzer, infra, infra_env):
    from cli.main import app

    infra_env.setenv("QueriesTopic", f"nobody-listens-{uuid.uuid4().hex[:6]}")
    token = infra.issuer.token("someone")
    result = CliRunner().invoke(app, ["query", "trend", "--token", token, "--timeout", "2"])
    assert result.exit_code == 1
    assert "No reply within 2s" in result.output
