"""``vaekit recommend fit|evaluate|top-k``: recommendation from implicit feedback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from vaekit.cli.options import (
    DEFAULT_DEVICE,
    Device,
    Quiet,
    Threads,
    apply_threads,
    check_out_dir,
    emit_result,
    out_dir_option,
    parse_hidden,
    result_console,
    seed_option,
    stderr_console,
)
from vaekit.errors import ConfigError

app = typer.Typer(help="Recommendation from clicks: Mult-VAE, Mult-DAE, EASE, popularity "
                  "under the strong-generalization protocol.", no_args_is_help=True)  # fmt: skip
EVALUATION_JSON = "evaluation.json"
MOVIELENS = ("ml-100k", "ml-1m", "ml-20m")


@app.command("fit")
def fit_command(
    log: str = typer.Argument(
        None, help="Interaction log: CSV/TSV with user,item[,rating] (or a MovieLens directory)."
    ),
    out: Path = out_dir_option("of the fitted recommender.", default=...),
    dataset: str = typer.Option(
        None, "--dataset", help="ml-100k | ml-1m | ml-20m instead of LOG (from --data-dir or "
        "$VAEKIT_DATA_DIR)."),  # fmt: skip
    data_dir: Path = typer.Option(None, "--data-dir", help="Where the --dataset copy lies."),
    model: str = typer.Option(
        "mult-vae", "--model", help="mult-vae | mult-dae | ease | popularity."
    ),
    user_col: str = typer.Option(None, "--user-col", help="User column: name or 0-based index."),
    item_col: str = typer.Option(None, "--item-col", help="Item column: name or 0-based index."),
    rating_col: str = typer.Option(None, "--rating-col", help="Rating column: name or index."),
    min_rating: float = typer.Option(
        None, "--min-rating", help="Count interactions rated >= this as clicks [default: 4 "
        "when the ratings are 0-5 stars (Mult-VAE's protocol, as for --dataset), else all]."),
    min_user_items: int = typer.Option(5, "--min-user-items", help="Fewest items per user."),
    heldout_users: int = typer.Option(
        None, "--heldout-users", help="Validation users, and as many test users [default: 10% "
        "each]."),  # fmt: skip
    epochs: int = typer.Option(200, "--epochs", help="Training epochs (the paper: 200)."),
    batch_size: int = typer.Option(500, "--batch-size", help="Users per batch (the paper: 500)."),
    lr: float = typer.Option(1e-3, "--lr", help="Adam learning rate."),
    hidden: str = typer.Option(
        None, "--hidden", help="Encoder hidden widths, e.g. 600 (mult-vae) or '' for none "
        "[default: the paper's: 600 for mult-vae, none for mult-dae]."),  # fmt: skip
    latent_dim: int = typer.Option(None, "--latent-dim", help="Code size [default: 200]."),
    dropout: float = typer.Option(0.5, "--dropout", help="Input dropout while training."),
    anneal_cap: float = typer.Option(0.2, "--anneal-cap", help="Mult-VAE's largest KL weight."),
    total_anneal_steps: int = typer.Option(
        200_000, "--total-anneal-steps", help="Updates over which the KL weight reaches its cap."
    ),
    early_stopping: int = typer.Option(
        0, "--early-stopping", help="Stop after this many epochs without a better validation "
        "NDCG@100 (0: never)."),  # fmt: skip
    seed: Annotated[int, seed_option("Seed of the split and the training.")] = 98765,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Fit a recommender to LOG (or --dataset) and save it to --out."""
    from vaekit.data.interactions import (
        movielens_path,
        read_interactions,
        resolve_min_rating,
        threshold_note,
    )
    from vaekit.io.run import write_run_json
    from vaekit.recsys import Recommender

    console = stderr_console()
    if (log is None) == (dataset is None):
        raise ConfigError("give either an interaction LOG file or --dataset (e.g. ml-100k)")
    if dataset is not None and dataset not in MOVIELENS:
        raise ConfigError(f"unknown --dataset {dataset!r}; choose one of {', '.join(MOVIELENS)} "
                          "or give a LOG file")  # fmt: skip
    check_out_dir(out, console)
    apply_threads(threads, quiet, console)
    source = movielens_path(dataset, data_dir) if dataset else Path(log)
    entries = read_interactions(source, user_col, item_col, rating_col)
    note = threshold_note(entries, resolve_min_rating(entries, "auto" if min_rating is None
                                                      else min_rating))  # fmt: skip
    if note:
        stderr_console(quiet).print(f"[yellow]note:[/] {note}", soft_wrap=True, highlight=False)
    widths = None if hidden is None else parse_hidden(hidden)
    rec = Recommender(model=model, epochs=epochs, batch_size=batch_size, lr=lr,
                      hidden=widths, latent_dim=latent_dim, dropout=dropout,
                      anneal_cap=anneal_cap, total_anneal_steps=total_anneal_steps,
                      early_stopping=early_stopping,
                      min_rating="auto" if min_rating is None else min_rating,
                      min_user_items=min_user_items, heldout_users=heldout_users, random_state=seed,
                      device=device, verbose=not quiet)  # fmt: skip
    # where the log came from: what `vaekit resume` reads again
    write_run_json(out, "recommender", data={
        "path": str(Path(source).resolve()), "dataset": dataset,
        "columns": {"user": user_col, "item": item_col, "rating": rating_col}})  # fmt: skip
    rec.fit(entries, out=out)
    split = rec.split_
    assert split is not None
    val = rec.val_scores_
    best = f"; validation NDCG@100 {max(v for k, v in val.items() if k != 'best_epoch'):.4f}" \
        if val else ""  # fmt: skip
    console.print(f"{model}: {len(split.train_rows)} training users, {len(split.val_rows)} "
                  f"validation and {len(split.test_rows)} test users, {len(split.items)} items"
                  f"{best}; fitted in {rec.fit_seconds_:.1f} s; saved to {out}",
                  soft_wrap=True)  # fmt: skip
    emit_result(out)


