"""scripts/notify_webhook.py against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

TOKEN = "T000/B000/s3cr3t-webhook-token"  # the path part a real Teams/Slack URL keeps secret


class Receiver:
    """A webhook stand-in that answers with a scripted list of status codes."""

    def __init__(self, codes: list[int]) -> None:
        self.codes = list(codes)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.requests.append(
                    {
                        "path": self.path,
                        "type": self.headers["Content-Type"],
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"1" if code == 200 else b"error")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/{TOKEN}"


@pytest.fixture
def receiver() -> Iterator[callable]:
    started: list[Receiver] = []

    def start(codes: list[int]) -> Receiver:
        hook = Receiver(codes)
        threading.Thread(target=hook.server.serve_forever, daemon=True).start()
        started.append(hook)
        return hook

    yield start
    for hook in started:
        hook.server.shutdown()
        hook.server.server_close()


def _notify(repo, url: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "NOTIFY_WEBHOOK_URL": url,
        "JOB_NAME": "budget/main",
        "BUILD_NUMBER": "42",
        "BUILD_URL": "https://jenkins.example.test/job/budget/42/",
        "GIT_COMMIT": "0123456789abcdef0123",
        "GIT_BRANCH": "main",
    }
    return subprocess.run(
        [sys.executable, str(repo / "scripts" / "notify_webhook.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_posts_a_teams_and_slack_compatible_card(repo, receiver):
    hook = receiver([200])
    result = _notify(repo, hook.url, "--status", "success")
    assert result.returncode == 0, result.stderr
    [request] = hook.requests
    assert request["path"] == f"/hooks/{TOKEN}"
    assert request["type"] == "application/json"
    card = request["body"]
    assert card["@type"] == "MessageCard" and card["themeColor"] == "2EB886"
    assert card["text"].startswith("budget/main #42 SUCCESS on main (0123456789ab)")
    assert "https://jenkins.example.test/job/budget/42/" in card["text"]


def test_retries_server_errors_then_succeeds(repo, receiver):
    hook = receiver([500, 502, 503, 200])
    result = _notify(repo, hook.url, "--status", "failure", "--backoff", "0.01")
    assert result.returncode == 0, result.stderr
    assert len(hook.requests) == 4
    assert all(r["body"] == hook.requests[0]["body"] for r in hook.requests)
    assert hook.requests[0]["body"]["themeColor"] == "D50000"
    assert result.stderr.count("HTTP 50") == 3


def test_gives_up_after_the_last_attempt(repo, receiver):
    hook = receiver([500] * 10)
    args = ("--status", "failure", "--attempts", "3", "--backoff", "0")
    result = _notify(repo, hook.url, *args)
    assert result.returncode == 1
    assert len(hook.requests) == 3


def test_does_not_retry_a_client_error(repo, receiver):
    hook = receiver([404, 200])
    result = _notify(repo, hook.url, "--status", "success", "--backoff", "0")
    assert result.returncode == 1
    assert len(hook.requests) == 1


def test_never_prints_the_token(repo, receiver, free_port):
    hook = receiver([500, 200])
    outputs = [_notify(repo, hook.url, "--status", "success", "--backoff", "0")]
    # A refused connection too: urllib's error text would name the URL.
    dead = f"http://127.0.0.1:{free_port()}/hooks/{TOKEN}"
    args = ("--status", "failure", "--attempts", "2", "--backoff", "0")
    outputs.append(_notify(repo, dead, *args))
    for result in outputs:
        assert result.stdout + result.stderr, "expected some log output"
        for secret in (TOKEN, "s3cr3t", "/hooks/"):
            assert secret not in result.stdout + result.stderr


def test_refuses_plain_http_off_this_machine(repo):
    result = _notify(repo, f"http://hooks.example.test/{TOKEN}", "--status", "success")
    assert result.returncode == 2
    assert TOKEN not in result.stdout + result.stderr
