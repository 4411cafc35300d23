"""Writes on the dashboard show their real outcome: each 202 is followed to its operation on the running stack.

Edits and deletions name the version the page showed (If-Match with the row's etag): a change made elsewhere in
the meantime is refused as a conflict, and the page says so and offers to reload the row.
"""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from tests.e2e.conftest import applied
from tests.support.wait import until


def test_corrections_deletions_and_refusals_read_as_a_person_expects(watch, user):
    w = watch()
    page = w.page
    w.sign_in(user)
    w.go("Transactions")
    form = page.get_by_role("form", name="Transaction")

    # A refusal: the API's detail in the status line, its field error next to the field.
    w.add_transaction(amount="1.234", category="books", description=f"novel {user}")
    expect(form.get_by_label("Amount")).to_have_attribute("aria-invalid", "true")
    assert "at most 2 decimal places" in form.locator(".field-error:visible").inner_text()
    assert "invalid fields" in page.get_by_role("status").first.inner_text()

    # Put right and sent again, then the amount alone corrected: the list shows the new amount.
    form.get_by_label("Amount").fill("12.34")
    form.get_by_role("button", name="Add transaction").click()
    row = page.locator("table.transactions tbody tr", has_text=f"novel {user}")
    row.wait_for()
    assert form.locator(".field-error:visible").count() == 0
    row.get_by_role("button", name="Edit").click()
    assert form.get_by_label("Amount").input_value() == "12.34"
    form.get_by_label("Amount").fill("15.00")
    form.get_by_role("button", name="Save changes").click()
    page.get_by_role("status").filter(has_text="The change is saved.").wait_for()
    expect(row).to_contain_text("-15.00 EUR")

    # Deleted after a confirmation.
    row.get_by_role("button", name="Delete").click()
    row.get_by_role("button", name="Yes, delete").click()
    page.get_by_role("status").filter(has_text="The deletion is saved.").wait_for()
    expect(row).to_have_count(0)

    # Text search answers from the analytics store, once it has synced: "Apply" again asks again.
    w.add_transaction(amount="3.20", category="coffee", description=f"flat white {user}")
    page.locator("table.transactions tbody tr", has_text=f"flat white {user}").wait_for()
    search = page.get_by_role("search", name="Filter transactions")
    search.get_by_label("Search text").fill(f"white {user}")
    search.get_by_role("button", name="Apply filters").click()
    page.get_by_role("heading", name=f"Search results for “white {user}”").wait_for()
    found = page.locator("table.transactions tbody tr", has_text=f"flat white {user}")

    def searched_again() -> bool:
        if found.count():
            return True
        page.get_by_role("search", name="Filter transactions").get_by_role("button", name="Apply filters").click()
        return False

    until(searched_again, timeout=30, interval=1, what="the search to find the transaction")
    assert "Figures as of" in page.locator(".freshness").inner_text()
    w.assert_clean((422, "/api/transactions"))


def test_an_edit_over_a_change_made_elsewhere_is_refused_and_the_row_reloaded(watch, api, user):
    today = str(dt.date.today())
    body = {"type": "expense", "amount": "30.00", "currency": "EUR", "category": "books", "date": today}
    tid = applied(api, api.post("/api/transactions", json={**body, "description": f"atlas {user}"}))["resource"]
    w = watch()
    page = w.page
    w.sign_in(user)
    w.go("Transactions")
    form = page.get_by_role("form", name="Transaction")
    row = page.locator("table.transactions tbody tr", has_text=f"atlas {user}")
    row.get_by_role("button", name="Edit").click()

    # Meanwhile the amount is corrected elsewhere (the API, as from another device).
    applied(api, api.patch(tid, json={"amount": "31.00"}))
    form.get_by_label("Amount").fill("35.00")
    form.get_by_role("button", name="Save changes").click()
    status = page.get_by_role("status").filter(has_text="The change was refused")
    expect(status).to_contain_text(f"the books transaction of {today} (30.00 EUR) was changed elsewhere")
    reload = page.get_by_role("button", name="Reload the transaction")
    expect(reload).to_be_focused()
    expect(row).to_contain_text("-30.00 EUR")  # the page does not pretend: it still shows what it loaded
    assert api.get(tid).json()["amount"] == "31.00"  # and the other change stands
    w.shot("transactions-conflict")

    # Reloaded, the row and the form show the current version; the change made again over it is saved.
    reload.click()
    expect(row).to_contain_text("-31.00 EUR")
    assert form.get_by_label("Amount").input_value() == "31.00"
    form.get_by_label("Amount").fill("35.00")
    form.get_by_role("button", name="Save changes").click()
    page.get_by_role("status").filter(has_text="The change is saved.").wait_for()
    expect(row).to_contain_text("-35.00 EUR")
    assert api.get(tid).json()["amount"] == "35.00"

    # A deletion over a change made elsewhere is refused the same way; reloaded, the row shows that change.
    applied(api, api.patch(tid, json={"category": "maps"}))
    row.get_by_role("button", name="Delete").click()
    row.get_by_role("button", name="Yes, delete").click()
    page.get_by_role("status").filter(has_text="The deletion was refused: the books transaction").wait_for()
    reload.click()
    expect(row).to_contain_text("maps")
    assert api.get(tid).status_code == 200

    # Deleted elsewhere, then here: refused as not found, and the row leaves the list.
    applied(api, api.delete(tid))
    row.get_by_role("button", name="Delete").click()
    row.get_by_role("button", name="Yes, delete").click()
    page.get_by_role("status").filter(has_text="The deletion was refused: No such transaction among yours").wait_for()
    expect(row).to_have_count(0)
    w.assert_clean()


def test_a_write_still_pending_is_followed_a_bounded_number_of_times(watch, base_url, user):
    """The real stack applies a write in milliseconds; only here, played, does an operation stay pending."""
    w = watch()
    w.sign_in(user)
    waits = []

    def pending(route) -> None:
        waits.append(route.request.url)
        operation = route.request.url.rsplit("/", 1)[1].split("?")[0]
        body = {"id": operation, "status": "pending", "applied": 0, "duplicates": 0, "rejected": 0}
        route.fulfill(status=200, json=body)

    w.page.route(f"{base_url}/api/operations/**", pending)
    w.go("Transactions")
    w.add_transaction(amount="9.99", category="books", description=f"slow {user}")
    w.page.get_by_role("status").filter(has_text="still being applied").wait_for()
    assert len(waits) == 4 and all(url.endswith("?wait=5") for url in waits), waits
    w.assert_clean()
