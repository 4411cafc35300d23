"""`make bench`: side-by-side ratios against the raw library or server, written to .bench/results.json."""
