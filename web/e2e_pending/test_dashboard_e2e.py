"""The dashboard in a real browser (Debian's chromium driven by Playwright) against the whole running stack.

Kept outside tests/ until functions/dashboard.py is mounted in the app; then it moves to tests/e2e/.
Each test signs in as a fresh random user, so tests never read each other's rows. Screenshots of every
page land in docs/screenshots/.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shlex
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

playwright_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
INCOME = (46, 125, 79)  # --income and --expense in web/src/styles.css: the chart's bar colours
EXPENSE = (192, 57, 43)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> str:
    """`budget run` on a free port with its own state and its own embedded broker; the analytics sync every 2 s."""
    home = tmp_path_factory.mktemp("budget-home")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("KafkaBrokerList", "DATABASE_URL", "AuthIssuer")}
    env.update(BUDGET_HOME=str(home), SyncSchedule="*/2 * * * * *", PYTHONUNBUFFERED="1")
    # BUDGET_E2E_RUN replaces the command (a scratch server, before the dashboard is mounted in the app).
    command = shlex.split(os.environ.get("BUDGET_E2E_RUN", f"{REPO}/.venv/bin/budget run"))
    log = (home / "stack.log").open("w")
    proc = subprocess.Popen([*command, "--port", str(port)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the stack exited ({proc.returncode}):\n{(home / 'stack.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"/api/health never answered 200:\n{(home / 'stack.log').read_text()[-3000:]}")
            time.sleep(0.5)
        page = httpx.get(f"{url}/", timeout=5)
        assert page.status_code == 200, f"/ answered {page.status_code}: is the dashboard built (make web) and mounted?"
        wait_for_analytics(url)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)  # budget run stops its children and its broker on Ctrl-C
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_for_analytics(url: str) -> None:
    """Reports answer 503 until the processor's first sync builds the analytics store: wait for it."""
    token = httpx.post(f"{url}/api/dev/token", json={"user": "e2e-probe"}, timeout=5).json()["access_token"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = httpx.get(f"{url}/api/reports/trend", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        if answer.status_code != 503:
            assert answer.status_code == 200, answer.text
            return
        time.sleep(0.5)
    pytest.fail("the analytics store was not built within 60 s")


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make browser-deps`"
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watched:
    """A page in a fresh context, with its console errors and every URL it asked for."""

    def __init__(self, browser, base_url: str, width: int = 1280, height: int = 900, bypass_csp: bool = False) -> None:
        self.base = base_url
        self.context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=bypass_csp)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.errors: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append((m.text, m.location.get("url", ""))))
        self.page.on("pageerror", lambda e: self.errors.append((f"uncaught: {e}", "")))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def sign_in(self, user: str, *, admin: bool = False) -> None:
        self.page.goto(self.base + "/")
        self.page.get_by_label("User").fill(user)
        if admin:
            self.page.get_by_label("Administrator").check()
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_role("heading", name="Overview", level=1).wait_for()

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SHOTS / f"{name}.png", full_page=True)

    def assert_clean(self, *expected: tuple[int, str], outside: tuple[str, ...] = ()) -> None:
        """No console errors but the expected failed loads (status, path), and nothing fetched from elsewhere."""

        def expected_load(text: str, url: str) -> bool:
            return any(f"status of {s} " in text and url.startswith(self.base + p) for s, p in expected)

        unexpected = [(t, u) for t, u in self.errors if not expected_load(t, u)]
        assert not unexpected, f"browser console errors: {unexpected}"
        here = (self.base + "/", "data:", *outside)
        elsewhere = [u for u in self.requests if not u.startswith(here)]
        assert not elsewhere, f"the page asked for URLs outside its origin: {elsewhere}"
        self.context.close()


# GET /api/alerts does not exist yet: the alerts panel's one 404 a page is allowed until it does.
NO_ALERTS_FEED = (404, "/api/alerts")


def budget_text(page, category: str) -> str:
    """What a screen reader says of a budget's progress bar."""
    return page.get_by_role("progressbar", name=f"{category} budget").get_attribute("aria-valuetext")


def colour_pixels(page, rgb: tuple[int, int, int]) -> int:
    """How many pixels of the trend chart's canvas have exactly this colour."""
    return page.locator("#trend canvas").evaluate(
        """(canvas, [r, g, b]) => {
            const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) if (d[i] === r && d[i + 1] === g && d[i + 2] === b) n++;
            return n;
        }""",
        list(rgb),
    )


def test_a_person_records_money_sets_a_budget_and_sees_the_month(browser, base_url):
    w = Watched(browser, base_url)
    page, run = w.page, uuid.uuid4().hex[:8]
    today, month = dt.date.today().isoformat(), dt.date.today().strftime("%Y-%m")

    page.goto(base_url + "/")
    page.get_by_label("User").wait_for()
    w.shot("sign-in")
    w.sign_in(f"e2e-{run}")

    page.get_by_role("link", name="Transactions").click()
    form = page.get_by_role("form", name="Transaction")
    for kind, amount, category, description in (
        ("Income", "2500.00", "salary", f"salary {run}"),
        ("Expense", "42.50", "groceries", f"weekly shop {run}"),
    ):
        form.get_by_label("Type").select_option(label=kind)
        form.get_by_label("Amount").fill(amount)
        form.get_by_label("Currency").fill("EUR")
        form.get_by_label("Category").fill(category)
        form.get_by_label("Date").fill(today)
        form.get_by_label("Description").fill(description)
        form.get_by_role("button", name="Add transaction").click()
        row = page.locator("table.transactions tbody tr", has_text=description)
        row.wait_for()
        sign = "-" if kind == "Expense" else "+"
        assert f"{sign}{amount} EUR" in row.inner_text()
        page.get_by_role("status").filter(has_text="The transaction is saved.").wait_for()
    w.shot("transactions")

    page.get_by_role("link", name="Budgets").click()
    budget_form = page.get_by_role("form", name="Set a budget")
    budget_form.get_by_label("Category").fill("groceries")
    assert budget_form.get_by_label("Month").input_value() == month
    budget_form.get_by_label("Amount").fill("100.00")
    budget_form.get_by_label("Currency").fill("EUR")
    budget_form.get_by_role("button", name="Set budget").click()
    # Shown once the analytics store has synced (every 2 s here).
    page.get_by_role("progressbar", name="groceries budget").wait_for(timeout=60_000)
    assert budget_text(page, "groceries") == "42.50 EUR of 100.00 EUR spent (42.5%)"
    page.get_by_role("status").filter(has_text="budget for").filter(has_text="is saved").wait_for()
    w.shot("budgets")

    page.get_by_role("link", name="Overview").click()
    page.locator("#trend canvas[data-state=drawn]").wait_for()
    totals = page.get_by_label("EUR totals").inner_text()
    assert all(figure in totals for figure in ("2500.00 EUR", "42.50 EUR", "2457.50 EUR")), totals
    assert budget_text(page, "groceries").startswith("42.50 EUR of 100.00 EUR")
    # The chart's figures: this month's row of its table, and bars of both colours on the canvas.
    page.get_by_text("The figures as a table").click()
    this_month = page.locator("#trend tr", has_text=month)
    assert this_month.locator("td").all_inner_texts() == [month, "2500.00 EUR", "42.50 EUR", "2457.50 EUR"]
    assert colour_pixels(page, INCOME) > 200 and colour_pixels(page, EXPENSE) > 10
    assert f"weekly shop {run}" in page.locator("section", has_text="Recent transactions").inner_text()
    assert "Figures as of" in page.locator(".freshness").inner_text()
    w.shot("overview")
    assert page.get_by_role("link", name="Admin").count() == 0
    w.assert_clean(NO_ALERTS_FEED)


def test_the_admin_page_is_refused_to_a_non_admin(browser, base_url):
    w = Watched(browser, base_url)
    w.sign_in(f"e2e-{uuid.uuid4().hex[:8]}")
    w.page.goto(base_url + "/#/admin")
    refusal = w.page.get_by_role("alert").filter(has_text="Refused: administrators only")
    refusal.wait_for()
    assert "the token lacks the admin app role" in refusal.inner_text()
    w.shot("admin-refused")
    w.assert_clean(NO_ALERTS_FEED, (403, "/api/admin/"))


def test_an_admin_sees_every_users_figures(browser, base_url):
    w = Watched(browser, base_url)
    w.sign_in(f"e2e-admin-{uuid.uuid4().hex[:8]}", admin=True)
    w.page.get_by_role("link", name="Admin").click()
    w.page.get_by_role("heading", name="Analytics lag").wait_for()
    w.page.get_by_text("Changes behind").wait_for()
    w.page.get_by_text("Distinct users over these months").wait_for()
    w.shot("admin")
    w.assert_clean(NO_ALERTS_FEED)


def seed(base_url: str, user: str) -> None:
    """A month of figures for `user` through the API, waited for until the reports show them."""
    token = httpx.post(f"{base_url}/api/dev/token", json={"user": user}, timeout=5).json()["access_token"]
    api = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    today = dt.date.today()
    rows = [("income", "3100.00", "salary"), ("expense", "84.20", "groceries"), ("expense", "920.00", "rent")]
    for kind, amount, category in rows:
        body = {"type": kind, "amount": amount, "currency": "EUR", "category": category, "date": today.isoformat()}
        assert api.post("/api/transactions", json=body).status_code == 202
    budget = {"amount": "100.00", "currency": "EUR"}
    assert api.put(f"/api/budgets/groceries/{today:%Y-%m}", json=budget).status_code == 202
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = api.get("/api/reports/budget-status", params={"month": f"{today:%Y-%m}"}).json()["data"]
        if status["budgets"] and status["budgets"][0]["spent"] == "84.20":
            return
        time.sleep(0.5)
    pytest.fail("the seeded figures never reached the reports")


def test_the_overview_fits_a_360_px_phone(browser, base_url):
    user = f"e2e-{uuid.uuid4().hex[:8]}"
    seed(base_url, user)
    w = Watched(browser, base_url, width=360, height=780)
    w.sign_in(user)
    w.page.locator("#trend canvas[data-state=drawn]").wait_for()
    playwright_api.expect(w.page.get_by_text("Loading…")).to_have_count(0)
    assert budget_text(w.page, "groceries").startswith("84.20 EUR of 100.00 EUR")
    overflow = w.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a 360 px screen"
    w.shot("overview-360px")
    w.assert_clean(NO_ALERTS_FEED)


AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.x A/AA violations on the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}" for v in found]


@pytest.mark.parametrize("width", [1280, 360])
def test_every_page_passes_axe_accessibility_checks(browser, base_url, width):
    user = f"e2e-a11y-{uuid.uuid4().hex[:8]}"
    seed(base_url, user)
    # The page's CSP would refuse the injected axe-core script: this context alone lets the test inject it.
    w = Watched(browser, base_url, width=width, bypass_csp=True)
    w.page.goto(base_url + "/")
    w.page.get_by_label("User").wait_for()
    problems = {"sign-in": axe_violations(w.page)}
    w.sign_in(user, admin=True)
    for route, ready in (
        ("overview", "#trend canvas[data-state=drawn]"),
        ("transactions", "table.transactions tbody tr"),
        ("budgets", ".budgets li"),
        ("admin", ".facts"),
    ):
        w.page.goto(f"{base_url}/#/{route}")
        w.page.locator(ready).first.wait_for()
        playwright_api.expect(w.page.get_by_text("Loading…")).to_have_count(0)
        problems[route] = axe_violations(w.page)
    assert not any(problems.values()), problems
    w.assert_clean(NO_ALERTS_FEED)


def test_the_api_docs_page_renders_from_this_origin(browser, base_url):
    w = Watched(browser, base_url)
    w.page.goto(base_url + "/api/docs")
    w.page.get_by_text("/api/transactions").first.wait_for()
    w.shot("api-docs")
    w.assert_clean()


# -- Entra ID sign-in, against stand-ins for Microsoft's endpoints --------------------------------------------

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
AUTHORITY = f"https://login.microsoftonline.com/{TENANT}"


@pytest.fixture(scope="module")
def entra_url():
    """The dashboard router alone, configured for Entra ID (no dev issuer, no backend), on a free port."""
    import threading

    import uvicorn
    from fastapi import FastAPI

    from functions.dashboard import DashboardConfig, dashboard_router

    config = DashboardConfig(
        dev_sign_in=False, authority=AUTHORITY, client_id=CLIENT, scope=f"api://{CLIENT}/access_as_user", api_urls={}
    )
    app = FastAPI()
    app.include_router(dashboard_router(config, REPO / "web" / "dist", None))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


class FakeEntra:
    """Answers MSAL.js as Entra ID would: authorize redirects back with a code, token trades it for tokens."""

    def __init__(self) -> None:
        self.authorize: dict[str, str] = {}
        self.token_form: dict[str, str] = {}
        self.access_token = ""

    def __call__(self, route) -> None:
        from urllib.parse import parse_qsl, urlsplit

        url = route.request.url
        cors = {"Access-Control-Allow-Origin": "*"}
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
            common = {"iss": f"{AUTHORITY}/v2.0", "tid": TENANT, "oid": "u1", "iat": now, "nbf": now, "exp": now + 3600}
            roles = {"roles": ["Budget.Admin"], "name": "Ada Admin"}
            id_token = _jwt({**common, **roles, "aud": CLIENT, "nonce": self.authorize["nonce"], "sub": "s1"})
            self.access_token = _jwt({**common, **roles, "aud": f"api://{CLIENT}", "scp": "access_as_user"})
            body = {
                "token_type": "Bearer",
                "scope": f"api://{CLIENT}/access_as_user openid profile offline_access",
                "expires_in": 3600,
                "access_token": self.access_token,
                "id_token": id_token,
                "refresh_token": "r",
                "client_info": client_info,
            }
            return route.fulfill(status=200, content_type="application/json", body=json.dumps(body), headers=cors)
        if "/oauth2/v2.0/logout" in url:
            return route.fulfill(status=200, content_type="text/html", body="<h1>Signed out</h1>")
        return route.abort()


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _jwt(claims: dict) -> str:
    """An unsigned-looking but well-formed JWT: MSAL.js reads tokens, it does not verify them (the API does)."""
    return ".".join((_b64(json.dumps({"alg": "RS256", "typ": "JWT"})), _b64(json.dumps(claims)), "c2ln"))


def test_entra_sign_in_is_the_code_flow_with_pkce_and_keeps_tokens_in_session_storage(browser, entra_url):
    entra = FakeEntra()
    w = Watched(browser, entra_url)
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
    assert f"api://{CLIENT}/access_as_user" in entra.authorize["scope"].split()
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
    assert w.page.evaluate("JSON.stringify(sessionStorage)").find(entra.access_token) == -1
    # No backend runs here: the overview's API calls answer 404; anything else in the console is a failure.
    w.assert_clean((404, "/api/"), outside=("https://login.microsoftonline.com/",))
