"""Ctrl-C and SIGTERM during training: held back while an epoch's end is being recorded."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from signal import SIGINT, SIGTERM
from typing import Any

from vaekit.errors import TrainingInterrupted


class Interrupts:
    """Ctrl-C (SIGINT) and SIGTERM as ``KeyboardInterrupt``, held back while the end of an
    epoch is being recorded, so that a completed epoch is always saved whole."""

    def __init__(self) -> None:
        self.critical = False
        self.pending = False

    def _handler(self, signum: int, frame: Any) -> None:
        if self.critical:
            self.pending = True
        else:
            raise KeyboardInterrupt

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Route both signals here while training (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self._handler) for sig in (SIGINT, SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold signals back inside the block; raise the held one after it."""
        self.critical = True
        try:
            yield
        finally:
            self.critical = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt


def interrupted(completed: int, epochs: int, run_dir: Path | None) -> TrainingInterrupted:
    """The error for a run stopped after ``completed`` of ``epochs`` epochs."""
    return TrainingInterrupted(
        epoch=completed + 1, saved_epoch=completed, epochs=epochs, run_dir=run_dir
    )
