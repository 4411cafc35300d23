"""The sender connects to the address the guard vetted, names the host for TLS and Host, and signs each send."""

from __future__ import annotations

import datetime as dt

import httpx
from standardwebhooks import Webhook

from shared.adapters.webhooks.guard import AddressGuard
from shared.adapters.webhooks.sender import HttpSender
from shared.adapters.webhooks.signing import new_secret

SECRET = new_secret()


class Receiver:
    """An httpx transport standing in for the network: records each request, answers as told."""

    def __init__(self, status: int = 204, error: Exception | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status
        self.error = error

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.error:
            raise self.error
        return httpx.Response(self.status)


def sender(receiver: Receiver, dns: dict[str, list[str]], *, allow_loopback: bool = False) -> HttpSender:
    guard = AddressGuard(allow_loopback=allow_loopback, resolver=lambda host, port: dns[host])
    return HttpSender(guard=guard, transport=httpx.MockTransport(receiver))


def test_the_request_goes_to_the_vetted_address_with_the_original_host_for_sni_and_host():
    receiver = Receiver()
    out = sender(receiver, {"hooks.example.com": ["93.184.215.14"]}).deliver(
        "https://hooks.example.com:8443/in?x=1", secret=SECRET, message_id="msg_1", body=b'{"a":1}'
    )
    assert out.delivered and out.status_code == 204 and out.error is None
    (request,) = receiver.requests
    assert str(request.url) == "https://93.184.215.14:8443/in?x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert Webhook(SECRET).verify(request.content, dict(request.headers)) == {"a": 1}


def test_ipv6_addresses_are_bracketed_in_the_connection_url():
    receiver = Receiver()
    sender(receiver, {"hooks.example.com": ["2606:2800:21f:cb07::1"]}).deliver(
        "https://hooks.example.com/", secret=SECRET, message_id="msg_1", body=b"{}"
    )
    assert str(receiver.requests[0].url) == "https://[2606:2800:21f:cb07::1]/"


def test_a_host_that_now_resolves_to_an_internal_address_is_not_contacted():
    """DNS rebinding: public at registration, 169.254.169.254 at delivery time: refused, nothing sent."""
    receiver = Receiver()
    dns = {"hooks.example.com": ["169.254.169.254"]}
    out = sender(receiver, dns).deliver("https://hooks.example.com/", secret=SECRET, message_id="m", body=b"{}")
    assert not out.delivered and out.status_code is None
    assert "refused" in out.error and "169.254.169.254" in out.error
    assert receiver.requests == []
    dns["hooks.example.com"] = ["10.0.0.8"]
    out = sender(receiver, dns).deliver("https://hooks.example.com/", secret=SECRET, message_id="m", body=b"{}")
    assert "10.0.0.8" in out.error and receiver.requests == []


def test_anything_but_2xx_is_a_failed_attempt_with_the_code_kept():
    for status in (301, 404, 503):
        out = sender(Receiver(status), {"h.example.com": ["93.184.215.14"]}).deliver(
            "https://h.example.com/", secret=SECRET, message_id="m", body=b"{}"
        )
        assert (out.delivered, out.status_code, out.error) == (False, status, f"answered HTTP {status}")


def test_timeouts_and_connection_failures_are_failed_attempts_saying_what_happened():
    dns = {"h.example.com": ["93.184.215.14"]}
    out = sender(Receiver(error=httpx.ReadTimeout("slow")), dns).deliver(
        "https://h.example.com/", secret=SECRET, message_id="m", body=b"{}"
    )
    assert (out.delivered, out.status_code, out.error) == (False, None, "timed out after 10 s")
    out = sender(Receiver(error=httpx.ConnectError("refused")), dns).deliver(
        "https://h.example.com/", secret=SECRET, message_id="m", body=b"{}"
    )
    assert out.error == "ConnectError: refused"


def test_each_send_is_signed_at_the_moment_it_is_sent():
    receiver = Receiver()
    moments = iter([dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 2, tzinfo=dt.UTC)])
    guard = AddressGuard(allow_loopback=True, resolver=lambda host, port: ["127.0.0.1"])
    s = HttpSender(guard=guard, transport=httpx.MockTransport(receiver), wall_clock=lambda: next(moments))
    for _ in range(2):
        s.deliver("http://localhost:9/", secret=SECRET, message_id="msg_same", body=b"{}")
    first, second = (r.headers for r in receiver.requests)
    assert first["webhook-id"] == second["webhook-id"] == "msg_same"
    assert int(second["webhook-timestamp"]) - int(first["webhook-timestamp"]) == 86_400
    assert "sni_hostname" not in receiver.requests[0].extensions  # plain http: no TLS
