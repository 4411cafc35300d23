"""Run every benchmark, print the ratios, write .bench/results.json."""

from __future__ import annotations

import importlib
import json
import sys
import time

from bench.common import RESULTS, save

SUITES = ("bench.ingest", "bench.processor", "bench.analyzer", "bench.alerts", "bench.imports")


def main() -> int:
    results: dict = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    only = set(sys.argv[1:])
    for name in SUITES:
        if only and name.rsplit(".", 1)[1] not in only:
            continue
        try:
            suite = importlib.import_module(name)
        except ModuleNotFoundError:
            print(f"{name}: not present, skipped")
            continue
        print(f"== {name}")
        suite.run(results)
        save(results)
    print(json.dumps(results, indent=2, sort_keys=True))
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
