"""Webhooks end to end: a real local receiver, real Tansu and MariaDB; retries driven on a clock the test controls.

Alerts and import operations are published onto the topics as the analyzer and storage publish them; the
deliver_webhooks / deliver_change_webhooks triggers run as the local runner runs them; retry_webhooks is called
as the host calls a timer function.
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from cli.runner.index import index
from cli.runner.triggers import KafkaTriggerLoop, TimerRequest
from functions.app import build
from local_kafka.tansu import free_port
from shared.adapters.kafka.config import client_config
from shared.adapters.kafka.messages import InboundMessage, OutboundMessage
from shared.adapters.mysql.engine import build_engine
from shared.adapters.mysql.migrate import migrate
from shared.adapters.mysql.webhooks import SqlWebhookStore
from shared.adapters.webhooks.guard import AddressGuard
from shared.adapters.webhooks.sender import HttpSender
from shared.bootstrap import Root
from shared.domain.webhooks import RETRY_DELAYS, NewWebhook
from shared.services.webhooks import Webhooks
from shared.settings import Settings
from tests.support.stack import AppServer
from tests.support.wait import until

DELIVERERS = ("deliver_webhooks", "deliver_change_webhooks")
SECRET = "whsec_" + "A" * 44


class Clock:
    """The service's clock: real time plus an offset the test moves forward (no sleeping for hours)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, delta: dt.timedelta) -> None:
        self.offset += delta


