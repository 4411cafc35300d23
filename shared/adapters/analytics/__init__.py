"""The SQLite analytics store: written by the processor, read by the analyzer."""
