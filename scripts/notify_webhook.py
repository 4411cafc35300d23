"""Post a pipeline result to a Teams- or Slack-compatible incoming webhook.

The webhook URL is a credential (its path is the token), so it is read from the environment
(NOTIFY_WEBHOOK_URL, bound by Jenkins' withCredentials), never from argv, and never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

COLOURS = {
    "success": "2EB886",
    "failure": "D50000",
    "unstable": "FFB300",
    "aborted": "9E9E9E",
}
JSON = {"Content-Type": "application/json"}
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def build_payload(status: str, env: dict[str, str]) -> dict[str, str]:
    """One JSON body both services accept: Slack reads `text`, Teams' MessageCard adds the rest."""
    job = env.get("JOB_NAME", "budget")
    build = env.get("BUILD_NUMBER", "?")
    branch = env.get("gitlabSourceBranch") or env.get("GIT_BRANCH", "?")
    commit = env.get("GIT_COMMIT", "?")[:12]
    link = env.get("BUILD_URL", "")
    text = f"{job} #{build} {status.upper()} on {branch} ({commit})"
    if link:
        text += f" {link}"
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": f"{job} #{build} {status}",
        "themeColor": COLOURS.get(status, COLOURS["aborted"]),
        "title": f"{job} #{build}: {status}",
        "text": text,
    }


def describe(url: str) -> str:
    """The part of the URL that is safe to log: scheme and host, never the token-bearing path."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}"


def check_url(url: str) -> None:
    """Refuse plain HTTP off this machine: the token would cross the network in clear."""
    parts = urllib.parse.urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in LOOPBACK
    if parts.scheme == "https" or local:
        return
    raise ValueError("NOTIFY_WEBHOOK_URL must be an https:// URL")


def post(
    url: str,
    payload: dict[str, str],
    *,
    attempts: int,
    backoff: float,
    timeout: float,
) -> bool:
    """POST with retries on 5xx, 429 and network errors, doubling the wait each time."""
    body = json.dumps(payload).encode()
    where = describe(url)
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=body, method="POST", headers=JSON)  # noqa: S310 - check_url allowed https (or loopback http) only
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - as above
                print(f"notified {where}: HTTP {response.status}")
                return True
        except urllib.error.HTTPError as error:
            outcome = f"HTTP {error.code}"
            retryable = error.code >= 500 or error.code == 429
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            # Only the exception's type: its text can carry the URL.
            outcome = type(error).__name__
            retryable = True
        print(f"attempt {attempt}/{attempts} to {where}: {outcome}", file=sys.stderr)
        if not retryable:
            return False
        if attempt < attempts:
            time.sleep(backoff * 2 ** (attempt - 1))
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--status", required=True, choices=sorted(COLOURS))
    parser.add_argument("--attempts", type=int, default=5)
    parser.add_argument("--backoff", type=float, default=1.0, help="first wait, s")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)

    url = os.environ.get("NOTIFY_WEBHOOK_URL", "")
    if not url:
        print("NOTIFY_WEBHOOK_URL is not set: nothing sent", file=sys.stderr)
        return 2
    try:
        check_url(url)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    payload = build_payload(args.status, dict(os.environ))
    ok = post(
        url,
        payload,
        attempts=args.attempts,
        backoff=args.backoff,
        timeout=args.timeout,
    )
    if not ok:
        print(f"gave up notifying {describe(url)}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
