"""Budget alerts through the real broker: storage applies the events and relays its change feed; the budget_alerts
trigger consumes it and raises each threshold of each budget once, through corrections, deletions, rejected
changes, redeliveries and a full re-read."""

from __future__ import annotations

import uuid

import orjson
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from shared.bootstrap import Root
from shared.domain.events import (
    AccountOpened,
    BudgetSet,
    TransactionCreated,
    TransactionDeleted,
    TransactionUpdated,
    encode,
)
from shared.settings import Settings
from tests.support.stack import AppServer
from tests.support.wait import until

MONTH = "2031-05"


@pytest.fixture(scope="module")
def alerts_settings(infra, tmp_path_factory) -> Settings:
    return infra.settings()


def start_alerts(settings: Settings) -> AppServer:
    return AppServer(Root(settings), kafka_functions=("budget_alerts",)).start()


def stop_alerts(server: AppServer) -> None:
    server.stop()
    server.root.close()


@pytest.fixture(scope="module")
def alerts_server(alerts_settings, app_server):
    holder = {"server": start_alerts(alerts_settings)}
    yield holder
    stop_alerts(holder["server"])


class Alerts:
    """Every alert published since the module started, read from the alerts topic."""

    def __init__(self, s: Settings) -> None:
        self.consumer = Consumer({"bootstrap.servers": s.kafka_broker_list, "group.id": uuid.uuid4().hex})
        meta = self.consumer.list_topics(s.alerts_topic, timeout=10).topics[s.alerts_topic]
        parts = []
        for p in meta.partitions:
            _, high = self.consumer.get_watermark_offsets(TopicPartition(s.alerts_topic, p), timeout=10)
            parts.append(TopicPartition(s.alerts_topic, p, high))
        self.consumer.assign(parts)
        self.seen: list[dict] = []

    def drain(self) -> list[dict]:
        while (m := self.consumer.poll(0.2)) is not None:
            if not m.error():
                self.seen.append(orjson.loads(m.value()))
        return self.seen

    def of(self, user: str, category: str | None = None) -> list[tuple[str, int]]:
        return sorted(
            (a["category"], a["threshold"])
            for a in self.drain()
            if a["user_id"] == user and category in (None, a["category"])
        )


@pytest.fixture(scope="module")
def alerts(alerts_server, alerts_settings):
    a = Alerts(alerts_settings)
    yield a
    a.consumer.close()


@pytest.fixture(scope="module")
def producer(infra):
    p = Sender(infra.settings())
    yield p
    p.producer.flush(10)


class Sender:
    """Events straight onto the transactions topic, as the receiver writes them."""

    def __init__(self, settings: Settings) -> None:
        self.producer = Producer({"bootstrap.servers": settings.kafka_broker_list, "enable.idempotence": True})
        self.topic = settings.transactions_topic


def send(sender: Sender, *events) -> None:
    for e in events:
        sender.producer.produce(sender.topic, encode(e), e.user_id.encode())
    assert sender.producer.flush(10) == 0


def budget(user, category, amount, currency="EUR", month=MONTH, accounts=None):
    body = {"category": category, "month": month, "currency": currency, "amount": amount, "accounts": accounts}
    return BudgetSet.model_validate({"user_id": user, "budget": body})


def opened(user, name) -> AccountOpened:
    body = {"name": name, "type": "credit_card", "currency": "EUR", "opening_balance": "0"}
    body["opening_date"] = "2031-01-01"
    return AccountOpened.model_validate({"user_id": user, "account": {"id": str(uuid.uuid4()), **body}})


def expense(user, category, amount, currency="EUR", day="10", **over):
    body = {"type": "expense", "currency": currency, "amount": amount, "category": category, "date": f"{MONTH}-{day}"}
    return TransactionCreated.model_validate(
        {"user_id": user, "transaction": {"id": str(uuid.uuid4()), **body, **over}}
    )


def marker(producer, alerts, user) -> None:
    """A budget reached in a fresh category: once its alerts arrive, everything sent before was processed
    (events of one user share a partition, so they are handled in order)."""
    category = f"marker-{uuid.uuid4().hex[:6]}"
    send(producer, budget(user, category, "1.00"), expense(user, category, "1.00"))
    until(lambda: len(alerts.of(user, category)) == 2, what=f"the marker alerts of {category}")


def test_each_threshold_fires_once_not_once_per_transaction(producer, alerts, user):
    events = [
        budget(user, "groceries", "100.00"),
        expense(user, "groceries", "50.00"),
        expense(user, "groceries", "9000", currency="JPY"),  # another currency: not counted against EUR
        expense(user, "groceries", "30.00"),  # 80%
        expense(user, "groceries", "10.00"),
        expense(user, "groceries", "15.00"),  # 105%
        expense(user, "groceries", "5.00"),
        TransactionCreated.model_validate(
            {
                "user_id": user,
                "transaction": {
                    "id": str(uuid.uuid4()),
                    "type": "income",
                    "currency": "EUR",
                    "amount": "999.00",
                    "category": "groceries",
                    "date": f"{MONTH}-11",
                },
            }
        ),  # fmt: skip
    ]
    send(producer, *events)
    marker(producer, alerts, user)
    assert alerts.of(user, "groceries") == [("groceries", 80), ("groceries", 100)]
    by_threshold = {a["threshold"]: a for a in alerts.seen if a["user_id"] == user and a["category"] == "groceries"}
    assert by_threshold[80]["spent"] == "80.00" and by_threshold[80]["budget"] == "100.00"
    assert by_threshold[100]["spent"] == "105.00" and by_threshold[100]["share_used"] == "1.0500"
    assert by_threshold[80]["currency"] == "EUR" and by_threshold[80]["month"] == MONTH

    # The same events again (a redelivery): nothing new.
    send(producer, *events)
    marker(producer, alerts, user)
    assert alerts.of(user, "groceries") == [("groceries", 80), ("groceries", 100)]


