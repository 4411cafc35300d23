"""Accounts, transfers, splits, net worth and the home currency on the dashboard, against the whole running stack.

A person opens a EUR checking and a USD savings account, records a split expense into one, moves money across
currencies and sees each balance move by its own amount; the net worth page draws the month's figures and, with a
home currency and an ECB rate loaded, converts them naming the rate's date (a month without a rate is said to lack
it). A closed account refuses a transaction with its reason on the page. Screenshots land in docs/screenshots/.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import applied
from tests.e2e.test_dashboard_a11y_e2e import violations
from tests.support.wait import until

TODAY = dt.date.today()
MONTH = TODAY.strftime("%Y-%m")
LAST_MONTH_END = TODAY.replace(day=1) - dt.timedelta(days=1)
OPENED = LAST_MONTH_END.replace(day=1)  # the accounts are opened last month: that month end has no USD rate
USD_PER_EUR = "1.0800"


def load_todays_rate(base_url: str) -> None:
    """An administrator loads one ECB rate, dated today (the stack's rates are everyone's)."""
    token = dev_token_admin(base_url)
    body = f"Date,USD,\n{TODAY.isoformat()},{USD_PER_EUR},\n".encode()
    answer = httpx.post(f"{base_url}/api/rates", content=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200, answer.text


def dev_token_admin(base_url: str) -> str:
    minted = httpx.post(f"{base_url}/api/dev/token", json={"user": "e2e-rates-admin", "admin": True}, timeout=5)
    return minted.json()["access_token"]


def open_account(api, name: str, kind: str, currency: str, opening: str) -> str:
    body = {"name": name, "type": kind, "currency": currency, "opening_balance": opening, "opening_date": str(OPENED)}
    answer = api.post("/api/accounts", json=body)
    applied(api, answer)
    return answer.json()["id"]


def net_worth_synced(api, net: str) -> None:
    """Wait for the analytics store's sync: this month's net worth converted to EUR reads `net`."""

    def converted() -> str | None:
        month = api.get("/api/reports/net-worth", params={"months": 1, "convert_to": "EUR"}).json()["data"]["months"]
        return month[-1].get("converted", {}).get("net")

    until(lambda: converted() == net, timeout=60, interval=0.5, what=f"the net worth to sync ({net} EUR)")


def pixels(page, selector: str, rgb: tuple[int, int, int]) -> int:
    """How many pixels of a canvas have exactly this colour."""
    return page.locator(selector).evaluate(
        """(canvas, [r, g, b]) => {
            const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) if (d[i] === r && d[i + 1] === g && d[i + 2] === b) n++;
            return n;
        }""",
        list(rgb),
    )


def cells(row) -> list[str]:
    return [text.strip() for text in row.locator("td").all_inner_texts()]


class AccountsPage:
    """What a person reads and does on the accounts page."""

    def __init__(self, page) -> None:
        self.page = page

    def row(self, name: str):
        return self.page.locator("table.accounts tbody tr", has=self.page.get_by_role("link", name=name, exact=True))

    def balance(self, name: str) -> str:
        return self.row(name).locator(".a-balance").inner_text()

    def said(self, text: str) -> None:
        self.page.get_by_role("status").filter(has_text=text).wait_for()

    def open(self, name: str, kind: str, currency: str, opening: str) -> None:
        form = self.page.get_by_role("form", name="Open an account")
        form.get_by_label("Name").fill(name)
        form.get_by_label("Type").select_option(label=kind)
        form.get_by_label("Currency").fill(currency)
        form.get_by_label("Opening balance").fill(opening)
        form.get_by_label("Opening date").fill(str(OPENED))
        form.get_by_role("button", name="Open account").click()
        self.said(f"{name} is open, in {currency}.")
        expect(self.row(name).locator(".a-balance")).to_have_text(f"{opening} {currency}")


def test_a_person_opens_accounts_splits_an_expense_moves_money_across_currencies_and_sees_net_worth(
    watch, api, base_url, user
):
    w = watch()
    page = w.page
    posted: list[str] = []
    page.on("request", lambda r: r.method == "POST" and posted.append(r.url))
    w.sign_in(user)
    w.go("Accounts")
    page.get_by_text("No accounts yet: open one below.").wait_for()
    accounts = AccountsPage(page)
    accounts.open("Everyday", "Checking", "EUR", "1000.00")
    accounts.open("Rainy day", "Savings", "USD", "500.00")

    # An expense recorded into Everyday, shared between two categories. Splits that do not add up are not sent.
    w.go("Transactions")
    form = page.get_by_role("form", name="Transaction")
    form.get_by_label("Account").select_option(label="Everyday (EUR)")
    assert form.get_by_label("Currency").input_value() == "EUR"  # the account's currency
    form.get_by_role("textbox", name="Amount", exact=True).fill("42.50")
    form.get_by_role("textbox", name="Category", exact=True).fill("groceries")
    form.get_by_label("Payee").fill("Corner shop")
    form.get_by_label("Description").fill(f"weekly shop {user}")
    for n, (category, amount) in enumerate((("groceries", "30.00"), ("household", "10.00")), 1):
        form.get_by_role("button", name="Add a split").click()
        form.get_by_label(f"Split {n} Category").fill(category)
        form.get_by_label(f"Split {n} Amount").fill(amount)
    expect(form.get_by_text("Splits add up to 40.00 of 42.50 (2.50 left).")).to_be_visible()
    sent_before = len(posted)
    form.get_by_role("button", name="Add transaction").click()
    splits = form.get_by_role("group", name="Splits")
    expect(page.get_by_role("status").first).to_have_text(
        "Not sent: the splits add up to 40.00; they must add up exactly to the amount, 42.50."
    )
    expect(splits).to_have_attribute("aria-invalid", "true")
    assert len(posted) == sent_before, "a transaction whose splits do not add up was sent"

    # Parts that add up here but not in euros' minor units: the server's 422 is shown beside the splits.
    form.get_by_label("Split 1 Amount").fill("10.005")
    form.get_by_label("Split 2 Amount").fill("32.495")
    form.get_by_role("button", name="Add transaction").click()
    refusal = splits.locator(".field-error:visible")
    expect(refusal).to_contain_text("split 1: EUR amounts have at most 2 decimal places; got '10.005'")
    w.shot("accounts-split-refused")

    form.get_by_label("Split 1 Amount").fill("30.00")
    form.get_by_label("Split 2 Amount").fill("12.50")
    form.get_by_role("button", name="Add transaction").click()
    page.get_by_role("status").filter(has_text="The transaction is saved.").wait_for()
    expect(page.locator("table.transactions tbody tr", has_text=f"weekly shop {user}")).to_contain_text("-42.50 EUR")

    # A fee taken from the savings account elsewhere (the API, as from a phone).
    rainy = next(a["id"] for a in api.get("/api/accounts").json()["items"] if a["name"] == "Rainy day")
    fee = {"type": "expense", "amount": "10.80", "currency": "USD", "category": "fees", "date": str(TODAY)}
    applied(api, api.post("/api/transactions", json={**fee, "account_id": rainy}))

    w.go("Accounts")
    expect(accounts.row("Everyday").locator(".a-balance")).to_have_text("957.50 EUR")
    expect(accounts.row("Rainy day").locator(".a-balance")).to_have_text("489.20 USD")

    # A transfer across currencies: To amount is asked for only then, and must be given.
    move = page.get_by_role("form", name="Transfer")
    move.get_by_label("From").select_option(label="Rainy day (USD)")
    expect(move.get_by_label("To amount")).to_be_hidden()  # the same account on both sides: one currency
    move.get_by_label("From").select_option(label="Everyday (EUR)")
    assert move.get_by_role("combobox", name="To", exact=True).input_value() == rainy
    expect(move.get_by_label("To amount")).to_be_visible()
    move.get_by_role("textbox", name="Amount", exact=True).fill("100.00")
    move.get_by_label("Description").fill("to savings")
    move.get_by_role("button", name="Transfer").click()
    accounts.said("Not sent: say what arrives in Rainy day, in USD.")
    move.get_by_label("To amount").fill("108.00")
    move.get_by_role("button", name="Transfer").click()
    accounts.said("Moved 100.00 EUR from Everyday to Rainy day; 108.00 USD arrived.")
    # Each balance moved by its own amount, exactly as the API gives it.
    expect(accounts.row("Everyday").locator(".a-balance")).to_have_text("857.50 EUR")
    expect(accounts.row("Rainy day").locator(".a-balance")).to_have_text("597.20 USD")

    # An account's entries, newest first, each with the balance after it.
    page.get_by_role("link", name="Everyday", exact=True).click()
    page.get_by_role("heading", name="Entries of Everyday").wait_for()
    entries = page.locator("table.entries tbody tr")
    expect(entries).to_have_count(2)
    assert cells(entries.nth(0))[:4] == [
        str(TODAY),
        "Transfer to Rainy day (108.00 USD arrived) · to savings",
        "-100.00 EUR",
        "857.50 EUR",
    ]
    assert cells(entries.nth(1))[:4] == [
        str(TODAY),
        "groceries 30.00 · household 12.50 · Corner shop · weekly shop " + user,
        "-42.50 EUR",
        "957.50 EUR",
    ]
    w.shot("accounts")

    # A home currency, and an ECB rate for today.
    w.go("Settings")
    settings = page.get_by_role("form", name="Home currency")
    settings.get_by_label("Home currency").fill("eur")
    settings.get_by_role("button", name="Save home currency").click()
    accounts.said("Your home currency EUR is saved.")
    w.shot("accounts-home-currency")
    load_todays_rate(base_url)

    # Net worth answers from the analytics store: wait for its sync of the accounts and the rate.
    net_worth_synced(api, "1410.46")
    w.go("Net worth")
    page.locator("#networth canvas[data-state=drawn]").wait_for()
    chart = page.locator("#networth")
    assert cells(chart.locator("tr", has_text=MONTH)) == [MONTH, "857.50 EUR", "0.00 EUR", "857.50 EUR"]
    last = LAST_MONTH_END.strftime("%Y-%m")
    assert cells(chart.locator("tr", has_text=last)) == [last, "1000.00 EUR", "0.00 EUR", "1000.00 EUR"]
    assert pixels(page, "#networth canvas", w.INCOME) > 200, "no assets bar drawn"
    chart.get_by_label("Currency").select_option("USD")
    expect(chart.locator("tr", has_text=MONTH)).to_contain_text("597.20 USD")
    assert cells(chart.locator("tr", has_text=MONTH)) == [MONTH, "597.20 USD", "0.00 USD", "597.20 USD"]
    chart.get_by_label("Currency").select_option("EUR")
    page.locator("#networth canvas[data-state=drawn]").wait_for()

    # Converted: 857.50 EUR + 597.20 USD at 1.0800 (552.96 EUR), naming the rate's date; last month lacks a rate.
    converted = page.get_by_role("region", name="In EUR, your home currency")
    this_month = cells(converted.locator("tr", has_text=MONTH))
    assert this_month == [MONTH, "1410.46 EUR", "0.00 EUR", "1410.46 EUR", str(TODAY)]
    before = cells(converted.locator("tr", has_text=last))
    assert before == [last, "not converted", "0.00 EUR", "not converted", "missing: USD"]
    missing = converted.locator(".notice", has_text="Missing rates").inner_text()
    assert f"{last}: no USD exchange rate on or before {LAST_MONTH_END}, so that month end is not converted." in missing
    w.shot("networth")

    # The overview converts the month too, once the figures have synced the home currency.
    def converted_expense() -> str | None:
        summary = api.get("/api/reports/monthly-summary", params={"month": MONTH}).json()["data"]
        return summary.get("converted", {}).get("expense")

    until(lambda: converted_expense() == "52.50", timeout=60, interval=0.5, what="the converted summary")
    w.go("Overview")
    total = page.get_by_label("Totals converted to EUR")
    expect(total).to_contain_text("52.50 EUR")
    assert "-52.50 EUR" in total.inner_text()
    assert f"Converted at the ECB rates of {TODAY}" in page.locator(".total.converted").inner_text()
    w.assert_clean((422, "/api/transactions"))


def test_a_closed_account_refuses_a_transaction_and_a_change_made_elsewhere_is_not_overwritten(watch, api, user):
    everyday = open_account(api, "Everyday", "checking", "EUR", "200.00")
    open_account(api, "Rainy day", "savings", "EUR", "0.00")
    w = watch()
    page = w.page
    w.sign_in(user)

    # The form offers Everyday; it is closed elsewhere before the person presses "Add transaction".
    w.go("Transactions")
    form = page.get_by_role("form", name="Transaction")
    form.get_by_label("Account").select_option(label="Everyday (EUR)")
    form.get_by_label("Amount").fill("5.00")
    form.get_by_label("Category").fill("coffee")
    etag = api.get(f"/api/accounts/{everyday}").headers["ETag"]
    applied(api, api.patch(f"/api/accounts/{everyday}", json={"closed": True}, headers={"If-Match": etag}))
    form.get_by_role("button", name="Add transaction").click()
    refused = page.get_by_role("status").filter(has_text="The transaction was refused")
    expect(refused).to_have_text("The transaction was refused: account 'Everyday' is closed; reopen it to record in it")
    # The form now offers only the open accounts.
    expect(form.get_by_label("Account").locator("option")).to_have_text(["No account", "Rainy day (EUR)"])
    w.shot("accounts-closed-refused")

    # On the accounts page: reopened, with If-Match; the balance as it was.
    w.go("Accounts")
    accounts = AccountsPage(page)
    expect(accounts.row("Everyday").locator(".a-status")).to_have_text("Closed")
    page.get_by_role("button", name="Reopen Everyday").click()
    accounts.said("Everyday is open again.")
    expect(accounts.row("Everyday").locator(".a-status")).to_have_text("Open")
    assert accounts.balance("Everyday") == "200.00 EUR"

    # Renamed elsewhere after the list was loaded: closing it from the stale list is refused, the list reloaded.
    rainy = next(a for a in api.get("/api/accounts").json()["items"] if a["name"] == "Rainy day")
    applied(
        api, api.patch(f"/api/accounts/{rainy['id']}", json={"name": "Rainy days"}, headers={"If-Match": rainy["etag"]})
    )
    page.get_by_role("button", name="Close Rainy day").click()
    accounts.said("Closing Rainy day was refused: Rainy day was changed elsewhere after this list was loaded")
    expect(accounts.row("Rainy days").locator(".a-status")).to_have_text("Open")

    # Renamed here; then closed and reopened by the person.
    page.get_by_role("button", name="Rename Rainy days").click()
    page.get_by_role("form", name="Rename Rainy days").get_by_label("New name").fill("Holidays")
    page.get_by_role("button", name="Save name").click()
    accounts.said("Rainy days is now called Holidays.")
    page.get_by_role("button", name="Close Holidays").click()
    accounts.said("Holidays is closed")
    expect(accounts.row("Holidays").locator(".a-status")).to_have_text("Closed")
    w.assert_clean()


@pytest.mark.parametrize("width", [1280, 360])
def test_the_new_pages_pass_axe_and_fit_a_phone(watch, api, base_url, user, width):
    everyday = open_account(api, "Everyday", "checking", "EUR", "1000.00")
    savings = open_account(api, "Rainy day", "savings", "USD", "500.00")
    transfer = {
        "from_account": everyday,
        "to_account": savings,
        "amount": "100.00",
        "to_amount": "108.00",
        "date": str(TODAY),
    }
    applied(api, api.post("/api/transfers", json=transfer))
    applied(api, api.put("/api/settings", json={"home_currency": "EUR"}))
    load_todays_rate(base_url)
    net_worth_synced(api, "1462.96")  # 900.00 EUR + 608.00 USD at 1.0800 (562.96 EUR)

    w = watch(width=width, height=900, bypass_csp=True)  # bypassed only to inject axe-core
    w.sign_in(user)
    found = {}
    for route, ready in (
        (f"accounts?account={everyday}", "table.entries tbody tr"),
        ("net-worth", "#networth canvas[data-state=drawn]"),
        ("settings", "input[name=home_currency]"),
        ("transactions", "form[aria-label=Transaction]"),
    ):
        w.page.goto(f"{base_url}/#/{route}")
        w.page.locator(ready).first.wait_for()
        expect(w.page.get_by_text("Loading…")).to_have_count(0)
        if route == "transactions":  # with a split row and the accounts offered
            w.page.get_by_role("button", name="Add a split").click()
            expect(w.page.get_by_label("Account").locator("option")).to_have_count(3)
        overflow = w.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"#/{route} is {overflow}px wider than the {width} px screen"
        found[route] = violations(w.page)
        if width == 360 and route.startswith(("accounts", "net-worth")):
            w.shot(f"{route.split('?')[0].replace('-', '')}-360px")
    assert not any(found.values()), found
    w.assert_clean()


def test_a_budget_over_the_card_counts_the_cards_spending_and_shows_its_accounts(watch, api, user):
    card = open_account(api, "Card", "credit_card", "EUR", "0.00")
    cash = open_account(api, "Cash", "cash", "EUR", "100.00")
    for account, amount in ((card, "30.00"), (cash, "50.00")):
        body = {"type": "expense", "amount": amount, "currency": "EUR", "category": "fuel", "date": str(TODAY)}
        applied(api, api.post("/api/transactions", json={**body, "account_id": account}))
    w = watch(bypass_csp=True)  # bypassed only to inject axe-core
    page = w.page
    w.sign_in(user)
    w.go("Budgets")
    form = page.get_by_role("form", name="Set a budget")
    picker = form.get_by_label("Accounts")
    expect(picker.locator("option")).to_have_text(["Card (EUR)", "Cash (EUR)"])
    assert picker.evaluate("s => [...s.options].every((o) => o.selected)")  # all: a global budget
    form.get_by_label("Category").fill("fuel")
    form.get_by_label("Amount").fill("100.00")
    form.get_by_label("Currency").fill("EUR")
    picker.select_option(label="Card (EUR)")
    form.get_by_role("button", name="Set budget").click()
    page.get_by_role("status").filter(has_text=f"The fuel budget for {MONTH} is saved and shown below").wait_for(
        timeout=60_000
    )
    assert w.budget_text("fuel") == "30.00 EUR of 100.00 EUR spent (30%)"  # the card's 30, not the cash's 50
    expect(page.locator(".budgets li", has_text="fuel").locator(".budget-accounts")).to_have_text("Accounts: Card")
    assert violations(page) == []

    # Set again with every account selected: global again, both expenses count.
    picker.select_option(label=["Card (EUR)", "Cash (EUR)"])
    form.get_by_role("button", name="Set budget").click()
    expect(page.locator(".budgets li", has_text="fuel").locator(".budget-accounts")).to_have_text(
        "Accounts: All accounts", timeout=60_000
    )
    page.get_by_role("status").filter(has_text=f"The fuel budget for {MONTH} is saved and shown below").wait_for()
    assert w.budget_text("fuel") == "80.00 EUR of 100.00 EUR spent (80%)"
    w.assert_clean()
