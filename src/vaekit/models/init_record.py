"""Constructor arguments recorded as a model's configuration.

:func:`record_init` wraps a class's ``__init__`` so that every call through the constructor
chain (``super().__init__(...)`` included) notes the named arguments it received, defaults
filled in. When the outermost constructor returns, the notes merge into one dictionary:

- an argument named by a class overrides the same name further up the chain (the value
  the caller chose, not the one the class passed on);
- arguments a class lists in ``fixed_arguments`` are set by that class itself (a parent's
  argument it passes on with its own value, or one of its own that it accepts only for a
  uniform signature), so they are left out for it and its parents;
- ``*args`` and ``**kwargs`` are never recorded themselves: what a class forwards through
  them is recorded by the parent that names it.

The result is JSON-serialisable (tuples become lists), so that ``type(model)(**config)``
rebuilds the model.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from typing import Any

#: instance attribute holding the notes while the constructor chain runs
_CALLS = "_init_calls"
#: instance attribute holding the merged configuration afterwards
RECORDED = "_init_arguments"
#: marks a wrapped ``__init__``
_MARK = "__records_arguments__"


def jsonable(value: Any) -> Any:
    """``value`` with tuples (and other sequences) as lists, mappings as dicts with string
    keys, and NumPy/PyTorch scalars as Python numbers; anything else unchanged."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    tolist = getattr(value, "tolist", None)  # NumPy arrays and scalars, tensors
    if callable(tolist):
        return jsonable(tolist())
    return value


def _named_arguments(sig: inspect.Signature, args: tuple, kwargs: dict) -> dict[str, Any] | None:
    """The named parameters of one call (``self`` and ``*``/``**`` parameters left out),
    defaults filled in, an integer given for a ``float`` parameter as a float; ``None``
    when the arguments do not fit the signature."""
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    named = {}
    for p in list(sig.parameters.values())[1:]:
        if p.kind in skip:
            continue
        value = bound.arguments[p.name]
        if p.annotation in (float, "float") and type(value) is int:
            value = float(value)
        named[p.name] = value
    return named


def _merge(calls: list[tuple[type, dict[str, Any] | None]]) -> dict[str, Any]:
    """One configuration from the notes of a constructor chain, outermost call first."""
    config: dict[str, Any] = {}
    fixed: set[str] = set()
    for owner, named in calls:
        fixed.update(getattr(owner, "fixed_arguments", ()))
        for name, value in (named or {}).items():
            if name not in config and name not in fixed:
                config[name] = jsonable(value)
    return config


def record_init(cls: type) -> None:
    """Wrap ``cls.__init__`` (when ``cls`` defines one) so that it records its arguments."""
    init = cls.__dict__.get("__init__")
    if init is None or getattr(init, _MARK, False):
        return
    sig = inspect.signature(init)

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        calls = self.__dict__.get(_CALLS)
        outermost = calls is None
        if outermost:
            calls = self.__dict__[_CALLS] = []
        calls.append((cls, _named_arguments(sig, (self, *args), kwargs)))
        try:
            init(self, *args, **kwargs)
        finally:
            if outermost:
                del self.__dict__[_CALLS]
        if outermost:
            self.__dict__[RECORDED] = _merge(calls)

    setattr(__init__, _MARK, True)
    cls.__init__ = __init__  # type: ignore[misc]


def recorded_config(obj: Any) -> dict[str, Any] | None:
    """The merged constructor arguments of ``obj`` (``None`` while still constructing)."""
    return obj.__dict__.get(RECORDED)


__all__ = ["jsonable", "record_init", "recorded_config"]
