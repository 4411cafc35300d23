"""Relational storage: the MySQL system of record (SQLite stands in for the embedded default)."""
