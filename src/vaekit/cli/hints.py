"""The one-line message of a vaekit error, with the hint worded in the command line's terms.

The library raises structured errors (:class:`~vaekit.errors.TrainingInterrupted` knows its
run directory, :class:`~vaekit.errors.TrainingError` the option that may help) and names no
command; this module turns them into what a user of ``vaekit`` types next.
"""

from __future__ import annotations

import shlex
from typing import Any

from vaekit.errors import TrainingError, TrainingInterrupted, VaekitError

#: commands whose flags include --lr and --set
_TUNABLE = ("train", "sweep")
#: what to try for an option named by ``TrainingError.hint_option``, per kind of command
_OPTION_HINTS = {
    "train.grad_clip": ("Try a lower --lr or --set train.grad_clip=5",
                        "Try a lower learning rate or a gradient clip (train.grad_clip)"),
}  # fmt: skip


def resume_hint(run_dir: object) -> str:
    """``"continue with: vaekit resume RUN"``."""
    return f"continue with: vaekit resume {shlex.quote(str(run_dir))}"


def error_message(error: VaekitError, command: str | None = None) -> str:
    """The error's line with its hint, for the ``vaekit`` subcommand ``command`` that
    raised it (``"train"``, ``"synth"``, ...; ``None``: unknown)."""
    text = str(error)
    if isinstance(error, TrainingInterrupted) and error.run_dir is not None:
        return f"{text}; {resume_hint(error.run_dir)}"
    if isinstance(error, TrainingError) and error.hint_option in _OPTION_HINTS:
        flags, plain = _OPTION_HINTS[error.hint_option]
        return f"{text}. {flags if command in _TUNABLE else plain}"
    return text


def thread_note(run: Any, threads: int | None) -> str | None:
    """One line for a run whose thread count follows the machine's load: such a
    continuation is not bit-identical to an uninterrupted fit when the load changed.
    ``None`` when the count is fixed (``--threads``, ``train.threads``, ``OMP_NUM_THREADS``)
    before and now, or when nothing was trained yet (the fit starts over)."""
    import os

    records = run.records()
    if not records:
        return None
    fixed_env = bool(os.environ.get("OMP_NUM_THREADS", "").strip())
    fixed_config = run.kind == "train" and bool(run.config().train.threads)
    auto_before = any(r.get("threads_auto") for r in records)
    auto_now = not (threads or fixed_env or fixed_config)
    if not (auto_before or auto_now):
        return None
    counts = sorted({int(r["threads"]) for r in records if "threads" in r})
    used = ", ".join(map(str, counts)) or "an automatic number of"
    how = ("trained with {} thread(s) chosen by the machine's load" if auto_before else
           "trained with {} thread(s) and now takes the count the machine's load leaves")
    return (f"{run.path} {how.format(used)}; the resumed fit is bit-identical to an "
            "uninterrupted one only with one fixed count throughout (--threads N)")
