"""Text views of a sequence run (``vaekit plot RUN KIND`` prints them and writes
``RUN/plots/KIND.txt``): Bowman et al.'s homotopies, reconstructions and samples."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from vaekit.errors import ConfigError
from vaekit.plots.run import PlotRun

#: name -> (fn(run, **options) -> text, description)
TEXT_KINDS: dict[str, tuple[Callable[..., str], str]] = {}


def _text_kind(name: str, description: str) -> Callable:
    def deco(fn: Callable[..., str]) -> Callable[..., str]:
        TEXT_KINDS[name] = (fn, description)
        return fn

    return deco


@_text_kind("interpolation", "greedy decodes on the path between two sequences (--from, --to)")
def homotopy_text(
    run: PlotRun,
    source: str | None = None,
    target: str | None = None,
    steps: int = 5,
    spherical: bool = False,
    indices: str | None = None,
) -> str:
    """The homotopy of Bowman et al. (2016, Table 8): the two sequences' posterior means
    and ``steps`` evenly spaced codes between them, each decoded greedily. The ends are
    ``--from``/``--to`` texts, or two examples of the split (``--indices i,j``; default the
    first two)."""
    if steps < 2:
        raise ConfigError(f"--steps must be >= 2, got {steps}")
    if (source is None) != (target is None):
        raise ConfigError("give both --from and --to (two sequences)")
    if source is None:
        i, j = _two_indices(indices)
        texts = run.model.to_text(run.inputs(max(i, j) + 1)[[i, j]])
        source, target = texts
    path = run.model.homotopy(source, target, steps, spherical)
    lines = [f"from: {source}"]
    lines += [f"{k:>3}  {s}" for k, s in enumerate(path)]
    lines.append(f"  to: {target}")
    return "\n".join(lines)


@_text_kind("reconstructions", "inputs and the greedy decodes of their posterior means")
def reconstructions_text(run: PlotRun, n: int = 10, texts: Sequence[str] | None = None) -> str:
    """Each input over its reconstruction; the inputs are ``texts`` (``--text``, repeated)
    or the split's first ``n`` sequences."""
    model = run.model
    if texts:
        inputs = list(texts)
    else:
        if n < 1:
            raise ConfigError(f"-n must be >= 1, got {n}")
        inputs = model.to_text(run.inputs(n))
    outputs = model.reconstruct_text(inputs)
    return "\n".join(f"  in: {a}\n out: {b}" for a, b in zip(inputs, outputs, strict=True))


@_text_kind("samples", "sequences decoded from prior draws")
def samples_text(run: PlotRun, n: int = 10, seed: int = 0, greedy: bool = False) -> str:
    """``n`` samples from the prior (``--seed``), one per line."""
    if n < 1:
        raise ConfigError(f"-n must be >= 1, got {n}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return "\n".join(run.model.sample_text(n, greedy=greedy))


def _two_indices(indices: str | None) -> tuple[int, int]:
    if indices is None:
        return 0, 1
    try:
        i, j = (int(v) for v in indices.split(","))
    except ValueError:
        raise ConfigError(f"--indices takes two integers, e.g. 12,40; got {indices!r}") from None
    if min(i, j) < 0:
        raise ConfigError("--indices must be >= 0")
    return i, j
