"""Topic creation for local brokers (in Azure, Event Hubs are created by infra/, not by the app)."""

from __future__ import annotations

import logging

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from shared.adapters.kafka.config import client_config
from shared.settings import Settings

log = logging.getLogger("budget.kafka.admin")


def topic_plan(settings: Settings) -> dict[str, int]:
    """Topic -> partitions. Transactions are keyed by user: partitions bound the storage parallelism."""
    return {
        settings.transactions_topic: 4,
        settings.dead_letter_topic: 1,
        settings.changes_topic: 4,
        settings.queries_topic: 4,
        settings.results_topic: 4,
        settings.alerts_topic: 1,
    }


def ensure_topics(settings: Settings, timeout_s: float = 15) -> None:
    admin = AdminClient(client_config(settings, role="admin"))
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    wanted = [
        NewTopic(t, num_partitions=n, replication_factor=1)
        for t, n in topic_plan(settings).items()
        if t not in existing
    ]
    for topic, future in admin.create_topics(wanted, operation_timeout=timeout_s).items() if wanted else []:
        try:
            future.result(timeout_s)
            log.info("created topic %s", topic)
        except KafkaException as exc:
            if exc.args[0].code() != exc.args[0].TOPIC_ALREADY_EXISTS:
                raise
