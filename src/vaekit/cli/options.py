"""The options every ``vaekit`` command spells the same way, and the helpers behind them.

Conventions (the README's "Command line" section lists them for users):

- ``--out DIR`` only ever names a run directory (see :func:`check_out_dir`);
- ``-o/--output FILE`` only ever names a file; a folder on its path that does not exist is
  created, with a note saying so (:func:`make_output_folder`);
- ``-n/--num`` is a count;
- a command that computes takes ``--seed`` (where it draws random numbers),
  ``--device auto|cpu|cuda`` (default ``auto``), ``--threads`` and ``-q/--quiet``;
- results (the paths written, or the table/CSV/JSON asked for) go to stdout
  (:func:`emit_result`), prose and progress bars to stderr (:func:`stderr_console`,
  :func:`progress_bar`).

Nothing here imports PyTorch: ``vaekit --help`` must stay fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from vaekit.config import parse_hidden as parse_hidden  # re-exported: the one parser

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

__all__ = [
    "DEFAULT_DEVICE",
    "Device",
    "Num",
    "OutDir",
    "OutputFile",
    "Quiet",
    "Seed",
    "Threads",
    "apply_threads",
    "check_out_dir",
    "deprecated_alias",
    "device_option",
    "emit_result",
    "make_output_folder",
    "num_option",
    "out_dir_option",
    "output_option",
    "parse_hidden",
    "progress_bar",
    "result_console",
    "seed_option",
    "stderr_console",
]

#: the default of every ``--device``: CUDA when available, else the CPU
DEFAULT_DEVICE = "auto"
DEVICE_HELP = "auto | cpu | cuda (auto: cuda when available, else cpu)."
THREADS_HELP = "CPU threads, fixed. [default: the free cores, re-checked every second]"
QUIET_HELP = "No progress bar."
RUN_DIRECTORY = "Run directory"

T = TypeVar("T")


# ---------------------------------------------------------------------------- option factories
#: "no default given": the option goes into ``Annotated[...]`` and the parameter's default
_IN_ANNOTATED: Any = object()


def _option(default: Any, decls: tuple[str, ...], help: str, **kwargs: Any) -> Any:
    if default is _IN_ANNOTATED:
        return typer.Option(*decls, help=help, **kwargs)
    return typer.Option(default, *decls, help=help, **kwargs)


def out_dir_option(help: str = "to create.", default: Any = _IN_ANNOTATED, **kwargs: Any) -> Any:
    """``--out DIR``: a run directory; ``help`` follows the words "Run directory" unless it
    names one itself.

    Use it inside ``Annotated[Path, ...]``, or as the default (``default=...``: required).
    """
    text = help if RUN_DIRECTORY.lower() in help.lower() else f"{RUN_DIRECTORY} {help}"
    return _option(default, ("--out",), text, **kwargs)


def output_option(help: str = "File to write.", default: Any = _IN_ANNOTATED, **kwargs: Any) -> Any:
    """``-o/--output FILE``: a file the command writes (its folder is made when missing,
    with a note: :func:`make_output_folder`)."""
    kwargs.setdefault("callback", make_output_folder)
    return _option(default, ("-o", "--output"), help, **kwargs)


def make_output_folder(path: Path | None) -> Path | None:
    """The one rule for ``-o FILE`` whose folder does not exist: create it and say so on
    stderr (``note: created the folder out/figs for -o out/figs/a.png``)."""
    if path is None:
        return None
    folder = Path(path).parent
    if folder.is_dir():
        return path
    from vaekit.errors import ConfigError

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"-o {path}: cannot create the folder {folder} ({e.strerror})") from None
    stderr_console().print(
        f"note: created the folder {folder} for -o {path}", highlight=False, soft_wrap=True
    )
    return path


def num_option(help: str = "How many.", default: Any = _IN_ANNOTATED, **kwargs: Any) -> Any:
    """``-n/--num N``: a count."""
    return _option(default, ("-n", "--num"), help, **kwargs)


def seed_option(help: str = "Random seed.", default: Any = _IN_ANNOTATED, **kwargs: Any) -> Any:
    """``--seed N``."""
    return _option(default, ("--seed",), help, **kwargs)


def device_option(help: str = DEVICE_HELP, default: Any = _IN_ANNOTATED, **kwargs: Any) -> Any:
    """``--device auto|cpu|cuda``; default it to :data:`DEFAULT_DEVICE`."""
    return _option(default, ("--device",), help, **kwargs)


#: ``--out DIR``: a run directory (required unless the parameter has a default)
OutDir = Annotated[Path, out_dir_option()]
#: ``-o/--output FILE``
OutputFile = Annotated[Path, output_option()]
#: ``-n/--num N``
Num = Annotated[int, num_option()]
#: ``--seed N``
Seed = Annotated[int, seed_option()]
#: ``--device auto|cpu|cuda``: default it to :data:`DEFAULT_DEVICE`
Device = Annotated[str, device_option()]
#: ``--threads N`` (``None``: the free cores, following the load)
Threads = Annotated[int | None, typer.Option("--threads", help=THREADS_HELP)]
#: ``-q/--quiet``
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)]


def deprecated_alias(old: T | None, new: T, old_flag: str, new_flag: str) -> T:
    """The value of an option given under its old spelling ``old_flag`` (a hidden option),
    with a one-line note on stderr; otherwise ``new``.

    Declare the old spelling as ``typer.Option(None, OLD, hidden=True, help="Deprecated:
    use NEW.")`` next to the new one.
    """
    if old is None:
        return new
    stderr_console().print(
        f"note: {old_flag} is deprecated and will be removed; use {new_flag}",
        highlight=False, soft_wrap=True,
    )  # fmt: skip
    return old


# ---------------------------------------------------------------------------- parsing and checks
def check_out_dir(
    path: str | Path, console: Console | None = None, hint: str = "choose another --out"
) -> Path:
    """Apply the one "directory not empty" rule to the run directory ``path``.

    A missing or empty directory is fine. A directory left by a run stopped before its
    first checkpoint is emptied (with a note on stderr) so the run starts over. Anything
    else is refused.

    Raises
    ------
    ConfigError
        One line naming ``path``: a file, or a directory that is not empty.
    """
    from vaekit.io.run_dir import claim_run_dir

    path = Path(path)
    if claim_run_dir(path, hint):
        (console or stderr_console()).print(
            f"{path} held a run stopped before its first checkpoint; starting it over",
            highlight=False, soft_wrap=True,
        )  # fmt: skip
    return path


def apply_threads(threads: int | None, quiet: bool = False, console: Console | None = None) -> int:
    """Set PyTorch's CPU threads for a command (``None`` or 0: the free cores, following the
    load while it trains).

    While the command runs, a fixed count is also exported as ``OMP_NUM_THREADS``, so that
    a trainer started under it (an estimator's fit) keeps the count instead of following
    the load. With a count given (and not ``quiet``), warns when it oversubscribes the CPU.
    """
    import os

    import click

    from vaekit.train.threads import set_threads

    n = set_threads(threads, console or stderr_console(), warn=bool(threads) and not quiet)
    ctx = click.get_current_context(silent=True)
    if threads and ctx is not None:
        before = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = str(threads)

        def restore() -> None:
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before

        ctx.call_on_close(restore)
    return n


# ---------------------------------------------------------------------------- output
def emit_result(text: str | Path) -> None:
    """Print a result (a path written, a CSV/JSON line) on stdout."""
    typer.echo(str(text))


def result_console() -> Console:
    """The console for a result table a command exists to print (``vaekit evaluate``): stdout."""
    from rich.console import Console

    return Console()


def stderr_console(quiet: bool = False) -> Console:
    """The console for prose (notes, summaries, warnings): stderr; ``quiet`` drops it."""
    import io

    from rich.console import Console

    return Console(file=io.StringIO()) if quiet else Console(stderr=True)


def progress_bar(label: str, quiet: bool = False, transient: bool = True) -> Progress:
    """The progress bar of a command that draws its own (sampling, scoring): a bold
    ``label``, the bar and done/total, on stderr; ``quiet`` hides it."""
    from vaekit.progress import progress_bar as bar

    return bar(f"[bold]{label}", stderr_console(), quiet=quiet, transient=transient)
