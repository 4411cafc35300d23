"""The account routes on fakes: each write is one event of its own operation (202 naming it), refused at the edge
only for what the body alone shows; the reads answer the caller's own accounts and 404 otherwise."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from shared.adapters.mysql.listing import Page
from shared.bootstrap import Root
from shared.domain.events import AccountChanged, AccountOpened, SettingsSet, TransferCreated, TransferDeleted, decode
from shared.domain.operations import issued_to
from tests.unit.fakes import FakeStore

TRANSFER = {"from_account": "{a}", "to_account": "{b}", "amount": "1", "date": "2026-01-01"}
ACCOUNT = {
    "name": "Visa",
    "type": "credit_card",
    "currency": "EUR",
    "opening_balance": "-20",
    "opening_date": "2026-01-01",
}


class FakeAccountReads(FakeStore):
    """The read store with one user's accounts: as the adapter answers them, scoped by user."""

    def __init__(self, owner: str) -> None:
        super().__init__()
        self.owner, self.account = owner, {"id": str(uuid.uuid4()), "balance": "-20.00", "etag": '"1"'}

    def list_accounts(self, *, user_id: str, account_id: str | None = None) -> list[dict]:
        mine = user_id == self.owner and account_id in (None, self.account["id"])
        return [self.account] if mine else []

    def account_entries(self, *, user_id: str, account_id: str, cursor: str | None, limit: int) -> Page | None:
        return Page([], None) if self.list_accounts(user_id=user_id, account_id=account_id) else None

    def get_settings(self, *, user_id: str) -> dict | None:
        return {"home_currency": "EUR", "version": 1} if user_id == self.owner else None


@pytest.fixture
def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def reads(user) -> FakeAccountReads:
    return FakeAccountReads(user)


@pytest.fixture
def client(settings, publisher, store, reads, issuer, user):
    from functions.app import build

    api = build(Root(settings, publisher=publisher, store=store, reads=reads))[0]
    with TestClient(api, raise_server_exceptions=False) as c:
        c.headers["Authorization"] = f"Bearer {issuer.token(user)}"
        yield c


def published(publisher, response, kind):
    assert response.status_code == 202, response.text
    body = response.json()
    assert response.headers["location"] == f"/api/operations/{body['operation']}"
    (event,) = [decode(m.value) for m in publisher.sent]
    assert isinstance(event, kind) and str(event.operation_id) == body["operation"]
    return body, event


def test_opening_an_account_is_one_event_named_by_its_operation(client, publisher, user):
    body, event = published(publisher, client.post("/api/accounts", json=ACCOUNT), AccountOpened)
    assert body["id"] == str(event.account.id) and issued_to(event.operation_id, user)
    assert event.account.to_json()["opening_balance"] == "-20.00"


def test_a_change_carries_if_match_and_a_repeated_idempotency_key_the_same_operation(client, publisher):
    aid, key = str(uuid.uuid4()), {"If-Match": '"3"', "Idempotency-Key": "close-visa"}
    body, event = published(
        publisher, client.patch(f"/api/accounts/{aid}", json={"closed": True}, headers=key), AccountChanged
    )
    assert (str(event.account_id), event.expected_version, event.changes.closed) == (aid, 3, True)
    again = client.patch(f"/api/accounts/{aid}", json={"closed": True}, headers=key)
    assert again.json()["operation"] == body["operation"]


def test_transfers_and_their_deletion(client, publisher):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    sent = {"from_account": a, "to_account": b, "amount": "100.00", "to_amount": "108.66", "date": "2026-02-01"}
    body, event = published(publisher, client.post("/api/transfers", json=sent), TransferCreated)
    assert body["id"] == str(event.transfer.id) and event.transfer.to_json()["to_amount"] == "108.66"
    publisher.sent.clear()
    _, gone = published(publisher, client.delete(f"/api/transfers/{body['id']}"), TransferDeleted)
    assert str(gone.transfer_id) == body["id"]


def test_setting_the_home_currency(client, publisher):
    body, event = published(publisher, client.put("/api/settings", json={"home_currency": "usd"}), SettingsSet)
    assert body["home_currency"] == event.settings.home_currency == "USD"


