"""Client side of the proofs: generated transactions, and a paced HTTP client that keeps its own record."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import httpx

CATEGORIES = ("groceries", "rent", "transport", "dining", "salary", "utilities")
CURRENCIES = (("EUR", 2), ("USD", 2), ("JPY", 0))


@dataclass(frozen=True, slots=True)
class Posted:
    user: str
    body: dict

    @property
    def id(self) -> str:
        return self.body["id"]

    @property
    def amount(self) -> Decimal:
        return Decimal(self.body["amount"])


def transactions(count: int, users: list[str], seed: int) -> list[Posted]:
    """`count` valid transactions spread over users, months, categories and currencies, each with a fresh id."""
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        currency, digits = CURRENCIES[i % len(CURRENCIES)]
        minor = rnd.randint(1, 500_000)
        amount = str(minor) if digits == 0 else f"{minor // 100}.{minor % 100:02d}"
        category = rnd.choice(CATEGORIES)
        body = {
            "id": str(uuid.uuid4()),
            "type": "income" if category == "salary" else "expense",
            "amount": amount if Decimal(amount) > 0 else "1",
            "currency": currency,
            "category": category,
            "date": f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            "description": f"proof {i}",
            "tags": ["proof"],
        }
        out.append(Posted(users[i % len(users)], body))
    return out


@dataclass
class Record:
    """What the client saw: every status per id. `accepted` = ids that got a 202 at least once."""

    statuses: dict[str, list[int]] = field(default_factory=dict)  # 0 = no answer (connection failed)
    done: int = 0  # ids finished (accepted or out of attempts)

    def note(self, tid: str, status: int) -> None:
        self.statuses.setdefault(tid, []).append(status)

    @property
    def accepted(self) -> set[str]:
        return {tid for tid, seen in self.statuses.items() if 202 in seen}

    @property
    def never_accepted(self) -> set[str]:
        return {tid for tid, seen in self.statuses.items() if 202 not in seen}

    def counts(self) -> Counter:
        return Counter(s for seen in self.statuses.values() for s in seen)


class Pacer:
    """Hands out send slots no faster than `rate` a second (shared by every worker)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next = time.monotonic()

    async def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        slot = max(self.next, now)
        self.next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


async def post_all(
    base_url: str,
    items: list[Posted],
    tokens: dict[str, str],
    record: Record,
    *,
    concurrency: int,
    rate: float,
    max_attempts: int,
) -> None:
    """POST each transaction; on 503 or no answer retry the same id (an idempotency key) with back-off."""
    queue: asyncio.Queue[Posted] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    pacer = Pacer(rate)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                item = queue.get_nowait()
                headers = {"Authorization": f"Bearer {tokens[item.user]}"}
                for attempt in range(1, max_attempts + 1):
                    await pacer.wait()
                    try:
                        status = (await client.post("/api/transactions", json=item.body, headers=headers)).status_code
                    except httpx.TransportError:
                        status = 0
                    record.note(item.id, status)
                    if status == 202:
                        break
                    if status not in (0, 503):
                        raise AssertionError(f"{item.id}: unexpected status {status}")
                    await asyncio.sleep(min(2.0, 0.1 * 2**attempt))
                record.done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))


@dataclass(slots=True)
class Sample:
    """One request of an open-loop run; times in seconds from the run's start."""

    kind: str
    key: str | None
    scheduled: float
    sent: float
    done: float
    status: int  # 0 = no answer
    error: str = ""  # for status 0: what the client saw instead (the httpx exception's class and text)

    @property
    def latency(self) -> float:
        """From when the request was due, not when it went out: a late generator cannot hide latency."""
        return self.done - self.scheduled


Request = tuple[str, str | None, str, str, dict | None, dict[str, str]]  # kind, key, method, url, json, headers


async def open_loop(
    client: httpx.AsyncClient, *, rate: float, duration_s: float, build: Callable[[int], Request], start: float
) -> list[Sample]:
    """Request i is due at start + i/rate whatever happened to earlier ones (no coordinated omission)."""
    samples: list[Sample] = []
    pending: set[asyncio.Task] = set()

    async def one(i: int, due: float) -> None:
        kind, key, method, url, body, headers = build(i)
        sent = time.monotonic()
        error = ""
        try:
            status = (await client.request(method, url, json=body, headers=headers)).status_code
        except httpx.HTTPError as e:
            status, error = 0, f"{type(e).__name__}: {e}"
        samples.append(Sample(kind, key, due - start, sent - start, time.monotonic() - start, status, error))

    for i in range(int(rate * duration_s)):
        due = start + i / rate
        # Always yield: a generator that fell behind must not queue the rest of the run without sending it.
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        task = asyncio.create_task(one(i, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    while pending:
        await asyncio.gather(*list(pending))
    return samples
