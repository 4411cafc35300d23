"""HTTP fuzzing in CI: about 1,000 schemathesis cases from the app's own OpenAPI document, every answer checked
against it (no 5xx, declared status, content type and body; errors as problem details). `make fuzz` runs more."""

from __future__ import annotations

import uuid

import pytest

from proofs.fuzz import fuzz
from shared.adapters.analytics.sync import sync
from shared.bootstrap import Root
from tests.support.stack import AppServer

EXAMPLES = 16  # per operation, generation mode and auth: 36 operations -> about 2,200 cases


@pytest.fixture
def server(infra, app_server, tmp_path):
    """The app with an analytics store of its own, built by a real sync, so reports answer 200 rather than 503;
    the session's app stores what the fuzzer records."""
    path = tmp_path / "analytics.db"
    root = Root(infra.settings(analytics_store_path=str(path)))
    assert not sync(engine=root.engine, path=path).skipped
    server = AppServer(root, kafka_functions=()).start()
    yield server
    server.stop()
    root.close()


def test_a_thousand_generated_requests_all_match_the_document(server, infra):
    fuzzer = f"fuzzer-{uuid.uuid4().hex[:8]}"  # its own user: whatever it records stays out of other tests' rows
    report = fuzz(
        server.base_url,
        token=infra.issuer.token(fuzzer),
        admin_token=infra.issuer.token(fuzzer, admin=True),
        examples=EXAMPLES,
        seed=20261124,
    )
    print(report.summary())
    assert report.cases >= 1_000, report.summary()
    documented = server.client().get("/api/openapi.json").json()["paths"]
    assert len(report.by_operation) == sum(len(ops) for ops in documented.values()), report.summary()
    assert not report.findings, report.summary()
    assert not any(status >= 500 for _, status in report.by_status), report.summary()
    # Both sides were exercised: successes with the token, refusals without it.
    assert any(status < 300 for authed, status in report.by_status if authed), report.summary()
    assert {status for authed, status in report.by_status if not authed} <= {200, 401}, report.summary()