class Receiver:
    """A webhook endpoint on a loopback port: answers `status` to every POST and keeps what it got."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.port = free_port()
        self.tls = tls
        self.status = 200
        self.got: list[tuple[int, dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    status = receiver.status
                    receiver.got.append((status, dict(self.headers), body))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self.tls:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Not listening any more: a delivery now meets a refused connection."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def accepted(self) -> list[tuple[dict[str, str], bytes]]:
        with self._lock:
            return [(h, b) for status, h, b in self.got if 200 <= status < 300]

    def ids(self, *, accepted_only: bool = True) -> list[str]:
        with self._lock:
            return [h["webhook-id"] for s, h, _ in self.got if not accepted_only or 200 <= s < 300]


class Deliverer:
    """The two Kafka triggers as the local runner drives them, stoppable like a host instance."""

    def __init__(self, app, settings: Settings) -> None:
        self.stop_event = threading.Event()
        functions = [f for f in index(app) if f.name in DELIVERERS]
        self.loops = [KafkaTriggerLoop(f, self.stop_event, settings) for f in functions]

    def start(self) -> Deliverer:
        for loop in self.loops:
            loop.start()
        for loop in self.loops:
            # Both triggers share the webhooks group, so after a restart each join is a rebalance of its own, and a
            # member busy in its first batch rejoins only when it next polls: a rebalance may wait up to
            # max.poll.interval.ms (300 s, shared/adapters/kafka/config.py). Full CI-sized runs have waited over 180 s.
            until(loop.ready.is_set, timeout=330, what=f"{loop.name} to be assigned partitions")
        return self

    def stop(self) -> None:
        self.stop_event.set()
        for loop in self.loops:
            loop.join(60)
        # A loop still running keeps its group membership (and its partitions) until max.poll.interval.ms.
        assert not any(loop.is_alive() for loop in self.loops), "a trigger loop did not stop"


class Stack:
    def __init__(self, infra) -> None:
        run = uuid.uuid4().hex[:8]
        self.infra = infra
        self.settings = infra.settings(
            alerts_topic=f"wh-alerts-{run}",
            changes_topic=f"wh-changes-{run}",
            webhooks_consumer_group=f"wh-{run}",
        )
        _create_topics(self.settings)
        self.clock = Clock()
        engine = build_engine(self.settings)
        guard = AddressGuard(allow_loopback=True)
        webhooks = Webhooks(
            store=SqlWebhookStore(engine), sender=HttpSender(guard=guard), guard=guard, clock=self.clock
        )
        self.root = Root(self.settings, engine=engine, webhooks=webhooks)
        self.app = build(self.root)[1]
        self.http = AppServer(self.root, kafka_functions=()).start()
        self.deliverer = Deliverer(self.app, self.settings).start()

    def restart_deliverer(self, settings: Settings | None = None) -> None:
        self.deliverer.stop()
        self.deliverer = Deliverer(self.app, settings or self.settings).start()

    def retry(self) -> None:
        """The retry_webhooks timer function, called as the host calls it on its schedule."""
        (fn,) = [f for f in index(self.app) if f.name == "retry_webhooks"]
        fn.call(timer=TimerRequest(past_due=False))

    def publish(self, *messages: OutboundMessage) -> None:
        self.root.publisher.publish_blocking(messages)

    def close(self) -> None:
        self.deliverer.stop()
        self.http.stop()
        self.root.close()


def _create_topics(s: Settings) -> None:
    admin = AdminClient(client_config(s, role="admin"))
    topics = [NewTopic(t, num_partitions=1, replication_factor=1) for t in (s.alerts_topic, s.changes_topic)]
    for future in admin.create_topics(topics, operation_timeout=15).values():
        future.result(15)


@pytest.fixture(scope="module")
def stack(infra):
    stack = Stack(infra)
    yield stack
    stack.close()


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def alert(s: Settings, user: str, threshold: int, category: str = "food") -> OutboundMessage:
    value = {
        "alert_id": str(uuid.uuid4()),
        "type": "budget.threshold_reached",
        "user_id": user,
        "category": category,
        "month": "2031-05",
        "threshold": threshold,
        "currency": "EUR",
        "budget": "100.00",
        "spent": f"{threshold}.00",
        "share_used": f"{threshold / 100:.4f}",
        "detected_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    return OutboundMessage(s.alerts_topic, user.encode(), orjson.dumps(value))


def operation(s: Settings, user: str, *, kind: str = "operation", type: str = "import") -> OutboundMessage:
    op_id = str(uuid.uuid4())
    record = {
        "kind": kind,
        "seq": 1,
        "user_id": user,
        "operation": {
            "id": op_id,
            "type": type,
            "status": "applied",
            "applied": 10,
            "duplicates": 2,
            "rejected": 0,
            "resource": f"/api/imports/{op_id}",
        },
    }
    return OutboundMessage(s.changes_topic, user.encode(), orjson.dumps(record))


def register(stack: Stack, user: str, url: str) -> tuple[dict, object]:
    client = stack.http.client(stack.infra.issuer.token(user))
    created = client.post("/api/webhooks", json={"url": url, "events": ["budget.threshold", "import.completed"]})
    assert created.status_code == 201, created.text
    return created.json(), client


def deliveries(client, webhook_id: str) -> list[dict]:
    page = client.get(f"/api/webhooks/{webhook_id}/deliveries", params={"limit": 200})
    assert page.status_code == 200, page.text
    return page.json()["items"]


def test_alerts_and_finished_imports_reach_the_receiver_signed(stack, receiver, user):
    s = stack.settings
    hook, client = register(stack, user, receiver.url)
    stack.publish(
        alert(s, user, 80),
        alert(s, user, 100),
        alert(s, f"{user}-other", 80),  # someone else's alert: not for this endpoint
        OutboundMessage(s.alerts_topic, user.encode(), b"{not json"),  # poison: skipped, never stalls
    )
    stack.publish(operation(s, user), operation(s, user, type="transaction"), operation(s, user, kind="budget"))
    until(lambda: len(receiver.accepted()) >= 3, timeout=60, what="three deliveries")
    verify = Webhook(hook["secret"])
    payloads = [verify.verify(body, headers) for headers, body in receiver.accepted()]
    assert sorted(p["type"] for p in payloads) == ["budget.threshold", "budget.threshold", "import.completed"]
    assert sorted(p["data"]["threshold"] for p in payloads if p["type"] == "budget.threshold") == [80, 100]
    (imported,) = [p["data"] for p in payloads if p["type"] == "import.completed"]
    assert (imported["status"], imported["applied"], imported["duplicates"]) == ("applied", 10, 2)
    assert len(set(receiver.ids())) == 3
    listed = deliveries(client, hook["id"])
    assert sorted(d["id"] for d in listed) == sorted(receiver.ids())
    assert {(d["status"], d["attempts"], d["last_status_code"]) for d in listed} == {("delivered", 1, 200)}
    assert "secret" not in client.get("/api/webhooks").json()["items"][0]


def test_a_receiver_down_for_a_while_gets_every_event_once_with_its_original_webhook_id(stack, receiver, user):
    s = stack.settings
    hook, client = register(stack, user, receiver.url)
    receiver.status = 503
    stack.publish(*(alert(s, user, t, category=c) for c in ("food", "fun") for t in (80, 100)))
    stack.publish(operation(s, user))
    until(lambda: len(receiver.ids(accepted_only=False)) >= 5, timeout=60, what="five refused first attempts")
    first_ids = sorted(receiver.ids(accepted_only=False))
    until(lambda: {d["status"] for d in deliveries(client, hook["id"])} == {"failing"}, what="attempts recorded")

    receiver.stop()  # then not listening at all
    stack.clock.advance(RETRY_DELAYS[0] + dt.timedelta(seconds=1))
    stack.retry()
    listed = deliveries(client, hook["id"])
    assert {(d["status"], d["attempts"], d["last_status_code"]) for d in listed} == {("failing", 2, None)}
    assert all("ConnectError" in d["last_error"] for d in listed)

    receiver.status = 200
    receiver.start()
    stack.retry()  # not due yet: the next attempt is 5 minutes on
    assert receiver.accepted() == []
    stack.clock.advance(RETRY_DELAYS[1] + dt.timedelta(seconds=1))
    stack.retry()
    assert sorted(receiver.ids()) == first_ids  # every event, once, under the id of its first attempt
    verify = Webhook(hook["secret"])
    assert all(verify.verify(body, headers) for headers, body in receiver.accepted())
    listed = deliveries(client, hook["id"])
    assert {(d["status"], d["attempts"], d["last_status_code"], d["last_error"]) for d in listed} == {
        ("delivered", 3, 200, None)
    }
    stack.clock.advance(dt.timedelta(hours=30))
    stack.retry()
    assert sorted(receiver.ids()) == first_ids


def test_a_deliverer_restarted_mid_batch_loses_nothing_and_a_full_replay_duplicates_nothing(
    stack, receiver, user, caplog
):
    s = stack.settings
    hook, client = register(stack, user, receiver.url)
    stack.publish(alert(s, user, 80))
    until(lambda: len(receiver.accepted()) == 1, timeout=60, what="the first delivery")

    caplog.set_level(logging.WARNING, logger="budget.runner.triggers")
    stack.infra.db_proxy.cut()  # the database goes away mid-stream: the batch fails, its offsets stay uncommitted
    try:
        stack.publish(*(alert(s, user, 100, category=f"c{n}") for n in range(4)), operation(s, user))
        until(
            lambda: any("deliver_" in r.getMessage() and "failed" in r.getMessage() for r in caplog.records),
            timeout=60,
            what="a trigger to fail on the database",
        )
        stack.deliverer.stop()  # this deliverer goes away while retrying: it commits nothing
    finally:
        stack.infra.db_proxy.restore()
    stack.restart_deliverer()
    until(lambda: len(receiver.accepted()) >= 6, timeout=90, what="the remaining five deliveries")
    ids = receiver.ids()
    assert len(ids) == len(set(ids)) == 6

    # A new consumer group reads both topics from the start: every event is seen again, none is sent again.
    stack.deliverer.stop()
    replay = stack.settings.model_copy(update={"webhooks_consumer_group": f"wh-replay-{uuid.uuid4().hex[:6]}"})
    stack.deliverer = Deliverer(stack.app, replay).start()
    stack.publish(alert(s, user, 80, category="sentinel"))  # behind everything else on the one partition
    stack.publish(operation(s, user))
    until(lambda: len(receiver.accepted()) >= 8, timeout=90, what="the replay to reach the sentinels")
    assert len(receiver.ids()) == len(set(receiver.ids())) == 8
    assert len(deliveries(client, hook["id"])) == 8
    stack.restart_deliverer()


def test_an_endpoint_failing_for_24_hours_is_disabled_and_says_why(stack, receiver, user):
    hook, client = register(stack, user, receiver.url)
    receiver.status = 500
    stack.publish(alert(stack.settings, user, 80))
    until(lambda: deliveries(client, hook["id"]) and deliveries(client, hook["id"])[0]["attempts"] == 1)
    for delay in RETRY_DELAYS:
        stack.clock.advance(delay + dt.timedelta(seconds=1))
        stack.retry()
    (listed,) = client.get("/api/webhooks").json()["items"]
    assert listed["status"] == "disabled"
    assert listed["disabled_reason"].startswith("Every delivery failed for 24 hours")
    assert "answered HTTP 500" in listed["disabled_reason"]
    (delivery,) = deliveries(client, hook["id"])
    assert (delivery["status"], delivery["attempts"], delivery["next_attempt_at"]) == ("given_up", 8, None)
    assert len(receiver.got) == 8 and len(set(receiver.ids(accepted_only=False))) == 1

    receiver.status = 200
    stack.publish(alert(stack.settings, user, 100))
    until(lambda: _all_consumed(stack), timeout=60, what="the deliverer to handle the new alert")
    assert len(receiver.got) == 8  # a disabled endpoint gets nothing more


def _all_consumed(stack: Stack) -> bool:
    """Whether the deliverers' group has committed everything on the alerts topic (handled it, that is)."""
    s = stack.settings
    partition = TopicPartition(s.alerts_topic, 0)
    consumer = Consumer(client_config(s, role="probe") | {"group.id": s.webhooks_consumer_group})
    try:
        (committed,) = consumer.committed([partition], timeout=10)
        return committed.offset == consumer.get_watermark_offsets(partition, timeout=10)[1]
    finally:
        consumer.close()


