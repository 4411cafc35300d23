"""The local runner and the `budget` command line: outside the product package, importing it, never imported by it."""
