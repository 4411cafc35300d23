"""Poison streams: malformed, oversized, wrong-schema and wrong-type messages on every consumed topic.

The transactions topic feeds storage (poison -> the dead-letter topic, with its reason), whose change feed feeds
the budget alerts (which never see what storage refused); the queries topic feeds the analyzer (poison -> an
error reply).
Good messages go on at the same pace: each consumer's good-message rate is measured without poison and
with poison interleaved, and the ratio printed.

    python -m proofs.poison [--good N] [--every K]   # N good messages per phase, one poison every K
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
import sqlalchemy as sa
from confluent_kafka import Consumer, Producer, TopicPartition

from shared.domain.events import TransactionCreated, encode
from shared.domain.transactions import NewTransaction
from shared.settings import Settings

OVERSIZED = 1_100_000  # bytes: over the 1 MB a Kafka (and Event Hubs) message is normally allowed


def _event(user: str) -> dict:
    tx = NewTransaction(
        id=uuid.uuid4(),
        type="expense",
        amount="1.00",
        currency="EUR",
        category="poison-proof",
        date=dt.date(2030, 1, 15),
    )
    return orjson.loads(encode(TransactionCreated(user_id=user, transaction=tx)))


def transaction_poison(kind: str, user: str) -> bytes:
    """One poison message of `kind` for the transactions topic."""
    good = _event(user)
    if kind == "malformed":
        return encode_broken(good)
    if kind == "oversized":
        return orjson.dumps({**good, "transaction": {**good["transaction"], "description": "x" * OVERSIZED}})
    if kind == "wrong-schema":
        return orjson.dumps({**good, "event_type": "transaction.teleported"})
    if kind == "wrong-type":
        return orjson.dumps({**good, "version": "yesterday", "transaction": {**good["transaction"], "amount": 1.0}})
    raise ValueError(kind)


def encode_broken(good: dict) -> bytes:
    return orjson.dumps(good)[:-7] + b", oops"


def query_poison(kind: str, request_id: str, token: str) -> bytes:
    """One poison request of `kind` for the queries topic (malformed ones cannot name their request)."""
    good = {"request_id": request_id, "token": token, "query": {"name": "trend", "params": {}}}
    if kind == "malformed":
        return b'{"request_id": "' + request_id.encode() + b'", "token": oops'
    if kind == "oversized":
        return orjson.dumps({**good, "padding": "x" * OVERSIZED})
    if kind == "wrong-schema":
        return orjson.dumps({"request_id": request_id, "token": token, "question": "how much?"})
    if kind == "wrong-type":
        return orjson.dumps({**good, "query": {"name": 42, "params": ["months", 3]}})
    raise ValueError(kind)


KINDS = ("malformed", "oversized", "wrong-schema", "wrong-type")


@dataclass
class Phase:
    name: str
    good: int
    poison: int
    seconds: dict[str, float] = field(default_factory=dict)  # consumer -> time until its last good message

    def rate(self, consumer: str) -> float:
        return self.good / self.seconds[consumer]


@dataclass
class PoisonReport:
    phases: list[Phase]
    dead_letters: dict[str, int]  # poison kind -> dead letters found (storage)
    reasons: dict[str, str]  # poison kind -> one reason header
    error_replies: dict[str, int]  # poison kind -> error replies (queries)
    sent: dict[str, int]  # topic kind -> poison messages sent

    def summary(self) -> str:
        base, mixed = self.phases
        lines = []
        for consumer in base.seconds:
            ratio = mixed.rate(consumer) / base.rate(consumer)
            lines.append(
                f"  {consumer:8s} good/s without poison {base.rate(consumer):8.0f}, with {mixed.poison} poison "
                f"interleaved {mixed.rate(consumer):8.0f}: ratio {ratio:.2f}"
            )
        lines.append(f"  dead letters (transactions topic, storage): {self.dead_letters}")
        for kind, reason in self.reasons.items():
            lines.append(f"    {kind}: {reason[:110]}")
        lines.append(f"  error replies (queries topic, analyzer): {self.error_replies}")
        lost = sum(self.sent.values()) - sum(self.dead_letters.values()) - sum(self.error_replies.values())
        head = f"poison: sent={sum(self.sent.values())} dead_lettered={sum(self.dead_letters.values())} "
        head += f"error_replies={sum(self.error_replies.values())} unaccounted={lost}"
        return "\n".join([head, *lines])


class Tail:
    """Every message on `topic` after the moment it was created (no consumer group, partitions by hand)."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self.consumer = Consumer(
            {
                "bootstrap.servers": settings.kafka_broker_list,
                "group.id": f"poison-tail-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
            }
        )
        meta = self.consumer.list_topics(topic, timeout=10).topics[topic]
        parts = []
        for p in meta.partitions:
            _, high = self.consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            parts.append(TopicPartition(topic, p, high))
        self.consumer.assign(parts)
        self.messages = []

    def drain(self) -> list:
        while (m := self.consumer.poll(0.05)) is not None:
            if not m.error():
                self.messages.append(m)
        return self.messages

    def close(self) -> None:
        self.consumer.close()


