"""``vaekit plot RUN KIND``: one figure of a run, written to ``RUN/plots/KIND.png``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vaekit.cli.options import (
    DEFAULT_DEVICE,
    Device,
    Quiet,
    Threads,
    apply_threads,
    emit_result,
    num_option,
    output_option,
    seed_option,
)

#: the figure names of ``vaekit.plots.PLOT_KINDS``, for the help text (a test keeps them
#: equal; importing the registry would load PyTorch for ``--help``)
PLOT_NAMES = (
    "reconstructions", "samples", "manifold", "interpolation", "traversal", "arithmetic",
    "molecules", "property-map", "properties", "curves", "latent-map", "kl",
)  # fmt: skip


def plot_command(
    run: Path = typer.Argument(..., help="Run directory."),
    kind: str = typer.Argument(..., help=f"Figure ({', '.join(PLOT_NAMES)})."),
    output: Annotated[Path | None, output_option("PNG path. [default: RUN/plots/KIND.png]")] = None,
    split: str = typer.Option(None, "--split", help="Split shown. [default: test, else val]"),
    n: Annotated[int | None, num_option("Examples, samples, rows or grid side.")] = None,
    steps: int = typer.Option(None, "--steps", help="Points per interpolation or traversal row."),
    source: str = typer.Option(
        None, "--from", help="Class to start from (name or index); sequences: the text."
    ),
    target: str = typer.Option(
        None, "--to", help="Class to go to (name or index); sequences: the text."
    ),
    texts: list[str] = typer.Option(
        None, "--text", help="Sequences: a text to reconstruct (repeat the flag for more)."
    ),
    indices: str = typer.Option(None, "--indices", help="Two example indices, e.g. 12,40."),
    spherical: bool = typer.Option(False, "--spherical", help="Spherical interpolation."),
    index: int = typer.Option(None, "--index", help="Traverse around this example's mean."),
    dims: str = typer.Option(
        None, "--dims", help="traversal: rows (most active first); manifold: the plane, e.g. 0,3."
    ),
    method: str = typer.Option(None, "--method", help="latent-map projection: pca | tsne | umap."),
    label: str = typer.Option(None, "--label", help="Class to decode with (conditional models)."),
    seed: Annotated[int | None, seed_option("Random seed (samples).")] = None,
    prop: str = typer.Option(
        None, "--property", help="property-map colour: qed | logp | sa | weight."
    ),
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Draw one figure of a run.

    Kinds: curves, reconstructions, samples, latent-map, manifold, interpolation, traversal,
    kl, arithmetic; for a model trained on SMILES also molecules, property-map, properties.
    For a sequence run, interpolation, reconstructions and samples are
    text, printed and written to RUN/plots/KIND.txt ('vaekit plot RUN interpolation
    --from "i went home ." --to "she is here ."'). Examples:
    'vaekit plot RUN interpolation --from 3 --to 8',
    'vaekit plot RUN arithmetic --from 4 --to 9', 'vaekit plot RUN traversal --index 7'.
    """
    options = dict(
        n=n, steps=steps, source=source, target=target, indices=indices, spherical=spherical,
        index=index, method=method, label=label, seed=seed, texts=texts or None, prop=prop,
    )  # fmt: skip
    if dims is not None:
        options["dims"] = dims if kind == "manifold" else _int(dims, "--dims")
    import vaekit.chem.plot_kinds  # noqa: F401 (the molecule figures register themselves)
    from vaekit.plots import make_plot
    from vaekit.train import resolve_device

    apply_threads(threads, quiet)
    path = make_plot(run, kind, output, split, resolve_device(device), **options)
    if path.suffix == ".txt":  # a sequence run's text view: show it
        emit_result(path.read_text().rstrip("\n"))
    emit_result(path)


def _int(text: str, flag: str) -> int:
    from vaekit.errors import ConfigError

    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{flag} takes an integer here, got {text!r}") from None
