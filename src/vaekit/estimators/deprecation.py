"""Names the estimators renamed, still accepted for one release with a warning."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from vaekit.errors import ConfigError


def warn_renamed(old: str, new: str, stacklevel: int = 3) -> None:
    """A ``DeprecationWarning``: ``old`` is now ``new``."""
    warnings.warn(f"{old} is deprecated and will be removed in the next release; use {new}",
                  DeprecationWarning, stacklevel=stacklevel)  # fmt: skip


def renamed_out(out: str | Path | None, run_dir: str | Path | None) -> str | Path | None:
    """``out``, or the value of the deprecated ``run_dir=`` keyword of ``fit``."""
    if run_dir is None:
        return out
    warn_renamed("fit(run_dir=...)", "fit(out=...)", stacklevel=4)
    if out is not None:
        raise ConfigError("give out= only (run_dir= is its deprecated name)")
    return run_dir


def renamed_seed(cls: type, random_state: Any, deprecated: dict[str, Any]) -> Any:
    """``random_state``, or the value of the deprecated ``seed=`` keyword of ``cls``."""
    unknown = set(deprecated) - {"seed"}
    if unknown:
        raise TypeError(f"{cls.__name__}() got an unexpected keyword argument "
                        f"{sorted(unknown)[0]!r}")  # fmt: skip
    if "seed" in deprecated:
        warn_renamed(f"{cls.__name__}(seed=...)", "random_state=...", stacklevel=4)
        return deprecated["seed"]
    return random_state


class RenamedSeedAndParams:
    """``est.seed`` and ``est.params()``, the names :class:`~vaekit.tabular.Synthesizer`
    and :class:`~vaekit.recsys.Recommender` had before ``random_state`` and ``get_params``
    (kept for one release, with a warning)."""

    random_state: Any

    @property
    def seed(self) -> Any:
        """Deprecated: use ``random_state``."""
        warn_renamed(f"{type(self).__name__}.seed", "random_state")
        return self.random_state

    def params(self) -> dict[str, Any]:
        """Deprecated: use ``get_params()``."""
        warn_renamed(f"{type(self).__name__}.params()", "get_params()")
        return self.get_params(deep=False)  # type: ignore[attr-defined]
