# Proofs under faults and load (issue 6): each brings up its own stack (private Tansu, scratch MariaDB
# database, the HTTP and trigger processes) and prints its figures. Run them one at a time on a small machine.
.PHONY: chaos outage load

chaos: install ## 20,000 transactions while storage is SIGKILLed 3x and MariaDB restarts (restarts the shared server!)
	$(BIN)/python -m proofs.chaos

outage: install ## the broker stopped 10 s under 200 req/s, restarted on the same port: 503 never 202, recovery
	$(BIN)/python -m proofs.outage

LOAD_RATE ?= 500
LOAD_SECONDS ?= 60
load: install ## a steady LOAD_RATE req/s for LOAD_SECONDS s: throughput, p50, p99, error rate
	@command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk
	$(BIN)/python -m proofs.load --rate $(LOAD_RATE) --seconds $(LOAD_SECONDS)
