"""Kafka adapters: client configuration, the acknowledged publisher, dead letters."""
