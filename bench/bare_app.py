"""Baselines run under the same uvicorn settings as the receiver (one worker, httptools, uvloop).

`app`: a raw ASGI hello world, the floor of what the server can do. `create_publish()`: the receiver's irreducible
work with no framework: parse the JSON body, produce it with acks=all (the producer settings of
shared/adapters/kafka/config.py) and answer 202 once the broker acknowledged it. Delivery reports are served by a
poll task on the event loop while anything is in flight, as the project's publisher does.
"""

from __future__ import annotations

import asyncio

import orjson
from confluent_kafka import Producer

from shared.adapters.kafka.config import producer_config
from shared.settings import Settings

_JSON = [(b"content-type", b"application/json")]


async def _body(receive) -> bytes:
    chunks, more = [], True
    while more:  # read the body, as any POST handler must
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _answer(send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": _JSON})
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await _body(receive)
    await _answer(send, 202, b'{"status":"accepted"}')


def create_publish():
    """ASGI factory: the bare publishing endpoint, on the topic and broker named by the environment's settings."""
    settings = Settings()
    producer = Producer(producer_config(settings, role="bench-bare"))
    topic = settings.transactions_topic
    state = {"inflight": 0, "pump": None}

    async def pump() -> None:
        try:
            while state["inflight"]:
                producer.poll(0)
                await asyncio.sleep(0.0005)
        finally:
            state["pump"] = None

    async def publish(scope, receive, send):
        if scope["type"] != "http":
            return
        try:
            value = orjson.loads(await _body(receive))
        except orjson.JSONDecodeError:
            await _answer(send, 400, b'{"title":"not JSON"}')
            return
        # Keyed like the receiver's events (by user): the token's tail stands for the user here.
        key = next((v[-24:] for k, v in scope["headers"] if k == b"authorization"), b"")
        done = asyncio.get_running_loop().create_future()
        producer.produce(topic, orjson.dumps(value), key, on_delivery=lambda err, _m: done.set_result(err))
        state["inflight"] += 1
        if state["pump"] is None:
            state["pump"] = asyncio.ensure_future(pump())
        try:
            err = await done
        finally:
            state["inflight"] -= 1
        await _answer(send, 503 if err else 202, b'{"status":"accepted"}')

    return publish
