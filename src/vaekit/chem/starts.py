"""Starting molecules of a latent-space optimization read from a file, each with its line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vaekit.chem.molecules import is_valid
from vaekit.chem.reference_sets import read_smiles_with_lines
from vaekit.errors import DataError

#: invalid lines named in a message before "..."
SHOWN = 5


@dataclass
class StartFile:
    """The valid SMILES of a file and the lines that are not valid molecules."""

    path: Path
    smiles: list[str]  # valid, in file order
    lines: list[int]  # the file line of each valid SMILES
    invalid: list[tuple[int, str]]  # (line, text) of each non-blank line that is not valid

    def invalid_text(self) -> str:
        """``"line 3 'C1CC', line 5 'xyz'"`` for the first few invalid lines."""
        shown = ", ".join(f"line {n} {s!r}" for n, s in self.invalid[:SHOWN])
        return shown + (", ..." if len(self.invalid) > SHOWN else "")


def read_start_file(path: str | Path) -> StartFile:
    """The SMILES of ``path`` (``.smi``/``.txt`` or a CSV's ``SMILES`` column) that RDKit
    parses and sanitizes; blank lines are ignored. Raises :class:`DataError` naming the first
    invalid lines when none is valid."""
    path = Path(path)
    texts, numbers = read_smiles_with_lines(path)
    found = StartFile(path, [], [], [])
    for text, line in zip(texts, numbers, strict=True):
        text = text.strip()
        if not text:
            continue
        if is_valid(text):
            found.smiles.append(text)
            found.lines.append(line)
        else:
            found.invalid.append((line, text))
    if not found.smiles:
        if not found.invalid:
            raise DataError(f"{path}: no SMILES (the file is empty)")
        raise DataError(f"{path}: none of its {len(found.invalid)} SMILES is a valid molecule "
                        f"({found.invalid_text()})")  # fmt: skip
    return found
