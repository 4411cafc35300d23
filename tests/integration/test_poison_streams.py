"""Poison on every consumed topic: malformed, oversized (over 1 MB), wrong-schema and wrong-type messages.

Storage dead-letters each poison on the transactions topic with its reason, the alerts consumer skips them,
the analyzer answers each poison request with an error reply; every good message around them is processed.
Only counts are asserted here; `make poison` prints the good-message rates with and without poison."""

from __future__ import annotations

import uuid

import pytest

from proofs.poison import KINDS, prove
from shared.adapters.analytics.sync import sync
from shared.bootstrap import Root
from tests.support.stack import AppServer

GOOD, EVERY = 120, 10  # 12 poison messages per topic: three of each kind


@pytest.fixture(scope="module")
def consumers(infra, app_server, tmp_path_factory):
    """The alerts and query triggers beside the session's storage trigger, each with state of its own."""
    state = tmp_path_factory.mktemp("poison")
    settings = infra.settings(analytics_store_path=str(state / "analytics.db"))
    root = Root(settings)
    assert not sync(engine=root.engine, path=state / "analytics.db").skipped
    server = AppServer(root, kafka_functions=("budget_alerts", "answer_queries")).start()
    yield server
    server.stop()
    root.close()


def test_every_poison_is_accounted_for_and_every_good_message_processed(consumers, infra, db):
    token = infra.issuer.token(f"poison-asker-{uuid.uuid4().hex[:6]}")
    report = prove(settings=consumers.root.settings, engine=db, token=token, good=GOOD, every=EVERY)
    print(report.summary())
    base, mixed = report.phases
    # prove() waits until each consumer has processed every good message of both phases, or fails.
    assert set(base.seconds) == set(mixed.seconds) == {"storage", "alerts", "queries"}
    assert mixed.poison == GOOD // EVERY
    per_kind = mixed.poison // len(KINDS)
    assert report.dead_letters == {kind: per_kind for kind in KINDS}, report.summary()
    assert report.error_replies == {kind: per_kind for kind in KINDS}, report.summary()
    assert "not JSON" in report.reasons["malformed"]
    assert "description" in report.reasons["oversized"]
    assert "schema violation" in report.reasons["wrong-schema"]
    assert "version" in report.reasons["wrong-type"]
