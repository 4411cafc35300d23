"""Use cases, one module per microservice (receiver, storage, processor, analyzer) and per feature they share
(alerts, imports, webhooks, rates). Their collaborators are handed in by the composition root (shared/bootstrap.py)."""
