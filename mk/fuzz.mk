# Proofs under bad input (issue 6): HTTP fuzzing, the authorization matrix, poison streams. Each brings up
# its own stack (a private Tansu, a scratch MariaDB database, the app in-process) and prints its figures.
.PHONY: fuzz authz poison

FUZZ_EXAMPLES ?= 150

fuzz: install ## schemathesis against /api/openapi.json: no 5xx, every answer as documented; prints the counts
	$(BIN)/budget dev-deps
	$(BIN)/python -m proofs.fuzz --examples $(FUZZ_EXAMPLES)

authz: install ## every auth failure and cross-user access, over HTTP and Kafka queries; prints the matrix
	$(BIN)/budget dev-deps
	$(BIN)/python -m proofs.authz

poison: install ## malformed/oversized/wrong-schema messages on every consumed topic; DLT counts, pace ratio
	$(BIN)/budget dev-deps
	$(BIN)/python -m proofs.poison
