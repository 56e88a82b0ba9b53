"""The quality and privacy report of a synthetic table: JSON, figures and one HTML page."""

from __future__ import annotations

import html
import json
import math
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.data.table import Table
from vaekit.io.safe import atomic_write_text
from vaekit.render.report import STYLE, html_table, image_tag
from vaekit.tabular.efficacy import ml_efficacy
from vaekit.tabular.privacy import privacy_report
from vaekit.tabular.quality import CONTINUOUS, cramers_v, discretize, quality_report


def association_matrix(table: Table) -> np.ndarray:
    """``(C, C)`` pairwise association: Pearson r for two continuous columns, Cramer's V
    (continuous columns in 10 bins) otherwise; 1 on the diagonal."""
    names = table.names
    m = np.eye(len(names))
    for (i, a), (j, b) in combinations(enumerate(names), 2):
        ca, cb = table.types[a] in CONTINUOUS, table.types[b] in CONTINUOUS
        x, y = table.columns[a], table.columns[b]
        if ca and cb:
            ok = ~(np.isnan(x) | np.isnan(y))
            v = np.corrcoef(x[ok], y[ok])[0, 1] if ok.sum() > 1 and x[ok].std() and y[ok].std() \
                else np.nan  # fmt: skip
        else:
            xa = discretize(x) if ca else x
            yb = discretize(y) if cb else y
            _, ia = np.unique(np.array([str(v) for v in xa]), return_inverse=True)
            _, ib = np.unique(np.array([str(v) for v in yb]), return_inverse=True)
            counts = np.zeros((ia.max() + 1, ib.max() + 1))
            np.add.at(counts, (ia, ib), 1)
            v = cramers_v(counts)
        m[i, j] = m[j, i] = v
    return m


def _marginals_figure(real: Table, synth: Table, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = real.names
    cols = min(4, len(names))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        r, s = real.columns[name], synth.columns[name]
        if real.types[name] in CONTINUOUS:
            r, s = r[~np.isnan(r)], s[~np.isnan(s)]
            lo, hi = np.quantile(r, [0.005, 0.995]) if len(r) else (0.0, 1.0)
            bins = np.linspace(lo, hi if hi > lo else lo + 1, 31)
            ax.hist(np.clip(r, lo, hi), bins, density=True, alpha=0.5, label="real")
            ax.hist(np.clip(s, lo, hi), bins, density=True, alpha=0.5, label="synthetic")
        else:
            levels = sorted({str(v) for v in r}, key=lambda v: -np.sum(r.astype(str) == v))[:12]
            fr = [np.mean(r.astype(str) == v) for v in levels]
            fs = [np.mean(s.astype(str) == v) for v in levels]
            at = np.arange(len(levels))
            ax.bar(at - 0.2, fr, 0.4, label="real")
            ax.bar(at + 0.2, fs, 0.4, label="synthetic")
            ax.set_xticks(at, [v[:10] for v in levels], rotation=60, fontsize=7)
        ax.set_title(name, fontsize=9)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _association_figure(real: Table, synth: Table, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mats = [association_matrix(real), association_matrix(synth)]
    n = len(real.names)
    fig, axes = plt.subplots(1, 2, figsize=(2 * max(4.0, 0.45 * n + 2), max(4.0, 0.45 * n + 1.5)))
    for ax, m, title in zip(axes, mats, ("real", "synthetic"), strict=True):
        im = ax.imshow(m, vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_xticks(range(n), real.names, rotation=90, fontsize=7)
        ax.set_yticks(range(n), real.names, fontsize=7)
        ax.set_title(title)
    fig.colorbar(im, ax=list(axes), shrink=0.8, label="Pearson r / Cramer's V")
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)


def build_report(
    synth: Table,
    train: Table,
    holdout: Table | None = None,
    test: Table | None = None,
    target: str | None = None,
    out_dir: str | Path | None = None,
    title: str = "Synthetic table report",
    extra: dict[str, Any] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Quality, ML efficacy and privacy of ``synth`` against the real ``train`` rows.

    ``holdout``: real rows the synthesizer never saw (the privacy baseline; without it the
    privacy section reports only synthetic-to-training distances). ``test`` and ``target``:
    ML efficacy (``test`` defaults to ``holdout``). With ``out_dir``, writes ``report.json``,
    ``report.html`` and the two figures there. Returns the JSON content.
    """
    n_hold = len(holdout) if holdout is not None else 0
    result: dict[str, Any] = {"rows": {"synthetic": len(synth), "train": len(train),
                                       "holdout": n_hold}}  # fmt: skip
    result.update(extra or {})
    result["quality"] = quality_report(train, synth)
    if target is not None:
        eval_on = test if test is not None else holdout
        if eval_on is None:
            raise ValueError("ML efficacy needs test rows or a holdout")
        result["ml_efficacy"] = ml_efficacy(train, eval_on, target, synth, seed=seed)
    if holdout is not None and len(holdout):
        result["privacy"] = privacy_report(synth, train, holdout, seed=seed)
    else:
        from vaekit.tabular.privacy import copy_share, dcr

        sub = synth.select(np.arange(min(len(synth), 2000)))
        d = dcr(sub, train)
        result["privacy"] = {"dcr_synthetic_median": float(np.median(d)),
                             "copies_synthetic": copy_share(synth, train)}  # fmt: skip
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        _marginals_figure(train, synth, out / "marginals.png")
        _association_figure(train, synth, out / "associations.png")
        slim = json.loads(json.dumps(result, default=_json_default))
        for key in ("dcr_synthetic", "dcr_holdout"):
            slim["privacy"].pop(key, None)
        atomic_write_text(out / "report.json", json.dumps(slim, indent=2))
        atomic_write_text(out / "report.html", _html(title, slim, out))
    return result


def _json_default(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    raise TypeError(f"not JSON: {type(v).__name__}")


def _html(title: str, r: dict[str, Any], out: Path) -> str:
    q, p = r["quality"], r["privacy"]
    summary = {"overall quality": q["score"], "column shapes": q["column_shapes"],
               "column pair trends": q["column_pair_trends"],
               "quality (all pairs)": q["score_all_pairs"], **r["rows"]}  # fmt: skip
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>", html_table([summary]),
             "<h2>Column shapes</h2>",
             html_table([{"column": k, "score": v} for k, v in q["shapes"].items()]),
             "<h2>Column pair trends</h2>",
             html_table([{"columns": " / ".join(x["columns"]), "metric": x["metric"],
                          "real association": x["real"], "counted": x["counts"],
                          "score": x["score"]} for x in q["pairs"]])]  # fmt: skip
    if "ml_efficacy" in r:
        e = r["ml_efficacy"]
        parts += ["<h2>Machine-learning efficacy</h2>",
                  html_table([{"target": e["target"], "metric": e["metric"],
                               "train on real": e["real"],
                               "train on synthetic": e.get("synthetic")}])]  # fmt: skip
    parts += ["<h2>Privacy</h2>", html_table([{k: v for k, v in p.items()
                                               if not isinstance(v, list)}])]  # fmt: skip
    figures = (
        ("marginals.png", "Marginals: real (training rows) vs synthetic"),
        ("associations.png", "Pairwise association, real vs synthetic"),
    )
    for name, caption in figures:
        parts.append(f"<figure>{image_tag(out / name, caption)}"
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")  # fmt: skip
    parts.append("</body></html>")
    return "\n".join(parts)
