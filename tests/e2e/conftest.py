"""Fixtures for driving the dashboard in a real browser: the running stack, Debian's chromium, a watched page."""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import signal
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from local_kafka.tansu import free_port
from tests.support.wait import until

# Writes reach the page through the broker and storage: give every wait as long as a page's own default.
expect.set_options(timeout=20_000)
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags chromium keeps calling Google's hosts, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def base_url(tmp_path_factory) -> str:
    """`budget run` on a free port with its own state and its own embedded broker; analytics synced every 2 s."""
    home = tmp_path_factory.mktemp("budget-home")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("KafkaBrokerList", "DATABASE_URL", "AuthIssuer")}
    env.update(BUDGET_HOME=str(home), SyncSchedule="*/2 * * * * *", PYTHONUNBUFFERED="1")
    # BUDGET_E2E_RUN replaces the command, e.g. to drive a stack built some other way.
    command = shlex.split(os.environ.get("BUDGET_E2E_RUN", f"{REPO}/.venv/bin/budget run"))
    log_path = home / "stack.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([*command, "--port", str(port)], cwd=REPO, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"the stack exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            return httpx.get(f"{url}/api/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        until(healthy, timeout=90, interval=0.5, what="/api/health to answer 200")
        page = httpx.get(f"{url}/", timeout=5)
        assert page.status_code == 200, f"/ answered {page.status_code}: is the dashboard built (make web) and mounted?"
        # Reports answer 503 until the processor's first sync has built the analytics store.
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {dev_token(url, 'e2e-probe')}"}) as reports:
            until(lambda: reports.get("/api/reports/trend").status_code != 503, timeout=60, what="the analytics store")
        yield url
    finally:
        proc.send_signal(signal.SIGINT)  # budget run stops its children and its broker on Ctrl-C
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def dev_token(url: str, user: str) -> str:
    return httpx.post(f"{url}/api/dev/token", json={"user": user}, timeout=5).json()["access_token"]


@pytest.fixture(scope="package")
def browser():
    # Package scope: Playwright's sync API keeps an event loop running on this thread while it is open, and
    # tests run after the browser tests call asyncio.run(), which refuses to start inside a running loop.
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make browser-deps`"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watched:
    """A page in a fresh browser context, with its console errors and every URL it asked for."""

    INCOME = (46, 125, 79)  # --income and --expense in web/src/styles.css: the chart's bar colours
    EXPENSE = (192, 57, 43)

    def __init__(self, browser, base_url: str, *, width=1280, height=900, bypass_csp=False) -> None:
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

    def go(self, page_name: str) -> None:
        """Follow a link of the main navigation."""
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name=page_name, exact=True).click()

    def add_transaction(self, *, amount: str, category: str, description: str, kind: str = "Expense") -> None:
        form = self.page.get_by_role("form", name="Transaction")
        form.get_by_label("Type").select_option(label=kind)
        form.get_by_label("Amount").fill(amount)
        form.get_by_label("Currency").fill("EUR")
        form.get_by_label("Category").fill(category)
        form.get_by_label("Description").fill(description)
        form.get_by_role("button", name="Add transaction").click()

    def budget_text(self, category: str) -> str:
        """What a screen reader says of a budget's progress bar."""
        return self.page.get_by_role("progressbar", name=f"{category} budget").get_attribute("aria-valuetext")

    def colour_pixels(self, rgb: tuple[int, int, int]) -> int:
        """How many pixels of the trend chart's canvas have exactly this colour."""
        return self.page.locator("#trend canvas").evaluate(
            """(canvas, [r, g, b]) => {
                const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
                let n = 0;
                for (let i = 0; i < d.length; i += 4) if (d[i] === r && d[i + 1] === g && d[i + 2] === b) n++;
                return n;
            }""",
            list(rgb),
        )

    def assert_no_stray_values(self) -> None:
        """A dashboard page never shows a JavaScript placeholder where a value belongs."""
        text = self.page.locator("main").inner_text()
        stray = re.findall(r"\b(?:null|undefined|NaN)\b|\[object \w+\]", text)
        assert not stray, f"the page shows {stray}: {text[:500]}"

    def shot(self, name: str) -> None:
        if "/api/docs" not in self.page.url:
            self.assert_no_stray_values()
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


@pytest.fixture
def watch(browser, request):
    """watch(width=…, bypass_csp=…, base=…) → a Watched page of the stack (or of `base`), closed at the end."""
    opened: list[Watched] = []

    def open_page(*, base: str | None = None, **options) -> Watched:
        opened.append(Watched(browser, base or request.getfixturevalue("base_url"), **options))
        return opened[-1]

    yield open_page
    for w in opened:
        w.context.close()


@pytest.fixture
def user() -> str:
    """A fresh user per test, so no test reads another's rows."""
    return f"e2e-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def api(base_url, user):
    """An HTTP client of the API signed in as `user` (a development token)."""
    headers = {"Authorization": f"Bearer {dev_token(base_url, user)}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        yield client


def applied(client: httpx.Client, response: httpx.Response) -> dict:
    """Follow a write's 202 to its operation: the operation once storage has applied it (else the test fails)."""
    assert response.status_code == 202, response.text
    operation = client.get(response.headers["Location"], params={"wait": 10}).json()
    assert operation["status"] == "applied", operation
    return operation


@pytest.fixture
def seeded(api, user) -> str:
    """`user` with a month of figures recorded through the API, waited for until the reports show them.

    Groceries stand at 84.20 of a 100.00 budget: the stack raises a real 80% alert for them.
    """
    today = dt.date.today()
    month = today.strftime("%Y-%m")
    for kind, amount, category in [
        ("income", "3100.00", "salary"),
        ("expense", "84.20", "groceries"),
        ("expense", "920.00", "rent"),
    ]:
        body = {"type": kind, "amount": amount, "currency": "EUR", "category": category, "date": today.isoformat()}
        applied(api, api.post("/api/transactions", json=body))
    applied(api, api.put(f"/api/budgets/groceries/{month}", json={"amount": "100.00", "currency": "EUR"}))

    def shown() -> bool:
        budgets = api.get("/api/reports/budget-status", params={"month": month}).json()["data"]["budgets"]
        return bool(budgets) and budgets[0]["spent"] == "84.20"

    until(shown, timeout=60, interval=0.5, what="the seeded figures in the reports")
    return user
