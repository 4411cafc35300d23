"""Signatures any Standard Webhooks receiver verifies, with the secret handed out at registration."""

from __future__ import annotations

import datetime as dt

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from shared.adapters.webhooks.signing import new_secret, signed_headers


def test_a_signed_body_verifies_with_the_library_and_a_changed_body_does_not():
    secret = new_secret()
    body = b'{"type":"budget.threshold","timestamp":"2026-11-30T10:00:00+00:00","data":{"spent":"80.00"}}'
    headers = signed_headers(secret, "msg_abc", body, dt.datetime.now(dt.UTC))
    assert headers["webhook-id"] == "msg_abc"
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers)["data"] == {"spent": "80.00"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"80.00", b"8.00"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_secrets_are_whsec_base64_of_32_random_bytes_and_never_repeat():
    a, b = new_secret(), new_secret()
    assert a.startswith("whsec_") and len(a) == len("whsec_") + 44
    assert a != b


def test_the_timestamp_header_is_whole_seconds_since_the_epoch_whatever_the_zone():
    at = dt.datetime(2026, 11, 30, 11, 0, 5, 900_000, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    headers = signed_headers(new_secret(), "msg_x", b"{}", at)
    assert headers["webhook-timestamp"] == str(int(dt.datetime(2026, 11, 30, 10, 0, 5, tzinfo=dt.UTC).timestamp()))
