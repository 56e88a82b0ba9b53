"""One clear error when the molecule extra is missing."""

from __future__ import annotations

from types import ModuleType

from vaekit.errors import ConfigError

INSTALL_HINT = "pip install '.[chem]' in the vaekit checkout"


def require_rdkit() -> ModuleType:
    """The ``rdkit.Chem`` module, or a :class:`ConfigError` saying how to install it."""
    try:
        from rdkit import Chem, RDLogger
    except ImportError as e:
        raise ConfigError(f"molecules need RDKit, which is not installed: {INSTALL_HINT}") from e
    RDLogger.DisableLog("rdApp.*")  # invalid samples are expected; MOSES silences them too
    return Chem


def require_fcd() -> ModuleType:
    """The ``fcd_torch`` package (ChemNet weights for the FCD), or a clear error."""
    try:
        import fcd_torch
    except ImportError as e:
        raise ConfigError(f"the FCD needs fcd_torch, which is not installed: {INSTALL_HINT}") from e
    return fcd_torch
