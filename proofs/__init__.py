"""Proofs under faults, bad input and load, as commands anyone can run (`python -m proofs.<name>`, `make <name>`).

fuzz: schemathesis against the OpenAPI document. chaos: ingest while the storage consumer is killed and
MariaDB restarts. outage: the broker stopped under load. load: a steady request rate, with latencies.
Each brings up its own stack with per-run names (a private Tansu, a scratch MariaDB database) and tears it down.
"""
