"""A reversible transform of mixed-type tables to model inputs (CTGAN/TVAE style).

Numeric columns get mode-specific normalization (Xu et al. 2019): a Bayesian Gaussian mixture
per column (:mod:`vaekit.data.mixture1d`, scikit-learn's variational Dirichlet-process mixture
for one feature; at most ``max_modes`` components, those of weight above ``weight_threshold`` kept);
each value becomes its mode as a one-hot and ``alpha = (x - mu_k) / (4 sigma_k)`` for that mode
(the most responsible one, or the nearest when that leaves ``|alpha| > 0.99``; an outlier of
every mode keeps its ``|alpha| > 1``, so the inverse is exact, though a tanh output stops at 1).
Categorical and boolean columns become one-hots; beyond ``max_categories`` levels the rarest are
grouped into one "other" slot (the inverse draws a grouped level by its frequency). A column
with missing cells gets one more slot, "missing". The inverse keeps each numeric value within
the column's fitted range [min, max], rounds it to the column's observed precision (integers
to whole numbers, a column recorded with two decimals to two decimals: the fewest decimals
that write every fitted value exactly, at most 10) and leaves missing cells missing. The
fitted state is plain JSON; a state saved without the precision inverts without rounding.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.data.mixture1d import fit_mixture_1d
from vaekit.data.table import Table, decimals_of, observed_columns
from vaekit.errors import DataError

NUMERIC_KINDS = ("numeric", "integer", "datetime")
FORMAT = "vaekit-table-transformer/1"


@dataclass(frozen=True)
class Span:
    """A block of output columns: ``tanh`` (one normalized value) or ``softmax`` (a one-hot)."""

    column: str
    activation: str  # "tanh" | "softmax"
    size: int


class TableTransformer:
    """Fit on a :class:`Table`; ``transform`` to a ``(N, D)`` float32 array; ``inverse_transform``.

    Parameters
    ----------
    max_modes
        Most mixture components per numeric column (CTGAN/TVAE: 10).
    weight_threshold
        Components with a smaller mixture weight are dropped (CTGAN/TVAE: 0.005).
    max_categories
        Most one-hot slots per categorical column; rarer levels share one "other" slot.
    fit_rows
        The mixtures are fitted on at most this many rows of each column (a seeded subsample).
    seed
        Seed of the subsample and the mixtures.
    """

    def __init__(
        self,
        max_modes: int = 10,
        weight_threshold: float = 0.005,
        max_categories: int = 100,
        fit_rows: int = 20_000,
        seed: int = 0,
    ) -> None:
        if max_modes < 1 or max_categories < 2 or fit_rows < 1:
            raise DataError("max_modes >= 1, max_categories >= 2 and fit_rows >= 1 are needed")
        self.max_modes, self.weight_threshold = max_modes, weight_threshold
        self.max_categories, self.fit_rows, self.seed = max_categories, fit_rows, seed
        self.columns: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ fitting
    def fit(self, table: Table) -> TableTransformer:
        """Learn each column's encoding from ``table``."""
        rng = np.random.default_rng(self.seed)
        self.columns = {}
        for name, kind, missing, values in observed_columns(table):
            if kind in NUMERIC_KINDS:
                info = self._fit_numeric(values, rng)
                info["decimals"] = 0 if kind == "integer" else decimals_of(values)
            else:
                info = self._fit_categorical(values)
            self.columns[name] = {"kind": kind, "missing": bool(missing.any()), **info}
        return self

    def _fit_numeric(self, x: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
        lo, hi = float(x.min()), float(x.max())
        distinct = np.unique(x)
        if len(distinct) <= 1:  # a constant column: one mode at the value
            return {"min": lo, "max": hi, "means": [lo], "stds": [1.0]}
        sample = x if len(x) <= self.fit_rows else rng.choice(x, self.fit_rows, replace=False)
        mix = fit_mixture_1d(sample, self.max_modes, weight_concentration_prior=0.001,
                             max_iter=100, seed=self.seed)  # fmt: skip
        keep = mix.weights > self.weight_threshold
        if not keep.any():
            keep = mix.weights == mix.weights.max()
        means, stds = mix.means[keep], mix.stds[keep]
        floor = max((hi - lo) * 1e-6, 1e-12)  # a spike of equal values has a tiny std
        return {"min": lo, "max": hi, "means": means.tolist(),
                "stds": np.maximum(stds, floor).tolist(),
                "weights": mix.weights[keep].tolist()}  # fmt: skip

    def _fit_categorical(self, values: np.ndarray) -> dict[str, Any]:
        counts = Counter(_key(v) for v in values)
        first = {}
        for v in values:  # the level as given (text, or a bool for boolean columns)
            first.setdefault(_key(v), v)
        ranked = sorted(counts, key=lambda k: (-counts[k], k))  # most frequent first
        if len(ranked) <= self.max_categories:
            return {"levels": [first[k] for k in ranked], "other": {}}
        kept = ranked[: self.max_categories - 1]
        return {"levels": [first[k] for k in kept],
                "other": {k: counts[k] for k in ranked[len(kept):]}}  # fmt: skip

    # ------------------------------------------------------------------ layout
    @property
    def spans(self) -> list[Span]:
        """The output layout, column by column."""
        self._check_fitted()
        out = []
        for name, info in self.columns.items():
            if info["kind"] in NUMERIC_KINDS:
                out.append(Span(name, "tanh", 1))
                out.append(Span(name, "softmax", len(info["means"]) + info["missing"]))
            else:
                slots = len(info["levels"]) + bool(info["other"]) + info["missing"]
                out.append(Span(name, "softmax", slots))
        return out

    @property
    def output_dim(self) -> int:
        return sum(s.size for s in self.spans)

    # ------------------------------------------------------------------ transform
    def transform(self, table: Table) -> np.ndarray:
        """``(N, output_dim)`` float32: each column's normalized value and one-hots."""
        self._check_fitted()
        self._check_columns(table)
        parts = []
        for name, info in self.columns.items():
            col, missing = table.columns[name], table.missing(name)
            if missing.any() and not info["missing"]:
                raise DataError(f"column {name!r} has missing cells, which it had none of "
                                "when fitted; refit on data with missing cells")  # fmt: skip
            if info["kind"] in NUMERIC_KINDS:
                parts += self._transform_numeric(col, missing, info)
            else:
                parts.append(self._transform_categorical(name, col, missing, info))
        return np.concatenate(parts, axis=1).astype(np.float32)

    def _transform_numeric(self, x: np.ndarray, missing: np.ndarray,
                           info: dict[str, Any]) -> list[np.ndarray]:  # fmt: skip
        means, stds = np.array(info["means"]), np.array(info["stds"])  # (K,)
        filled = np.where(missing, means[0], x)
        z = (filled[:, None] - means) / (4 * stds)  # (N, K)
        if len(means) > 1:  # the most likely mode, as the mixture's responsibility
            weights = np.array(info["weights"])
            logp = np.log(weights) - np.log(stds) - 8 * z**2
            mode = logp.argmax(1)
            off = np.abs(z[np.arange(len(z)), mode]) > 0.99  # far out: the nearest mode instead
            mode[off] = np.abs(z[off]).argmin(1)
        else:
            mode = np.zeros(len(z), dtype=int)
        alpha = z[np.arange(len(z)), mode]  # beyond +-1 only for outliers of every mode
        alpha[missing] = 0.0
        onehot = np.zeros((len(x), len(means) + info["missing"]))
        onehot[np.arange(len(x)), mode] = 1.0
        if info["missing"]:
            onehot[missing] = 0.0
            onehot[missing, -1] = 1.0
        return [alpha[:, None], onehot]

    def _transform_categorical(self, name: str, col: np.ndarray, missing: np.ndarray,
                               info: dict[str, Any]) -> np.ndarray:  # fmt: skip
        slot = {_key(v): i for i, v in enumerate(info["levels"])}
        n_levels = len(info["levels"])
        other_slot = n_levels if info["other"] else None
        out = np.zeros((len(col), n_levels + bool(info["other"]) + info["missing"]))
        for i, v in enumerate(col):
            if missing[i]:
                out[i, -1] = 1.0
                continue
            j = slot.get(_key(v))
            if j is None:
                if other_slot is None or _key(v) not in info["other"]:
                    raise DataError(f"column {name!r}: level {v!r} was not seen when fitted")
                j = other_slot
            out[i, j] = 1.0
        return out

    # ------------------------------------------------------------------ inverse
    def inverse_transform(self, data: np.ndarray, seed: int = 0) -> Table:
        """A :class:`Table` from ``(N, output_dim)`` model outputs (one-hots may be
        probabilities or logits: the largest slot wins). ``seed``: the draws of grouped
        rare levels."""
        self._check_fitted()
        data = np.asarray(data, dtype=np.float64)
        if data.ndim != 2 or data.shape[1] != self.output_dim:
            raise DataError(f"expected an array (N, {self.output_dim}), got {data.shape}")
        if not np.isfinite(data).all():
            raise DataError("the array to invert holds NaN or infinite values")
        rng = np.random.default_rng(seed)
        columns, at = {}, 0
        for name, info in self.columns.items():
            if info["kind"] in NUMERIC_KINDS:
                k = len(info["means"]) + info["missing"]
                alpha, mode = data[:, at], data[:, at + 1 : at + 1 + k].argmax(1)
                at += 1 + k
                columns[name] = self._inverse_numeric(alpha, mode, info)
            else:
                k = len(info["levels"]) + bool(info["other"]) + info["missing"]
                columns[name] = self._inverse_categorical(data[:, at : at + k].argmax(1), info,
                                                          rng)  # fmt: skip
                at += k
        return Table(columns, {k: v["kind"] for k, v in self.columns.items()})

    @staticmethod
    def _inverse_numeric(alpha: np.ndarray, mode: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        means, stds = np.array(info["means"]), np.array(info["stds"])
        n_modes = len(means)
        safe = np.minimum(mode, n_modes - 1)
        x = alpha * 4 * stds[safe] + means[safe]
        x = np.clip(x, info["min"], info["max"])
        if info["kind"] == "integer":
            x = np.round(x)
        elif info.get("decimals") is not None:  # None: too fine, or saved before it was kept
            x = np.clip(np.round(x, info["decimals"]), info["min"], info["max"])
        if info["missing"]:
            x[mode == n_modes] = np.nan
        return x

    @staticmethod
    def _inverse_categorical(slot: np.ndarray, info: dict[str, Any],
                             rng: np.random.Generator) -> np.ndarray:  # fmt: skip
        levels = list(info["levels"])
        out = np.empty(len(slot), dtype=object)
        for i, j in enumerate(slot):
            out[i] = levels[j] if j < len(levels) else None
        if info["other"]:
            rare = list(info["other"])
            p = np.array(list(info["other"].values()), dtype=np.float64)
            picked = slot == len(levels)
            out[picked] = np.array(rare, dtype=object)[rng.choice(len(rare), picked.sum(),
                                                                   p=p / p.sum())]  # fmt: skip
        return out

    # ------------------------------------------------------------------ state
    def to_dict(self) -> dict[str, Any]:
        self._check_fitted()
        params = {"max_modes": self.max_modes, "weight_threshold": self.weight_threshold,
                  "max_categories": self.max_categories, "fit_rows": self.fit_rows,
                  "seed": self.seed}  # fmt: skip
        return {"format": FORMAT, "params": params, "columns": self.columns}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> TableTransformer:
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise DataError(f"not a vaekit table transformer (expected format {FORMAT!r})")
        out = cls(**state["params"])
        out.columns = state["columns"]
        return out

    def save(self, path: str | Path) -> None:
        """Write the fitted state as JSON (atomically)."""
        from vaekit._tempfiles import atomic_write_text

        atomic_write_text(path, json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: str | Path) -> TableTransformer:
        try:
            state = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise DataError(f"{path}: not a readable transformer file ({e})") from e
        return cls.from_dict(state)

    # ------------------------------------------------------------------ checks
    def _check_fitted(self) -> None:
        if not self.columns:
            raise DataError("the transformer is not fitted; call fit(table) first")

    def _check_columns(self, table: Table) -> None:
        want, got = list(self.columns), table.names
        if set(want) != set(got):
            missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
            raise DataError(f"the table's columns differ from those fitted: missing {missing}, "
                            f"unexpected {extra}")  # fmt: skip
        for name in want:
            kind, fitted = table.types[name], self.columns[name]["kind"]
            if kind != fitted and {kind, fitted} != {"numeric", "integer"}:
                raise DataError(f"column {name!r} is {kind} here but was {fitted} when fitted")


def _key(v: Any) -> str:
    """The JSON key of a level (booleans and text alike)."""
    return str(v)