def _until(check: Callable[[], bool], what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what}")
        time.sleep(0.02)


class Counters:
    """How many good messages each consumer has processed: rows in MySQL, rows in the alerts state, replies."""

    def __init__(self, settings: Settings, engine: sa.Engine, replies: Tail) -> None:
        self.settings = settings
        self.engine = engine
        self.replies = replies

    def stored(self, user: str) -> int:
        with self.engine.connect() as c:
            return c.execute(sa.text("SELECT COUNT(*) FROM transactions WHERE user_id = :u"), {"u": user}).scalar()

    def alerted(self, user: str) -> int:
        """Good expenses (1.00 each) the alerts have counted: they reach them through storage's change feed."""
        with self.engine.connect() as c:
            spent = c.execute(sa.text("SELECT SUM(spent) FROM alert_spend WHERE user_id = :u"), {"u": user}).scalar()
        return int(spent or 0)

    def answered(self, request_ids: set[str]) -> int:
        got = {orjson.loads(m.value()).get("request_id") for m in self.replies.drain()}
        return len(request_ids & got)


def run_phase(
    name: str, *, settings: Settings, producer: Producer, counters: Counters, token: str, good: int, every: int
) -> tuple[Phase, dict[str, list[bytes]], dict[str, list[str]]]:
    """Send `good` events and `good` query requests, with one poison of each topic every `every` (0: none)."""
    user = f"poison-{name}-{uuid.uuid4().hex[:8]}"
    poison_keys: dict[str, list[bytes]] = {k: [] for k in KINDS}
    poison_requests: dict[str, list[str]] = {k: [] for k in KINDS}
    request_ids: set[str] = set()
    n_poison = 0
    started = time.monotonic()
    for i in range(good):
        producer.produce(settings.transactions_topic, orjson.dumps(_event(user)), user.encode())
        rid = str(uuid.uuid4())
        request_ids.add(rid)
        request = {"request_id": rid, "token": token, "query": {"name": "trend", "params": {"months": 2}}}
        producer.produce(settings.queries_topic, orjson.dumps(request), rid.encode())
        if every and i % every == every - 1:
            kind = KINDS[n_poison % len(KINDS)]
            key = f"poison-{kind}-{uuid.uuid4().hex}".encode()
            producer.produce(settings.transactions_topic, transaction_poison(kind, user), key)
            poison_keys[kind].append(key)
            prid = str(uuid.uuid4())
            producer.produce(settings.queries_topic, query_poison(kind, prid, token), prid.encode())
            poison_requests[kind].append(prid)
            n_poison += 1
        producer.poll(0)
    assert producer.flush(60) == 0, "the broker did not take every message"
    phase = Phase(name, good, n_poison)
    waits = {
        "storage": lambda: counters.stored(user) >= good,
        "alerts": lambda: counters.alerted(user) >= good,
        "queries": lambda: counters.answered(request_ids) >= good,
    }
    pending = dict(waits)
    while pending:
        for consumer, done in list(pending.items()):
            if done():
                phase.seconds[consumer] = time.monotonic() - started
                del pending[consumer]
        if time.monotonic() - started > 300:
            raise TimeoutError(f"phase {name}: {sorted(pending)} did not process every good message in 300 s")
        time.sleep(0.02)
    return phase, poison_keys, poison_requests


