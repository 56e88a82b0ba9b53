"""``vaekit explore RUN``: the latent-space playground of a run, served locally."""

from __future__ import annotations

from pathlib import Path

import typer


def explore_command(
    run: Path = typer.Argument(..., help="A `vaekit train` run directory."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to serve on (loopback by "
                             "default; another address prints a warning)."),  # fmt: skip
    port: int = typer.Option(0, "--port", help="Port (0: a free one)."),
    split: str = typer.Option(None, "--split", help="Examples on the map: test | val | train "
                              "[default: test, else val]."),  # fmt: skip
    open_browser: bool = typer.Option(False, "--open/--no-open", help="Open a browser tab."),
) -> None:
    """Serve a live page where you drag through RUN's latent space (Ctrl-C stops it)."""
    from vaekit.explore import explore

    if not 0 <= port <= 65535:
        from vaekit.errors import ConfigError

        raise ConfigError(f"--port must be in [0, 65535], got {port}")
    explore(run, host=host, port=port, split=split, open_browser=open_browser)
