"""``vaekit sample``: draw from a trained model's prior."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
    progress_bar,
    seed_option,
)
from vaekit.errors import ConfigError

#: sequences decoded per batch
SAMPLE_BATCH = 2000
ARRAY_SUFFIXES, TEXT_SUFFIXES = (".png", ".npy", ".csv"), (".txt", ".smi")


def sample_command(
    run: Path = typer.Argument(..., help="Run directory."),
    n: Annotated[int, num_option("Number of samples.")] = 64,
    label: int = typer.Option(None, "--label", help="Class to generate (conditional models)."),
    output: Annotated[
        Path | None,
        output_option(
            ".png grid, or .npy/.csv values; sequences: a .txt/.smi file, one per line. "
            "[default: samples.png, samples.txt]"
        ),
    ] = None,
    seed: Annotated[int, seed_option()] = 0,
    temperature: float = typer.Option(1.0, "--temperature", help="Sequences: softmax temperature."),
    greedy: bool = typer.Option(
        False, "--greedy", help="Sequences: the most likely token each step."
    ),
    top_p: float = typer.Option(1.0, "--top-p", help="Sequences: nucleus sampling mass (1: off)."),
    max_length: int = typer.Option(
        None, "--max-length", help="Sequences: most tokens each. [default: the model's]"
    ),
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Sample from the prior and decode: an image grid (.png) or the values (.npy/.csv);
    for a sequence model, text lines (.txt/.smi)."""
    if n < 1:
        raise ConfigError(f"-n must be >= 1, got {n}")
    if output is not None and output.suffix.lower() not in (*ARRAY_SUFFIXES, *TEXT_SUFFIXES):
        raise ConfigError(f"output must end in .png, .npy or .csv (.txt or .smi for a sequence "
                          f"model), got {output.name!r}")  # fmt: skip
    import numpy as np
    import torch

    from vaekit.io.run import Run
    from vaekit.render import save_image_grid
    from vaekit.train import resolve_device

    apply_threads(threads, quiet)
    opened = Run.open(run, "train")
    model = opened.model(resolve_device(device))
    if model.modality == "sequence":
        if label is not None:
            raise ConfigError(f"--label applies to conditional models; {run} holds a "
                              f"{model.registry_name} sequence model")  # fmt: skip
        _sample_text(model, n, output or Path("samples.txt"), seed, temperature, greedy, top_p,
                     max_length, quiet)  # fmt: skip
        return
    output = output or Path("samples.png")
    suffix = output.suffix.lower()
    if suffix not in ARRAY_SUFFIXES:
        raise ConfigError(f"output must end in .png, .npy or .csv, got {output.name!r}")
    if label is not None and not model.conditional:
        raise ConfigError(f"model {model.registry_name!r} is not conditional; drop --label")
    if label is not None and not 0 <= label < model.num_classes:
        raise ConfigError(f"--label must be in [0, {model.num_classes}), got {label}")
    torch.manual_seed(seed)
    x = model.sample(n, labels=label).float().cpu()  # (n, *input_shape)
    if suffix == ".png":
        if len(model.input_shape) not in (2, 3):
            raise ConfigError("this model's data are not images; write .npy or .csv")
        save_image_grid(output, x.numpy())
    else:
        x = _in_data_units(opened, x)
        values = x.reshape(n, -1).numpy()
        output.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".npy":
            np.save(output, values.reshape(n, *model.input_shape))
        else:
            np.savetxt(output, values, delimiter=",", fmt="%.6g")
    emit_result(output)


def _in_data_units(run: Any, x: Any) -> Any:
    """Samples ``x`` mapped back to the data's units with the statistics saved at fit time
    (runs from before they were saved: the data is read again to recompute them)."""
    stats = run.data_stats()
    if "mean" in stats and "std" in stats:
        return x * stats["std"] + stats["mean"]
    cfg = run.config()
    if not cfg.data.standardize:
        return x
    from vaekit.data import build_data

    return build_data(cfg).unstandardize(x)


def _sample_text(
    model: Any, n: int, output: Path, seed: int, temperature: float, greedy: bool,
    top_p: float, max_length: int | None, quiet: bool = False,
) -> None:  # fmt: skip
    """Write ``n`` sampled sequences to ``output``, one per line, drawn in batches."""
    if output.suffix.lower() not in TEXT_SUFFIXES:
        raise ConfigError(f"a sequence model writes .txt or .smi files, got {output.name!r}")
    import torch

    from vaekit.io.safe import atomic_write_text
    from vaekit.models.seq_generation import check_decoding, sample_texts

    check_decoding(temperature, top_p, max_length or model.max_length)
    torch.manual_seed(seed)
    with progress_bar("sampling", quiet) as progress:
        task = progress.add_task("sample", total=n)
        lines = sample_texts(model, n, SAMPLE_BATCH, lambda k: progress.advance(task, k),
                             temperature=temperature, greedy=greedy, top_p=top_p,
                             max_length=max_length)  # fmt: skip
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output, "".join(line + "\n" for line in lines))
    emit_result(output)
