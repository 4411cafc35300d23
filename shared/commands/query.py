"""`budget query`: ask the analyzer over Kafka or HTTP (issue 4)."""

import typer


def register(app: typer.Typer) -> None:
    """Adds no command until the analyzer lands."""
