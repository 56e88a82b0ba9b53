"""The ``vaekit`` application and its entry point with one-line error reporting."""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer.exceptions import TyperException

from vaekit.cli import (
    anomaly,
    evaluate,
    explore,
    impute,
    models,
    molecules,
    plot,
    recommend,
    report,
    resume,
    sample,
    sweep,
    synth,
    timeseries,
    train,
    train_prior,
)
from vaekit.cli.hints import error_message
from vaekit.errors import VaekitError

app = typer.Typer(
    name="vaekit",
    help="Variational autoencoders on PyTorch: train, sample, evaluate, plot, report, "
    "detect anomalies, generate molecules, synthesize tables, recommend items, impute and "
    "generate time series.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help as written: no markup, no type placeholders
)
app.command("train")(train.train_command)
app.command("train-prior")(train_prior.train_prior_command)
app.command("resume")(resume.resume_command)
app.command("sample")(sample.sample_command)
app.command("evaluate")(evaluate.evaluate_command)
app.command("sweep", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    sweep.sweep_command
)
app.command("plot")(plot.plot_command)
app.command("report")(report.report_command)
app.command("models")(models.models_command)
app.command("explore")(explore.explore_command)
app.add_typer(anomaly.app, name="anomaly")
app.add_typer(molecules.app, name="molecules")
app.add_typer(synth.app, name="synth")
app.add_typer(impute.app, name="impute")
app.add_typer(recommend.app, name="recommend")
app.add_typer(timeseries.app, name="timeseries")


def _name_arguments(command: Any) -> None:
    """Show arguments as ``RUN``, ``DATA`` in usage lines (not ``{run}``)."""
    for param in command.params:
        if param.param_type_name == "argument" and param.metavar is None and param.name:
            name = param.name.upper() + ("..." if param.nargs != 1 else "")
            usage = name if param.required else f"[{name}]"
            param.metavar = param.name.upper()
            param.get_usage_pieces = lambda ctx, usage=usage: [usage]  # type: ignore[method-assign]
    for sub in getattr(command, "commands", {}).values():
        _name_arguments(sub)


def _subcommand(args: list[str]) -> str | None:
    """The subcommand named in ``args`` (the first word that is not an option)."""
    return next((a for a in args if not a.startswith("-")), None)


#: the width of output that goes to no terminal (a file, a pipe, CI logs): wide enough that
#: notes, warnings and table titles are never wrapped
UNWRAPPED_COLUMNS = 4096


@contextmanager
def _unwrapped_when_piped() -> Iterator[None]:
    """Lines are not wrapped at 80 columns when no standard stream is a terminal (rich's
    default there); ``COLUMNS`` set by the user wins. The environment is restored after."""
    streams = (sys.stdin, sys.stdout, sys.stderr)
    piped = not any(getattr(s, "isatty", lambda: False)() for s in streams if s is not None)
    if not piped or "COLUMNS" in os.environ:
        yield
        return
    os.environ["COLUMNS"] = str(UNWRAPPED_COLUMNS)
    try:
        yield
    finally:
        os.environ.pop("COLUMNS", None)


def _no_such_option(e: Any) -> str:
    """``No such option: --bogus`` with a suggestion only when one is close to what was
    typed (click compares with the dashes, so any long option looked close)."""
    ctx = e.ctx
    names = [o for p in (ctx.command.params if ctx else []) for o in (*p.opts, *p.secondary_opts)]
    typed = e.option_name.lstrip("-")
    close = difflib.get_close_matches(typed, [n.lstrip("-") for n in names], n=3, cutoff=0.6)
    options = [n for n in names if n.lstrip("-") in close]
    message = f"No such option: {e.option_name}"
    return message + (f"; did you mean {' or '.join(options)}?" if options else "")


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors print one line on stderr and exit with status 2."""
    args = sys.argv[1:] if argv is None else argv
    with _unwrapped_when_piped():
        _run(args)


def _run(args: list[str]) -> None:
    command = typer.main.get_command(app)
    _name_arguments(command)
    try:
        rv = command.main(args, prog_name="vaekit", standalone_mode=False)
    except VaekitError as e:
        print(f"vaekit: error: {error_message(e, _subcommand(args))}", file=sys.stderr)
        sys.exit(getattr(e, "exit_code", 2))
    except TyperException as e:
        if type(e).__name__ == "NoSuchOption" and hasattr(e, "option_name"):
            message = _no_such_option(e)
        else:
            message = e.format_message() if hasattr(e, "format_message") else str(e)
        ctx = getattr(e, "ctx", None)
        where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        if message:
            print(f"vaekit: error: {message}{where}", file=sys.stderr)
        sys.exit(getattr(e, "exit_code", 2) or 2)
    except KeyboardInterrupt:
        print("vaekit: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(rv if isinstance(rv, int) else 0)
