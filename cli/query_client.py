"""A Kafka client of the analyzer: send query requests, collect their replies by request_id.

Replies come on a private topic `<results>.<client-id>` (created here when the broker allows it; Event Hubs
wants it made by infra/) or else on the shared results topic. The consumer starts at each partition's end,
read before any request is sent, so no reply can slip past it, and it needs no consumer group.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import orjson
from confluent_kafka import OFFSET_END, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from shared.adapters.kafka.config import client_config, producer_config
from shared.settings import Settings


class NoReply(TimeoutError):
    """The analyzer did not answer in time."""


def private_topic(settings: Settings, client_id: str) -> str:
    return f"{settings.results_topic}.{re.sub(r'[^A-Za-z0-9_-]', '-', client_id)[:100]}"


def _ensure(settings: Settings, topic: str, timeout_s: float) -> bool:
    admin = AdminClient(client_config(settings, role="query-admin"))
    if topic in admin.list_topics(timeout=timeout_s).topics:
        return True
    try:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(timeout_s)
    except KafkaException as exc:
        return exc.args[0].code() == exc.args[0].TOPIC_ALREADY_EXISTS
    return True


class QueryClient:
    def __init__(self, settings: Settings, *, client_id: str | None = None, timeout_s: float = 10) -> None:
        self.settings = settings
        self.reply_to = settings.results_topic
        if client_id is not None:
            wanted = private_topic(settings, client_id)
            if _ensure(settings, wanted, timeout_s):
                self.reply_to = wanted
        self._producer = Producer(producer_config(settings, role="query-client"))
        conf = client_config(settings, role="query-client")
        conf.update(
            {
                "group.id": f"query-client-{uuid.uuid4().hex}",  # never joined: partitions are assigned by hand
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,  # a reply is one message: hand it over at once
            }
        )
        self._consumer = Consumer(conf)
        meta = self._consumer.list_topics(self.reply_to, timeout=timeout_s).topics[self.reply_to]
        partitions = []
        for p in meta.partitions:
            _, high = self._consumer.get_watermark_offsets(TopicPartition(self.reply_to, p), timeout=timeout_s)
            partitions.append(TopicPartition(self.reply_to, p, high if high >= 0 else OFFSET_END))
        self._consumer.assign(partitions)
        self._replies: dict[str | None, list[dict[str, Any]]] = {}

    def send(self, name: str, params: dict[str, Any], *, token: str, request_id: str | None = None) -> str:
        request_id = request_id or str(uuid.uuid4())
        request = {"request_id": request_id, "reply_to": self.reply_to, "token": token}
        request["query"] = {"name": name, "params": params}
        self.send_raw(orjson.dumps(request), key=request_id.encode())
        return request_id

    def send_raw(self, value: bytes, *, key: bytes | None = None) -> None:
        """Any bytes at all on the queries topic (tests send malformed requests with it)."""
        self._producer.produce(self.settings.queries_topic, value, key)
        if self._producer.flush(self.settings.kafka_delivery_timeout_ms / 1000):
            raise NoReply("the broker did not take the request")

    def wait(self, request_id: str | None, timeout_s: float = 10) -> dict[str, Any]:
        """The reply to `request_id` (None: the next reply that could not name its request)."""
        deadline = time.monotonic() + timeout_s
        while not self._replies.get(request_id):
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoReply(f"no reply to request {request_id} within {timeout_s:g}s")
            m = self._consumer.poll(min(left, 0.5))
            if m is None or m.error():
                continue
            try:
                reply = orjson.loads(m.value())
            except orjson.JSONDecodeError:
                continue
            if isinstance(reply, dict):
                self._replies.setdefault(reply.get("request_id"), []).append(reply)
        return self._replies[request_id].pop(0)

    def ask(self, name: str, params: dict[str, Any], *, token: str, timeout_s: float = 10) -> dict[str, Any]:
        return self.wait(self.send(name, params, token=token), timeout_s)

    def close(self) -> None:
        self._consumer.close()
        self._producer.flush(5)
