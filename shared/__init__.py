"""The budgeting service as Azure installs it: domain (pure rules), services (one per microservice), adapters
(Kafka, MySQL, SQLite, identity, bank files, rates, webhooks, telemetry), the settings and the composition root."""
