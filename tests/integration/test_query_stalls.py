"""Query requests that could never be answered as asked still get a reply, and the partition moves on: an answer
over the message limit, and a reply topic that does not exist (Event Hubs creates no topic on produce)."""

from __future__ import annotations

import uuid

import orjson
import pytest

from cli.query_client import QueryClient
from shared.adapters.analytics.sync import sync
from shared.bootstrap import Root
from shared.domain.events import TransactionCreated
from shared.domain.transactions import NewTransaction
from tests.support.stack import AppServer


@pytest.fixture(scope="module")
def heavy_user(root) -> str:
    """500 transactions whose descriptions each take ~3 KB as JSON (control characters are escaped)."""
    user = f"heavy-{uuid.uuid4().hex[:8]}"
    body = {"type": "expense", "amount": "1.00", "currency": "EUR", "category": "c", "date": "1951-03-04"}
    events = [
        TransactionCreated(
            user_id=user, transaction=NewTransaction.model_validate({**body, "description": "\x01" * 500})
        )
        for _ in range(500)
    ]
    root.store.apply(events)
    return user


@pytest.fixture(scope="module")
def analyzer(infra, app_server, heavy_user, tmp_path_factory):
    path = tmp_path_factory.mktemp("stalls") / "analytics.db"
    root = Root(infra.settings(analytics_store_path=str(path)))
    assert not sync(engine=root.engine, path=path).skipped
    server = AppServer(root, kafka_functions=("answer_queries",)).start()
    yield server
    server.stop()
    root.close()


@pytest.fixture
def client(analyzer, infra):
    c = QueryClient(infra.settings())  # replies on the shared results topic
    yield c
    c.close()


def test_an_answer_too_large_for_a_message_is_an_error_reply_and_the_next_request_is_answered(
    client, infra, heavy_user
):
    token = infra.issuer.token(heavy_user)
    reply = client.ask("search", {"limit": 500}, token=token, timeout_s=30)
    assert reply["ok"] is False and reply["error"]["status"] == 413
    assert "smaller limit" in reply["error"]["detail"]
    smaller = client.ask("search", {"limit": 100}, token=token, timeout_s=30)
    assert smaller["ok"] is True and len(smaller["result"]["data"]["items"]) == 100


def test_a_reply_topic_that_does_not_exist_gets_the_error_on_the_results_topic(client, infra, heavy_user):
    request_id = str(uuid.uuid4())
    missing = f"{infra.settings().results_topic}.never-made-{uuid.uuid4().hex[:6]}"
    request = {"request_id": request_id, "reply_to": missing, "token": infra.issuer.token(heavy_user)}
    client.send_raw(orjson.dumps({**request, "query": {"name": "trend", "params": {}}}))
    reply = client.wait(request_id, timeout_s=30)
    assert reply["ok"] is False and reply["error"]["status"] == 400 and missing in reply["error"]["detail"]