def test_corrections_and_deletions_move_the_totals(producer, alerts, user):
    big = expense(user, "rent", "70.00")
    elsewhere = expense(user, "fun", "25.00")
    send(producer, budget(user, "rent", "100.00"), big, elsewhere)
    marker(producer, alerts, user)
    assert alerts.of(user, "rent") == []

    stale = TransactionUpdated.model_validate(
        {"user_id": user, "expected_version": 5, "transaction_id": str(big.transaction.id),
         "changes": {"amount": "99.00", "currency": "EUR"}}
    )  # fmt: skip
    unknown = TransactionUpdated.model_validate(
        {"user_id": user, "transaction_id": str(uuid.uuid4()), "changes": {"amount": "99.00", "category": "rent"}}
    )
    send(producer, stale, unknown)  # storage rejects both (conflict, not_found): the alerts never see them
    marker(producer, alerts, user)
    assert alerts.of(user, "rent") == []

    raised = TransactionUpdated.model_validate(
        {"user_id": user, "transaction_id": str(big.transaction.id), "changes": {"amount": "85.00", "currency": "EUR"}}
    )
    send(producer, raised)
    marker(producer, alerts, user)
    assert alerts.of(user, "rent") == [("rent", 80)]

    # Deleting it and spending again below the line it crossed raises nothing new.
    send(producer, TransactionDeleted.model_validate({"user_id": user, "transaction_id": str(big.transaction.id)}))
    send(producer, expense(user, "rent", "90.00"))
    marker(producer, alerts, user)
    assert alerts.of(user, "rent") == [("rent", 80)]

    # A transaction moved into the category takes it past 100%.
    moved = TransactionUpdated.model_validate(
        {"user_id": user, "transaction_id": str(elsewhere.transaction.id), "changes": {"category": "rent"}}
    )
    send(producer, moved)
    marker(producer, alerts, user)
    assert alerts.of(user, "rent") == [("rent", 80), ("rent", 100)]


def test_lowering_a_budget_can_cross_its_thresholds(producer, alerts, user):
    send(producer, budget(user, "travel", "100.00"), expense(user, "travel", "50.00"))
    marker(producer, alerts, user)
    assert alerts.of(user, "travel") == []
    send(producer, budget(user, "travel", "60.00"))
    marker(producer, alerts, user)
    assert alerts.of(user, "travel") == [("travel", 80)]
    send(producer, budget(user, "travel", "50.00"))
    marker(producer, alerts, user)
    assert alerts.of(user, "travel") == [("travel", 80), ("travel", 100)]


def test_an_account_set_budget_fires_from_its_accounts_alone(producer, alerts, user):
    card, cash = opened(user, "Card"), opened(user, "Cash")
    c, k = str(card.account.id), str(cash.account.id)
    elsewhere = expense(user, "bills", "70.00", account_id=k)
    events = [
        card,
        cash,
        budget(user, "bills", "100.00", accounts=[c]),
        elsewhere,  # another account: 120 spent in all, 50 of them on the card
        expense(user, "bills", "50.00", account_id=c),
        expense(user, "bills", "40.00"),  # in no account
    ]
    send(producer, *events)
    marker(producer, alerts, user)
    assert alerts.of(user, "bills") == []
    parts = [{"category": "bills", "amount": "30.00"}, {"category": "fun", "amount": "5.00"}]
    send(producer, expense(user, "shopping", "35.00", account_id=c, splits=parts))  # its bills part: 80 on the card
    marker(producer, alerts, user)
    assert alerts.of(user, "bills") == [("bills", 80)]
    (first,) = [a for a in alerts.seen if a["user_id"] == user and a["category"] == "bills"]
    assert (first["spent"], first["budget"], first["accounts"]) == ("80.00", "100.00", [c])

    send(producer, *events)  # a redelivery: nothing new
    marker(producer, alerts, user)
    assert alerts.of(user, "bills") == [("bills", 80)]
    # Only the account moves (the category's total stays): the set's spending reaches 150.
    moved = TransactionUpdated.model_validate(
        {"user_id": user, "transaction_id": str(elsewhere.transaction.id), "changes": {"account_id": c}}
    )
    send(producer, moved)
    marker(producer, alerts, user)
    assert alerts.of(user, "bills") == [("bills", 80), ("bills", 100)]


def test_a_restart_that_rereads_the_whole_topic_raises_nothing_again(
    producer, alerts, alerts_server, alerts_settings, user
):
    send(producer, budget(user, "books", "10.00"), expense(user, "books", "12.00"))
    marker(producer, alerts, user)
    before = [(a["alert_id"], a["user_id"], a["category"], a["month"], a["threshold"]) for a in alerts.drain()]
    assert ("books", 80) in alerts.of(user, "books") and ("books", 100) in alerts.of(user, "books")

    # A new consumer group starts from the beginning of the topic: every event is delivered again.
    stop_alerts(alerts_server["server"])
    reread = alerts_settings.model_copy(update={"alerts_consumer_group": f"alerts-reread-{uuid.uuid4().hex[:6]}"})
    alerts_server["server"] = start_alerts(reread)
    marker(producer, alerts, user)

    after = [(a["alert_id"], a["user_id"], a["category"], a["month"], a["threshold"]) for a in alerts.drain()]
    assert after[: len(before)] == before
    new = after[len(before) :]
    assert len(new) == 2 and {t[2] for t in new} == {new[0][2]} and new[0][2].startswith("marker-")
    keys = [t[1:] for t in after]
    assert len(keys) == len(set(keys)), "a threshold was raised twice"
    assert len({t[0] for t in after}) == len(after)
