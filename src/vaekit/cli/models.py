"""``vaekit models``: the registered models, one line each."""

from __future__ import annotations

import typer


def models_command() -> None:
    """List the registered models."""
    from vaekit.models import list_models

    entries = list_models()
    width = max(len(e.name) for e in entries)
    for e in entries:
        typer.echo(f"{e.name:<{width}}  {e.description}")
