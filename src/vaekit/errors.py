"""Exceptions raised by vaekit for problems a user can fix.

Every error carries one line that names the problem; the CLI prints that line and exits
with a non-zero status instead of showing a traceback.
"""

from __future__ import annotations


class VaekitError(Exception):
    """Base class of every user-facing vaekit error."""


class DataError(VaekitError, ValueError):
    """Input data is missing, corrupt, or has values the chosen model cannot take."""


class ConfigError(VaekitError, ValueError):
    """An unknown option, or an option with a bad value."""


class ModelFileError(VaekitError):
    """A model or checkpoint file is missing, corrupt, or not in the safetensors format."""


class TrainingError(VaekitError, RuntimeError):
    """Training cannot go on (for example the loss became NaN or infinite)."""


class TrainingInterrupted(VaekitError):
    """Training was stopped by Ctrl-C or SIGTERM; the message says what was saved."""

    exit_code = 130
