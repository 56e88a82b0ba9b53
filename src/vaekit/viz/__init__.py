"""Deprecated name of :mod:`vaekit.render` (arrays drawn as figures and HTML), kept for one
release: ``import vaekit.viz`` and ``vaekit.viz.<module>`` still work, with a warning."""

import importlib
import sys
import warnings

from vaekit.render import *  # noqa: F403
from vaekit.render import __all__ as __all__

warnings.warn("vaekit.viz is now vaekit.render; the old name will be removed in the next release",
              DeprecationWarning, stacklevel=2)  # fmt: skip

for _name in ("bars", "curves", "figure", "grid", "report", "scatter", "tiles"):
    sys.modules[f"{__name__}.{_name}"] = importlib.import_module(f"vaekit.render.{_name}")
