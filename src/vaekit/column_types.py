"""The column types of a table and the ``--types`` option that overrides the inferred ones.

Kept free of PyTorch and NumPy, so that ``vaekit --help`` stays fast.
"""

from __future__ import annotations

from vaekit.errors import ConfigError

#: the types a table column may have
COLUMN_TYPES = ("numeric", "integer", "categorical", "boolean", "datetime")

#: the help of ``--types`` in every table command
TYPES_HELP = (
    "Column types instead of the inferred ones, e.g. age=integer,zip=categorical "
    f"(types: {', '.join(COLUMN_TYPES)})."
)


def parse_types(spec: str | None) -> dict[str, str] | None:
    """``--types "age=integer,zip=categorical"`` as ``{"age": "integer", "zip":
    "categorical"}`` (``None`` when not given); an unknown type is refused naming the
    choices."""
    if not spec:
        return None
    out = {}
    for item in spec.split(","):
        if "=" not in item:
            raise ConfigError(f"--types {item!r}: write column=type, e.g. zip=categorical")
        name, kind = (part.strip() for part in item.split("=", 1))
        if kind not in COLUMN_TYPES:
            raise ConfigError(
                f"--types {name}={kind}: unknown type; choose from {', '.join(COLUMN_TYPES)}"
            )
        out[name] = kind
    return out
