"""The Import page on the running stack: a bank file is previewed (its rows, its unreadable lines, the link to a
transaction entered by hand), then imported and followed to its outcome, which the account's rows then show."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import applied

DATA = Path(__file__).resolve().parents[1] / "data" / "bankfiles"


def test_a_bank_file_is_previewed_then_imported_with_its_link_to_a_hand_entered_row(watch, api, user):
    body = {
        "name": "Girokonto",
        "type": "checking",
        "currency": "EUR",
        "opening_balance": "0",
        "opening_date": "2026-01-01",
    }
    opened = api.post("/api/accounts", json=body)
    applied(api, opened)
    account = opened.json()["id"]
    typed = {"type": "expense", "amount": "86.50", "currency": "EUR", "category": "utilities", "date": "2026-03-11",
             "description": "Strom", "account_id": account}  # fmt: skip
    applied(api, api.post("/api/transactions", json=typed))

    w = watch()
    page = w.page
    w.sign_in(user)
    w.go("Import")
    form = page.get_by_role("form", name="Import a bank file")
    form.get_by_label("Account").select_option(label="Girokonto (EUR)")

    # A file with unreadable lines: each is named, and importing waits for the person's decision.
    form.get_by_label("Bank file").set_input_files(str(DATA / "csv_bad_rows.csv"))
    form.get_by_role("button", name="Preview").click()
    bad = page.get_by_role("table", name="Lines that will not be imported")
    expect(bad).to_contain_text("31.02.2026")
    expect(page.get_by_role("button", name="Import 2 rows")).to_be_disabled()
    expect(page.get_by_role("status").first).to_contain_text("lines cannot be read")

    # A good statement: five new rows and one linked to the transaction entered by hand.
    form.get_by_label("Bank file").set_input_files(str(DATA / "csv_overlap_1.csv"))
    form.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("6 rows read (csv): 5 new, 0 already imported, 1 linked")
    links = page.get_by_role("region", name="Rows linked to transactions you entered")
    expect(links).to_contain_text("Stadtwerke München")
    expect(links).to_contain_text("2026-03-11 · 86.50 EUR · Strom")
    w.shot("import-preview")
    page.get_by_role("button", name="Import 6 rows").click()
    outcome = page.get_by_role("region", name="Import outcome")
    expect(outcome).to_contain_text("5")
    expect(page.get_by_role("status").first).to_contain_text("Imported: 5 new, 0 already imported, 1 linked")
    w.shot("import-outcome")

    items = api.get("/api/transactions", params={"account_id": account}).json()["items"]
    assert len(items) == 6 and sum(t["category"] == "uncategorized" for t in items) == 5
    (kept,) = [t for t in items if t["category"] == "utilities"]
    assert (kept["description"], kept["payee"]) == ("Strom", "Stadtwerke München")

    # The same file again adds nothing.
    form.get_by_role("button", name="Preview").click()
    expect(preview).to_contain_text("0 new, 6 already imported, 0 linked")
    expect(page.get_by_role("button", name="Import 0 rows")).to_be_disabled()
    w.assert_clean()
