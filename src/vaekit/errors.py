"""Exceptions raised by vaekit for problems a user can fix.

Every error carries one line that names the problem; the CLI prints that line and exits
with a non-zero status instead of showing a traceback. Errors that a command can help
with carry structured fields (an option to change, a run to continue) and name no
command: the CLI words the hint (:mod:`vaekit.cli.hints`).
"""

from __future__ import annotations

from pathlib import Path


class VaekitError(Exception):
    """Base class of every user-facing vaekit error."""


class DataError(VaekitError, ValueError):
    """Input data is missing, corrupt, or has values the chosen model cannot take."""


class ConfigError(VaekitError, ValueError):
    """An unknown option, or an option with a bad value."""


class ModelFileError(VaekitError):
    """A model or checkpoint file is missing, corrupt, or not in the safetensors format."""


class TrainingError(VaekitError, RuntimeError):
    """Training cannot go on (for example the loss became NaN or infinite).

    Attributes
    ----------
    hint_option
        A configuration key whose change may help (``"train.grad_clip"``), or ``None``.
    """

    def __init__(self, message: str, hint_option: str | None = None) -> None:
        super().__init__(message)
        self.hint_option = hint_option

    def __reduce__(self) -> tuple[object, ...]:  # picklable across processes
        return type(self), (str(self), self.hint_option)


class TrainingInterrupted(VaekitError):
    """Training was stopped by Ctrl-C or SIGTERM; the message says what was saved.

    Attributes
    ----------
    epoch
        The epoch being trained when the run stopped (1-based).
    saved_epoch
        The last epoch whose state is saved (0: none).
    epochs
        The epochs the run was to train in total.
    run_dir
        The run directory, or ``None`` when the run keeps no files.
    """

    exit_code = 130

    def __init__(
        self, epoch: int, saved_epoch: int, epochs: int, run_dir: Path | None = None
    ) -> None:
        self.epoch, self.saved_epoch, self.epochs = epoch, saved_epoch, epochs
        self.run_dir = Path(run_dir) if run_dir is not None else None
        super().__init__(self._text())

    def _text(self) -> str:
        head = f"interrupted in epoch {self.epoch}"
        if self.run_dir is None:
            return f"{head}; nothing was saved (no run directory)"
        if self.saved_epoch > 0:
            return f"{head}: saved the state after epoch {self.saved_epoch} of {self.epochs}"
        return f"{head}: no epoch had completed, nothing to keep"

    def __reduce__(self) -> tuple[object, ...]:  # picklable across processes
        return type(self), (self.epoch, self.saved_epoch, self.epochs, self.run_dir)
