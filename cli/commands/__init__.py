"""Service-specific `budget` commands; each module exposes `register(app)`."""
