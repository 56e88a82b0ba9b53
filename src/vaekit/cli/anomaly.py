"""``vaekit anomaly fit|score``: a VAE outlier detector from the command line."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from vaekit.cli.options import (
    DEFAULT_DEVICE,
    Device,
    Quiet,
    Threads,
    apply_threads,
    check_out_dir,
    deprecated_alias,
    emit_result,
    out_dir_option,
    output_option,
    parse_hidden,
    seed_option,
    stderr_console,
)

app = typer.Typer(
    help="Outlier detection with a VAE (scikit-learn / PyOD conventions).",
    no_args_is_help=True,
)


def _label_hint(det: Any, columns: tuple[str, ...]) -> str:
    """``; if 'y' holds the labels, pass --label-column y`` for an unfitted column named
    like a label, else ``""``."""
    from vaekit.anomaly.columns import LABEL_NAMES

    fitted = {str(n) for n in getattr(det, "feature_names_in_", [])}
    extra = [c for c in columns if c not in fitted and c.strip().lower() in LABEL_NAMES]
    if not fitted or not extra:
        return ""
    return f"; if {extra[0]!r} holds the labels, pass --label-column {extra[0]}"


@app.command("fit")
def fit_command(
    data: Path = typer.Argument(..., help="Training data: .csv, .npy, .npz or .mat."),
    out: Path = out_dir_option("of the fitted detector.", default=...),
    contamination: float = typer.Option(0.1, "--contamination", help="Expected outlier share."),
    scoring: str = typer.Option(
        "elbo", "--scoring",
        help="elbo | iwae | recon | elbo-complexity (minus PNG/zlib length).",
    ),
    old_score: str = typer.Option(
        None, "--score", hidden=True, help="Deprecated spelling of --scoring."
    ),
    latent_dim: int = typer.Option(
        None, "--latent-dim", help="Latent dimensions. [default: from the data's width]"
    ),
    hidden: str = typer.Option(None, "--hidden", help="Hidden widths, e.g. 64,64."),
    epochs: int = typer.Option(
        None, "--epochs", help="Training epochs. [default: about 3000 steps, 10-500 epochs]"
    ),
    batch_size: int = typer.Option(
        None, "--batch-size", help="Examples per step. [default: from the data's size]"
    ),
    beta: float = typer.Option(1.0, "--beta", help="Weight of the KL term."),
    n_models: int = typer.Option(
        None, "--n-models", help="VAEs in the ensemble (their scores are averaged)."
    ),
    data_kind: str = typer.Option("auto", "--data-kind", help="auto | tabular | image."),
    label_column: str = typer.Option(
        None, "--label-column", help="CSV column with 0/1 labels (ignored in fitting)."
    ),
    seed: Annotated[int, seed_option("Random seed (random_state).")] = 0,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Fit a detector on DATA and save it to --out (safetensors + JSON).

    A CSV's header names the features: 'vaekit anomaly score' then refuses a file whose
    columns are missing, extra, renamed or in another order. A 0/1 column named like a
    label (y, label, target, is_outlier, ...) left among the features gets a note.
    """
    from rich.markup import escape

    from vaekit.anomaly import VAEDetector
    from vaekit.anomaly.columns import LabelColumnWarning, label_like_columns, label_note
    from vaekit.anomaly.files import read_rows
    from vaekit.io.run import write_run_json

    scoring = deprecated_alias(old_score, scoring, "anomaly fit --score", "--scoring")
    console = stderr_console()
    check_out_dir(out, console)
    widths = parse_hidden(hidden) if hidden else None
    apply_threads(threads, quiet, console)
    x, y = read_rows(data, label_column)
    for column in label_like_columns(x.columns, x.values):
        console.print(f"[yellow]note:[/] {escape(label_note(column, option=True))}",
                      soft_wrap=True, highlight=False)  # fmt: skip
    det = VAEDetector(
        contamination=contamination, scoring=scoring, latent_dim=latent_dim, hidden=widths,
        epochs=epochs, batch_size=batch_size, beta=beta, data_kind=data_kind, random_state=seed,
        device=device, verbose=not quiet,
    )  # fmt: skip
    if n_models is not None:
        det.set_params(n_models=n_models)
    # where the rows came from: what `vaekit resume` reads again
    write_run_json(out, "detector", data={"path": str(data.resolve()),
                                          "label_column": label_column})  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelColumnWarning)  # the note above says it
        det.fit(x, out=out)
    console.print(
        f"fitted on {len(x)} rows ({det.data_kind_}, {det.epochs_} epochs); threshold "
        f"{det.threshold_:.4g} flags {int(det.labels_.sum())} training rows"
    )
    if y is not None:
        _print_report(console, y, det.decision_scores_, label_column, "training ")
    emit_result(out)


@app.command("score")
def score_command(
    detector: Path = typer.Argument(..., help="Directory written by 'vaekit anomaly fit'."),
    data: Path = typer.Argument(..., help="Rows to score: .csv, .npy, .npz or .mat."),
    output: Annotated[
        Path | None, output_option("CSV of scores. [default: print them on stdout]")
    ] = None,
    old_out: Path = typer.Option(
        None, "--out", hidden=True, help="Deprecated spelling of -o/--output."
    ),
    label_column: str = typer.Option(None, "--label-column", help="CSV column with 0/1 labels."),
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Score DATA (higher = more anomalous); with labels, print ROC-AUC and precision@n.

    DATA must have the columns the detector was fitted on, in the same order (checked by
    name when both files have a header, else by count).
    """
    from vaekit.anomaly import VAEDetector
    from vaekit.anomaly.columns import ColumnMismatchError
    from vaekit.anomaly.files import read_rows

    output = deprecated_alias(old_out, output, "anomaly score --out", "-o/--output")
    console = stderr_console()
    apply_threads(threads, quiet, console)
    det = VAEDetector.load(detector, device=device)
    x, y = read_rows(data, label_column)
    try:
        scores = det.decision_function(x)
    except ColumnMismatchError as e:
        raise ColumnMismatchError(f"{e}{_label_hint(det, x.columns)}") from None
    flags = (scores > det.threshold_).astype(int)
    rows = [[f"{s:.8g}", str(f)] for s, f in zip(scores, flags, strict=True)]
    if y is not None:
        rows = [r + [str(int(v))] for r, v in zip(rows, y, strict=True)]
    header = ["score", "outlier"] + (["label"] if y is not None else [])
    if output is not None:
        with output.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        emit_result(output)
    else:
        emit_result("\n".join(",".join(r) for r in [header, *rows]))
    console.print(f"{len(scores)} rows scored; {int(flags.sum())} above the threshold")
    if y is not None:
        _print_report(console, y, scores, label_column, "")


def _print_report(console: Any, y: Any, scores: Any, column: str | None, which: str) -> None:
    """ROC-AUC and precision@n against the labels; labels of one class only (a training set
    of inliers, the usual case) get a note instead: neither is defined."""
    import numpy as np

    from vaekit.anomaly.metrics import check_binary, detection_report

    y = check_binary(y, len(scores))
    if y.min() == y.max():
        kind = "outliers (1)" if y.min() == 1 else "inliers (0)"
        console.print(
            f"[yellow]note:[/] the labels in {column or 'y'!r} are all {kind}: no "
            f"{which}ROC-AUC or precision@n ({int(np.sum(y))} outliers in {len(y)} rows)",
            soft_wrap=True,
        )
        return
    rep = detection_report(y, scores)
    console.print(f"{which}ROC-AUC {rep['roc_auc']:.4f}, precision@n {rep['precision_at_n']:.4f}")
