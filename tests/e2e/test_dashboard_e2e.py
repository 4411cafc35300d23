"""The dashboard in Debian's chromium against the whole running stack: what a person does and sees.

Each test signs in as a fresh user; every page's screenshot lands in docs/screenshots/. The alerts are the
stack's own, raised by the analyzer from storage's change feed; writes are followed to their operations.
"""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from tests.e2e.conftest import applied
from tests.support.wait import until


def test_a_person_records_money_sets_a_budget_exceeds_it_and_sees_the_alert(watch, api, base_url, user):
    w = watch()
    page = w.page
    today, month = dt.date.today().isoformat(), dt.date.today().strftime("%Y-%m")
    page.goto(base_url + "/")
    page.get_by_label("User").wait_for()
    w.shot("sign-in")
    w.sign_in(user)

    w.go("Transactions")
    assert page.get_by_role("form", name="Transaction").get_by_label("Date").input_value() == today
    for kind, amount, category, description in (
        ("Income", "2500.00", "salary", f"salary {user}"),
        ("Expense", "42.50", "groceries", f"weekly shop {user}"),
    ):
        w.add_transaction(kind=kind, amount=amount, category=category, description=description)
        # "saved" is the operation's outcome: storage has applied the write, not merely accepted it.
        page.get_by_role("status").filter(has_text="The transaction is saved.").wait_for()
        row = page.locator("table.transactions tbody tr", has_text=description)
        expect(row).to_contain_text(f"{'-' if kind == 'Expense' else '+'}{amount} EUR")
    w.shot("transactions")

    w.go("Budgets")
    form = page.get_by_role("form", name="Set a budget")
    form.get_by_label("Category").fill("groceries")
    assert form.get_by_label("Month").input_value() == month
    form.get_by_label("Amount").fill("100.00")
    form.get_by_label("Currency").fill("EUR")
    form.get_by_role("button", name="Set budget").click()
    page.get_by_role("status").filter(has_text=f"The groceries budget for {month} is saved").wait_for()
    # Budget status answers from the analytics store: shown after its next sync (every 2 s here).
    page.get_by_role("progressbar", name="groceries budget").wait_for(timeout=60_000)
    assert w.budget_text("groceries") == "42.50 EUR of 100.00 EUR spent (42.5%)"
    w.shot("budgets")

    # The overview stays open while an expense is recorded elsewhere (the API, as from a phone): the stack
    # raises the 80% alert and the panel's live region shows it, with no reload of the page.
    w.go("Overview")
    alerts = page.get_by_role("region", name="Latest alerts")
    alerts.get_by_text("No alerts yet.").wait_for()
    page.locator("main h1").evaluate("h1 => (h1.dataset.stayed = 'yes')")
    body = {"type": "expense", "amount": "45.00", "currency": "EUR", "category": "groceries", "date": today}
    applied(api, api.post("/api/transactions", json=body))
    live = alerts.locator("[aria-live=polite]")
    live.get_by_text("groceries: 80% of the budget used").wait_for()
    assert "87.50 EUR of 100.00 EUR (87.5%)" in live.inner_text()
    assert page.locator("main h1").get_attribute("data-stayed") == "yes", "the page was drawn again"

    # The person goes over the budget on the page, and the overview says the budget is reached.
    w.go("Transactions")
    w.add_transaction(amount="20.00", category="groceries", description=f"dinner party {user}")
    page.get_by_role("status").filter(has_text="The transaction is saved.").wait_for()
    until(lambda: spent(api, month, "groceries") == "107.50", timeout=60, interval=0.5, what="the reports to sync")
    w.go("Overview")
    live.get_by_text("groceries: budget reached").wait_for()
    assert live.get_by_role("listitem").all_inner_texts()[0].startswith("groceries: budget reached")
    assert "107.50 EUR of 100.00 EUR (107.5%)" in live.inner_text()
    assert w.budget_text("groceries").startswith("107.50 EUR of 100.00 EUR")

    # The month's figures, in the totals and in the chart: its table's row, and bars of both colours.
    page.locator("#trend canvas[data-state=drawn]").wait_for()
    totals = page.get_by_label("EUR totals").inner_text()
    assert all(figure in totals for figure in ("2500.00 EUR", "107.50 EUR", "2392.50 EUR")), totals
    page.get_by_text("The figures as a table").click()
    cells = page.locator("#trend tr", has_text=month).locator("td").all_inner_texts()
    assert cells == [month, "2500.00 EUR", "107.50 EUR", "2392.50 EUR"]
    assert w.colour_pixels(w.INCOME) > 200 and w.colour_pixels(w.EXPENSE) > 10
    assert f"dinner party {user}" in page.get_by_role("region", name="Recent transactions").inner_text()
    assert "45.00 EUR" in page.get_by_role("region", name="Largest expenses").inner_text()
    assert "Figures as of" in page.locator(".freshness").inner_text()
    assert page.get_by_role("link", name="Admin").count() == 0
    page.get_by_text("The figures as a table").click()  # folded again for the screenshot
    w.shot("overview")
    w.assert_clean()


