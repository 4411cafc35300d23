"""Pure domain: money, transactions, budgets and the events that carry them. No I/O imports here."""