def test_a_loopback_url_is_refused_when_the_development_issuer_is_off(stack, user):
    azure = stack.settings.model_copy(update={"auth_issuer": "https://login.microsoftonline.com/tenant/v2.0"})
    root = Root(azure, verifier=stack.root.verifier)  # tokens from the dev issuer; the guard from the settings
    with TestClient(build(root)[0]) as client:
        client.headers["Authorization"] = f"Bearer {stack.infra.issuer.token(user)}"
        for url, why in (("http://127.0.0.1:8080/hook", "must use https"), ("https://localhost/hook", "public")):
            refused = client.post("/api/webhooks", json={"url": url, "events": ["budget.threshold"]})
            assert refused.status_code == 422, refused.text
            assert refused.json()["errors"][0]["field"] == "url"
            assert why in refused.json()["detail"]
        assert client.get("/api/webhooks").json() == {"items": []}
    root.close()


def test_the_same_rules_hold_on_the_sqlite_database_make_run_uses(infra, tmp_path, receiver):
    settings = infra.settings(database_url=f"sqlite:///{tmp_path / 'budget.db'}")
    engine = build_engine(settings)
    migrate(engine)
    clock = Clock()
    guard = AddressGuard(allow_loopback=True)
    webhooks = Webhooks(store=SqlWebhookStore(engine), sender=HttpSender(guard=guard), guard=guard, clock=clock)
    hook = webhooks.register("alice", NewWebhook(url=receiver.url, events=["budget.threshold"]))
    message = alert(settings, "alice", 80)
    inbound = InboundMessage(message.topic, 0, 0, message.key, message.value)
    receiver.status = 503
    assert webhooks.handle_alerts([inbound]) == 1
    assert webhooks.handle_alerts([inbound]) == 1  # redelivered: the same row, not attempted again before due
    assert len(receiver.got) == 1
    receiver.status = 204
    clock.advance(dt.timedelta(seconds=6))
    assert webhooks.retry_due() == 1
    (item,) = webhooks.deliveries("alice", hook["id"], cursor=None, limit=10)["items"]
    assert (item["status"], item["attempts"], item["last_status_code"]) == ("delivered", 2, 204)
    assert receiver.ids(accepted_only=False) == [item["id"], item["id"]]
    engine.dispose()