def spent(api, month: str, category: str) -> str | None:
    """What the budget-status report says of a category's spending this month (None: no budget shown yet)."""
    budgets = api.get("/api/reports/budget-status", params={"month": month}).json()["data"]["budgets"]
    return next((b["spent"] for b in budgets if b["category"] == category), None)


def test_the_list_is_newest_first_and_loads_more_on_request(watch, api, user):
    start = dt.date.today() - dt.timedelta(days=40)
    rows = [
        {
            "type": "expense",
            "amount": f"{i}.00",
            "currency": "EUR",
            "category": "misc",
            "date": str(start + dt.timedelta(days=i)),
        }
        for i in range(1, 31)
    ]
    assert api.post("/api/transactions/batch", json={"transactions": rows}).status_code == 202
    w = watch()
    w.sign_in(user)
    w.go("Transactions")
    dates = w.page.locator("table.transactions tbody tr td:first-child")
    expect(dates).to_have_count(25, timeout=20_000)  # a page of 25, once storage has them all
    assert dates.first.inner_text() == str(start + dt.timedelta(days=30))
    w.page.get_by_role("button", name="Load more").click()
    expect(dates).to_have_count(30)
    assert dates.last.inner_text() == str(start + dt.timedelta(days=1))
    assert w.page.get_by_role("button", name="Load more").is_hidden()

    w.page.get_by_role("button", name="Sign out").click()
    w.page.get_by_text("You are signed out.").wait_for()
    assert w.page.evaluate("JSON.stringify(sessionStorage)") in ("{}", '{"budget.notice":"You are signed out."}')
    w.assert_clean()


def test_the_admin_page_is_refused_to_a_non_admin(watch, base_url, user):
    w = watch()
    w.sign_in(user)
    w.page.goto(base_url + "/#/admin")
    refusal = w.page.get_by_role("alert").filter(has_text="Refused: administrators only")
    refusal.wait_for()
    assert "the token lacks the admin app role" in refusal.inner_text()
    assert w.page.get_by_role("heading", name="Analytics lag").is_hidden()
    w.shot("admin-refused")
    w.assert_clean((403, "/api/admin/"))


def test_an_admin_sees_every_users_figures(watch, seeded):
    w = watch()
    w.sign_in(f"{seeded}-admin", admin=True)
    w.go("Admin")
    w.page.get_by_text("Changes behind").wait_for()
    w.page.get_by_text("Distinct users over these months").wait_for()
    expect(w.page.get_by_text("Loading…")).to_have_count(0)
    w.shot("admin")
    w.assert_clean()


def test_the_overview_and_transactions_fit_a_360_px_phone(watch, seeded):
    w = watch(width=360, height=780)
    w.sign_in(seeded)
    w.page.locator("#trend canvas[data-state=drawn]").wait_for()
    expect(w.page.get_by_text("Loading…")).to_have_count(0)
    assert w.budget_text("groceries").startswith("84.20 EUR of 100.00 EUR")
    alert = w.page.get_by_role("region", name="Latest alerts").get_by_role("listitem")
    expect(alert).to_contain_text("groceries: 80% of the budget used")  # the stack's own, from the seeding
    overflow = w.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a 360 px screen"
    w.shot("overview-360px")

    w.go("Transactions")
    rent = w.page.locator("table.transactions tbody tr", has_text="rent")
    for part in (rent.locator(".t-amount"), rent.get_by_role("button", name="Delete")):
        box = part.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, f"{part} is off the screen: {box}"
    w.shot("transactions-360px")
    w.assert_clean()


def test_the_api_docs_page_renders_from_this_origin(watch, base_url):
    w = watch()
    w.page.goto(base_url + "/api/docs")
    w.page.get_by_text("/api/transactions").first.wait_for()
    w.shot("api-docs")
    w.assert_clean()
