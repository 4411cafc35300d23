# The stack at 10,000,000 transactions (bench/scale.py): outside `make bench` and CI, since it takes about half an
# hour and most of the machine. Writes .bench/scale.json.
.PHONY: bench-scale

bench-scale: install ## processor and analyzer at 10M transactions over 100,000 users vs 1M; writes .bench/scale.json
	nice -n 10 $(BIN)/python -m bench.scale