def _certificate(tmp_path, host: str) -> tuple[ssl.SSLContext, ssl.SSLContext, list[str]]:
    """A self-signed certificate for `host`: the server's context, a client context trusting it, SNI names seen."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    seen: list[str] = []
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_path, key_path)
    server.sni_callback = lambda _sock, server_name, _ctx: seen.append(server_name)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client, seen


def test_tls_names_the_original_host_while_connecting_to_the_vetted_address(tmp_path):
    """No DNS is asked at connect time: the vetted 127.0.0.1 is dialled, and TLS checks the name in the URL."""
    server_tls, client_tls, sni = _certificate(tmp_path, "hooks.test")
    receiver = Receiver(tls=server_tls).start()
    try:
        dns = {"hooks.test": ["127.0.0.1"], "evil.test": ["127.0.0.1"]}
        guard = AddressGuard(allow_loopback=True, resolver=lambda host, port: dns[host])
        sender = HttpSender(guard=guard, verify=client_tls)
        out = sender.deliver(f"https://hooks.test:{receiver.port}/hook", secret=SECRET, message_id="msg_t", body=b"{}")
        assert (out.delivered, out.status_code) == (True, 200)
        ((headers, _),) = receiver.accepted()
        assert headers["Host"] == f"hooks.test:{receiver.port}"
        assert sni == ["hooks.test"]
        # The same address under a name the certificate does not carry: the handshake fails, nothing is posted.
        out = sender.deliver(f"https://evil.test:{receiver.port}/hook", secret=SECRET, message_id="msg_t", body=b"{}")
        assert not out.delivered and "certificate" in out.error.lower()
        assert len(receiver.accepted()) == 1
        sender.close()
    finally:
        receiver.stop()