def account(
    dlt: Tail, replies: Tail, poison_keys: dict[str, list[bytes]], poison_requests: dict[str, list[str]], topic: str
) -> tuple[dict[str, int], dict[str, str], dict[str, int]]:
    """Each poison's dead letter (by key) and error reply (by request id; malformed ones reply with none)."""
    wanted = {key: kind for kind, keys in poison_keys.items() for key in keys}
    dead: dict[str, int] = {k: 0 for k in poison_keys}
    reasons: dict[str, str] = {}
    for m in dlt.drain():
        kind = wanted.pop(m.key(), None)
        headers = dict(m.headers() or [])
        if kind and headers.get("dlt.original.topic") == topic.encode() and headers.get("dlt.reason"):
            dead[kind] += 1
            reasons.setdefault(kind, headers["dlt.reason"].decode())
    errors: dict[str, int] = {k: 0 for k in poison_requests}
    by_id = {rid: kind for kind, rids in poison_requests.items() for rid in rids}
    for m in replies.drain():
        reply = orjson.loads(m.value())
        if reply.get("ok") is not False:
            continue
        rid = reply.get("request_id")
        if rid in by_id:
            errors[by_id.pop(rid)] += 1
        elif rid is None and errors["malformed"] < len(poison_requests["malformed"]):
            errors["malformed"] += 1
    return dead, reasons, errors


def prove(*, settings: Settings, engine: sa.Engine, token: str, good: int, every: int) -> PoisonReport:
    producer = Producer(
        {"bootstrap.servers": settings.kafka_broker_list, "message.max.bytes": 4_000_000, "linger.ms": 5}
    )
    dlt, replies = Tail(settings, settings.dead_letter_topic), Tail(settings, settings.results_topic)
    try:
        counters = Counters(settings, engine, replies)
        # Warm up: every consumer has its partitions and connections before anything is timed.
        run_phase("warmup", settings=settings, producer=producer, counters=counters, token=token, good=20, every=0)
        base, _, _ = run_phase(
            "clean", settings=settings, producer=producer, counters=counters, token=token, good=good, every=0
        )
        mixed, keys, rids = run_phase(
            "poisoned", settings=settings, producer=producer, counters=counters, token=token, good=good, every=every
        )
        sent = {"transactions": mixed.poison, "queries": mixed.poison}
        deadline = time.monotonic() + 120
        while True:
            dead, reasons, errors = account(dlt, replies, keys, rids, settings.transactions_topic)
            if sum(dead.values()) + sum(errors.values()) >= 2 * mixed.poison or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        return PoisonReport([base, mixed], dead, reasons, errors, sent)
    finally:
        dlt.close()
        replies.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--good", type=int, default=3_000, help="good messages per topic and phase")
    parser.add_argument("--every", type=int, default=10, help="one poison message after every K good ones")
    args = parser.parse_args(argv)

    from proofs.stack import local_stack, sync_analytics

    functions = ("store_transactions", "budget_alerts", "answer_queries")
    with local_stack(kafka_functions=functions) as (infra, server):
        sync_analytics(server)  # queries answer from the analytics store: it must exist
        engine = infra.direct_engine()
        token = infra.issuer.token(f"poison-asker-{uuid.uuid4().hex[:6]}")
        report = prove(settings=server.root.settings, engine=engine, token=token, good=args.good, every=args.every)
        engine.dispose()
    print(report.summary())
    unaccounted = 2 * report.phases[1].poison - sum(report.dead_letters.values()) - sum(report.error_replies.values())
    return 1 if unaccounted else 0


if __name__ == "__main__":
    sys.exit(main())
