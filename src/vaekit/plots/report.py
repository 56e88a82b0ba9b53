"""``make_report``: every figure of a run and its numbers in one self-contained HTML file."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from vaekit.errors import ConfigError
from vaekit.io.run_dir import REPORT_FILE
from vaekit.io.safe import atomic_write_text
from vaekit.plots.make import applicable_kinds
from vaekit.plots.registry import PLOT_KINDS
from vaekit.plots.run import PlotRun
from vaekit.plots.text_kinds import TEXT_KINDS
from vaekit.render.report import render_report

TRAINING_COLUMNS = ("epoch", "train_loss", "train_recon", "train_kl", "val_loss", "val_recon",
                    "val_kl", "active_units", "beta", "lr", "seconds")  # fmt: skip


def _training_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first, best (lowest validation or training loss) and last epochs."""
    if not records:
        return []
    key = "val_loss" if "val_loss" in records[-1] else "train_loss"
    best = min(records, key=lambda r: r.get(key, float("inf")))
    rows = []
    for name, r in (("first", records[0]), (f"best {key}", best), ("last", records[-1])):
        rows.append({"": name, **{c: r[c] for c in TRAINING_COLUMNS if c in r}})
    return rows


def make_report(
    run_dir: str | Path,
    output: str | Path | None = None,
    split: str | None = None,
    device: str | torch.device = "cpu",
    source: str | None = None,
    target: str | None = None,
) -> Path:
    """Draw every figure that applies to the run and write ``RUN/report.html``.

    The file embeds the images (base64 PNG), the configuration, the training table and the
    evaluation results; it needs no server and no network. ``source``/``target`` choose the
    classes of the latent-arithmetic figure (default the first two classes).
    """
    run = PlotRun.open(run_dir, split, device)
    output = Path(output) if output is not None else run.run_dir / REPORT_FILE
    if output.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"the report is an HTML file; got {output.name!r}")
    kinds = applicable_kinds(run)
    figures, notes = [], []
    for kind in kinds:
        options: dict[str, Any] = {}
        if kind.name == "arithmetic":
            names = run.class_names
            options = {"source": source or names[0], "target": target or names[1]}
        t0 = time.perf_counter()
        png = kind.fn(run, run.plots_dir / f"{kind.name}.png", **options)
        seconds = time.perf_counter() - t0
        caption = f"{kind.description}. vaekit plot RUN {kind.name} ({seconds:.1f} s)"
        figures.append((kind.name, caption, png))
    texts = []
    is_sequence = run.model.modality == "sequence"
    if is_sequence:
        for name in ("samples", "reconstructions", "interpolation"):
            fn, description = TEXT_KINDS[name]
            text = fn(run)
            atomic_write_text(run.plots_dir / f"{name}.txt", text + "\n")
            texts.append((f"{name}: {description}", text))
    shown = {k.name for k in kinds} | ({"samples", "reconstructions", "interpolation"}
                                       if is_sequence else set())  # fmt: skip
    skipped = [k for k in PLOT_KINDS if k not in shown]
    if skipped:
        notes.append(f"Not applicable to this run: {', '.join(skipped)}.")
    m = run.model
    summary = [
        ("run", run.run_dir.name),
        ("model", m.registry_name),
        ("dataset", run.cfg.data.dataset),
        ("latent dim", m.latent_dim),
        ("parameters", sum(p.numel() for p in m.parameters())),
        ("epochs", len(run.records())),
        ("figures from split", run.split),
    ]
    html_text = render_report(
        f"vaekit report: {run.run_dir.name}",
        summary,
        run.cfg.to_yaml(),
        _training_rows(run.records()),
        run.evaluation(),
        figures,
        notes,
        texts,
    )
    atomic_write_text(output, html_text)
    return output