@app.command("evaluate")
def evaluate_command(
    run: Path = typer.Argument(..., help="A `vaekit recommend fit` run directory."),
    users: str = typer.Option("test", "--users", help="test | val: whose held-out items."),
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """NDCG@100, Recall@20 and Recall@50 of RUN on its held-out users (a table on stdout,
    also written to RUN/evaluation.json)."""
    from vaekit.io.safe import atomic_write_text
    from vaekit.recsys import Recommender

    apply_threads(threads, quiet)
    rec = Recommender.load(run, device=device)
    result = rec.evaluate(users)
    atomic_write_text(run / EVALUATION_JSON, json.dumps(
        {"users": users, "model": rec.model, **result}, indent=2))  # fmt: skip
    table = RichTable(title=f"{rec.model} on {result['users']} {users} users")
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column("std. error", justify="right")
    for name in ("ndcg@100", "recall@20", "recall@50"):
        table.add_row(name, f"{result[name]:.4f}", f"{result[name + '_se']:.4f}")
    result_console().print(table)


@app.command("top-k")
def top_k_command(
    run: Path = typer.Argument(..., help="A `vaekit recommend fit` run directory."),
    user: str = typer.Option(None, "--user", help="A user id of the log."),
    items: str = typer.Option(None, "--items", help="A new user's items: i1,i2,..."),
    k: int = typer.Option(10, "-k", help="How many items."),
    include_seen: bool = typer.Option(
        False, "--include-seen", help="Rank the items the user has seen too (by default every "
        "item --user rated in the log, whatever the rating, or the --items, is left out)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """The top K unseen items for --user U, or for a new user given by --items (with their
    titles when the log came with an item file, e.g. MovieLens' u.item)."""
    import re
    import warnings

    from vaekit.recsys import Recommender
    from vaekit.recsys.recommender import SEEN_FALLBACK

    if (user is None) == (items is None):
        raise ConfigError("give either --user U or --items i1,i2,...")
    apply_threads(threads, quiet)
    rec = Recommender.load(run, device=device)
    query = user if user is not None else [i.strip() for i in items.split(",") if i.strip()]
    if user is not None and not include_seen and rec.seen_ is None:
        stderr_console(quiet).print(f"[yellow]note:[/] {SEEN_FALLBACK}", soft_wrap=True,
                                    highlight=False)  # fmt: skip
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=re.escape(SEEN_FALLBACK))  # said above
        top = rec.recommend(query, k, exclude_seen=not include_seen)
    titles = [rec.title(i) for i, _ in top]
    if as_json:
        emit_result(json.dumps([{"item": i, **({"title": t} if t is not None else {}),
                                 "score": s} for (i, s), t in zip(top, titles, strict=True)]))
        return
    who = f"user {user}" if user is not None else f"a new user with {len(query)} items"
    seen = ", seen items included" if include_seen else ""
    table = RichTable(title=f"top {len(top)} for {who}{seen}")
    table.add_column("rank", justify="right")
    table.add_column("item")
    with_titles = any(t is not None for t in titles)
    if with_titles:
        table.add_column("title")
    table.add_column("score", justify="right")
    for r, ((item, score), title) in enumerate(zip(top, titles, strict=True), 1):
        cells = [str(r), item, *([title or ""] if with_titles else []), f"{score:.4f}"]
        table.add_row(*cells)
    result_console().print(table)
