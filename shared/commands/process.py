"""`budget process`: the processor's on-demand sync (issue 3)."""

import typer


def register(app: typer.Typer) -> None:
    """Adds no command until the processor lands."""