@pytest.mark.parametrize(
    ("method", "path", "sent", "status"),
    [
        ("post", "/api/accounts", {**ACCOUNT, "type": "pension"}, 422),
        ("post", "/api/accounts", {**ACCOUNT, "opening_balance": "-20.001"}, 422),
        ("patch", "/api/accounts/{a}", {"currency": "USD"}, 422),
        ("patch", "/api/accounts/not-a-uuid", {"closed": True}, 404),
        ("post", "/api/transfers", {**TRANSFER, "to_account": "{a}"}, 422),
        ("post", "/api/transfers", {**TRANSFER, "amount": "0"}, 422),
        ("delete", "/api/transfers/nope", None, 404),
        ("put", "/api/settings", {"home_currency": "XAU"}, 422),
        ("post", "/api/transactions", {"type": "expense", "amount": "10.00", "currency": "EUR", "category": "x",
                                       "date": "2026-01-01", "splits": [{"category": "a", "amount": "9.99"}]}, 422),
    ],
)  # fmt: skip
def test_what_the_body_alone_shows_wrong_is_refused_at_the_edge_and_nothing_published(
    client, publisher, method, path, sent, status
):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    fill = {"{a}": a, "{b}": b}
    path = path.replace("{a}", a)
    body = {k: fill.get(v, v) if isinstance(v, str) else v for k, v in sent.items()} if sent else None
    response = client.request(method.upper(), path, json=body)
    assert response.status_code == status, response.text
    assert publisher.sent == []


def test_the_reads_answer_the_callers_own_accounts_and_404_for_any_other(client, reads, issuer):
    own = reads.account["id"]
    assert client.get("/api/accounts").json() == {"items": [reads.account]}
    found = client.get(f"/api/accounts/{own}")
    assert found.status_code == 200 and found.headers["etag"] == '"1"'
    assert client.get(f"/api/accounts/{own}/transactions").json() == {"items": [], "next_cursor": None}
    assert client.get("/api/settings").json() == {"home_currency": "EUR", "version": 1}
    for path in (f"/api/accounts/{uuid.uuid4()}", f"/api/accounts/{uuid.uuid4()}/transactions", "/api/accounts/x"):
        assert client.get(path).status_code == 404, path
    other = {"Authorization": f"Bearer {issuer.token('someone-else')}"}
    assert client.get(f"/api/accounts/{own}", headers=other).status_code == 404
    assert client.get("/api/accounts", headers=other).json() == {"items": []}
    assert client.get("/api/settings", headers=other).json() == {"home_currency": None, "version": 0}


@pytest.mark.parametrize("path", ["/api/accounts/{a}", "/api/transactions/{a}"])
def test_if_match_of_a_version_that_cannot_exist_is_a_bad_request_not_a_failure(client, publisher, path):
    body = {"name": "x"} if "accounts" in path else {"category": "x"}
    response = client.patch(path.format(a=uuid.uuid4()), json=body, headers={"If-Match": '"0"'})
    assert response.status_code == 400 and "if-match" in response.text.lower()
    assert publisher.sent == []


@pytest.mark.parametrize("accounts", [[], ["{a}", "{a}"], ["nope"], "{a}", ["{a}"] * 21])
def test_a_budget_with_a_bad_account_set_is_a_422_problem_naming_the_field(client, publisher, accounts):
    a = str(uuid.uuid4())
    sent = [a if x == "{a}" else x for x in accounts] if isinstance(accounts, list) else a
    if accounts == ["{a}"] * 21:
        sent = [str(uuid.uuid4()) for _ in range(21)]
    response = client.put("/api/budgets/food/2026-11", json={"amount": "5", "currency": "EUR", "accounts": sent})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "accounts" in response.text
    assert publisher.sent == []


def test_a_budget_answers_its_account_set_and_null_for_a_global_one(client, publisher):
    a, b = sorted(str(uuid.uuid4()) for _ in range(2))
    with_set = client.put("/api/budgets/food/2026-11", json={"amount": "5", "currency": "EUR", "accounts": [b, a]})
    assert with_set.status_code == 202 and with_set.json()["accounts"] == [a, b]
    plain = client.put("/api/budgets/food/2026-11", json={"amount": "5", "currency": "EUR", "accounts": None})
    assert plain.status_code == 202 and plain.json()["accounts"] is None
    assert [decode(m.value).budget.account_ids() for m in publisher.sent] == [[a, b], None]
