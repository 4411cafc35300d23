"""Sign-in with Entra ID: MSAL.js's code flow with PKCE, against stand-ins for Microsoft's endpoints.

The dashboard router runs alone here (no dev issuer, no backend): the page's API calls answer 404.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import uvicorn
from fastapi import FastAPI

from functions.dashboard import DashboardConfig, dashboard_router
from local_kafka.tansu import free_port
from tests.support.wait import until

DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
AUTHORITY = f"https://login.microsoftonline.com/{TENANT}"
SCOPE = f"api://{CLIENT}/access_as_user"


@pytest.fixture(scope="module")
def entra_url():
    """The dashboard router alone, configured for Entra ID, on a free port."""
    config = DashboardConfig(dev_sign_in=False, authority=AUTHORITY, client_id=CLIENT, scope=SCOPE, api_urls={})
    app = FastAPI()
    app.include_router(dashboard_router(config, DIST, None))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    until(lambda: server.started, timeout=10, what="the dashboard server")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _jwt(claims: dict) -> str:
    """A well-formed JWT with a dummy signature: MSAL.js reads tokens, only the API verifies them."""
    return ".".join((_b64(json.dumps({"alg": "RS256", "typ": "JWT"})), _b64(json.dumps(claims)), "c2ln"))


class FakeEntra:
    """Answers MSAL.js as Entra ID would: authorize redirects back with a code, token trades it for tokens."""

    def __init__(self) -> None:
        self.authorize: dict[str, str] = {}
        self.token_form: dict[str, str] = {}
        self.access_token = ""

    def __call__(self, route) -> None:
        url = route.request.url
        client_info = _b64(json.dumps({"uid": "u1", "utid": TENANT}))
        if "/oauth2/v2.0/authorize" in url:
            self.authorize = dict(parse_qsl(urlsplit(url).query))
            back = (
                f"{self.authorize['redirect_uri']}#code=c0de&state={self.authorize['state']}&client_info={client_info}"
            )
            return route.fulfill(status=302, headers={"Location": back})
        if "/oauth2/v2.0/token" in url:
            self.token_form = dict(parse_qsl(route.request.post_data or ""))
            now = int(time.time())
            claims = {"iss": f"{AUTHORITY}/v2.0", "tid": TENANT, "oid": "u1", "iat": now, "nbf": now, "exp": now + 3600}
            claims |= {"roles": ["Budget.Admin"], "name": "Ada Admin"}
            self.access_token = _jwt({**claims, "aud": f"api://{CLIENT}", "scp": "access_as_user"})
            tokens = {
                "token_type": "Bearer",
                "scope": f"{SCOPE} openid profile offline_access",
                "expires_in": 3600,
                "access_token": self.access_token,
                "id_token": _jwt({**claims, "aud": CLIENT, "nonce": self.authorize["nonce"], "sub": "s1"}),
                "refresh_token": "r",
                "client_info": client_info,
            }
            return route.fulfill(status=200, json=tokens, headers={"Access-Control-Allow-Origin": "*"})
        if "/oauth2/v2.0/logout" in url:
            return route.fulfill(status=200, content_type="text/html", body="<h1>Signed out</h1>")
        return route.abort()


def test_entra_sign_in_is_the_code_flow_with_pkce_and_keeps_tokens_in_session_storage(watch, entra_url):
    entra = FakeEntra()
    w = watch(base=entra_url)
    w.context.route("https://login.microsoftonline.com/**", entra)
    sent = []
    w.page.on(
        "request", lambda r: r.url.startswith(entra_url + "/api/") and sent.append(r.headers.get("authorization"))
    )
    w.page.goto(entra_url + "/")
    assert w.page.get_by_label("User").count() == 0  # no development sign-in in Azure
    w.page.get_by_role("button", name="Sign in with Microsoft").click()
    w.page.get_by_text("Signed in as Ada Admin (administrator)").wait_for()

    assert entra.authorize["response_type"] == "code"
    assert entra.authorize["code_challenge_method"] == "S256" and len(entra.authorize["code_challenge"]) >= 43
    assert entra.authorize["redirect_uri"] == entra_url + "/"
    assert SCOPE in entra.authorize["scope"].split()
    assert entra.token_form["grant_type"] == "authorization_code" and entra.token_form["code_verifier"]
    assert "code=" not in w.page.url and "token" not in w.page.url
    assert w.page.get_by_role("link", name="Admin").count() == 1
    w.page.get_by_role("heading", name="Budgets").first.wait_for()
    assert sent and all(h == f"Bearer {entra.access_token}" for h in sent)
    assert w.page.evaluate("Object.keys(localStorage).filter(k => /token|msal|session/i.test(k))") == []

    w.page.get_by_role("button", name="Sign out").click()
    w.page.get_by_text("Signed out").wait_for()
    w.page.goto(entra_url + "/")
    w.page.get_by_role("button", name="Sign in with Microsoft").wait_for()
    assert entra.access_token not in w.page.evaluate("JSON.stringify(sessionStorage)")
    w.assert_clean((404, "/api/"), outside=("https://login.microsoftonline.com/",))
