"""Adapters: everything that touches the outside world (Kafka, MySQL, the SQLite analytics store, token
verification, bank-file parsers, exchange rates, webhook delivery, telemetry), behind the ports services use."""
