"""vaekit: variational autoencoders on PyTorch.

Examples
--------
>>> import vaekit
>>> run = vaekit.fit(vaekit.Config())          # doctest: +SKIP
>>> model = vaekit.load(run)                   # doctest: +SKIP
>>> images = model.sample(64)                  # doctest: +SKIP

The names below are imported on first use, so that ``import vaekit`` (and ``vaekit --help``)
does not load PyTorch until something needs it.
"""

import vaekit._omp  # noqa: F401, I001 (before torch loads: see the module)

import importlib
import sys
import types
from typing import Any

from vaekit._version import __version__ as __version__

#: public name -> the module that defines it
_EXPORTS = {
    **dict.fromkeys(("Config", "DataConfig", "ModelConfig", "TrainConfig"), "vaekit.config"),
    **dict.fromkeys(
        ("ConfigError", "DataError", "ModelFileError", "TrainingError", "VaekitError"),
        "vaekit.errors",
    ),
    "evaluate_run": "vaekit.eval",
    "explore": "vaekit.explore",
    **dict.fromkeys(("load", "save_model"), "vaekit.io"),
    "Run": "vaekit.io.run",
    **dict.fromkeys(
        ("CVAE", "VAE", "BetaVAE", "create_model", "list_models", "register_model"),
        "vaekit.models",
    ),
    **dict.fromkeys(("make_plot", "make_report"), "vaekit.plots"),
    **dict.fromkeys(("Trainer", "fit", "resume", "sweep"), "vaekit.train"),
}
#: subpackages that are also public names: ``vaekit.train`` stays callable for one release
#: (``vaekit.train(cfg)`` warns and forwards to :func:`vaekit.fit`)
_PUBLIC_PACKAGES = ("train",)

__all__ = sorted([*_EXPORTS, *_PUBLIC_PACKAGES, "__version__"])


def _export(name: str) -> Any:
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    if name not in _SHADOWED:
        globals()[name] = value  # later lookups skip __getattr__
    return value


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return _export(name)
    try:  # a subpackage: vaekit.anomaly, vaekit.recsys, ...
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as e:
        if e.name != f"{__name__}.{name}":
            raise
    raise AttributeError(f"module 'vaekit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


# ``vaekit.explore`` is a function named like its subpackage. Python binds a subpackage to
# its parent's attribute when it is first imported, which would hide the function; this
# property keeps the function, and ignores that binding.
_SHADOWED = ("explore",)


class _Module(types.ModuleType):
    explore = property(lambda self: _export("explore"), lambda self, value: None)


sys.modules[__name__].__class__ = _Module
