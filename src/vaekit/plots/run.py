"""A trained run opened for figures: model, data split and shared posterior statistics."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit.config import Config
from vaekit.data import DataBundle, build_data, iterate_batches
from vaekit.data.sequences import TokenSequences
from vaekit.errors import ConfigError
from vaekit.eval.latent import active_units, posterior_stats
from vaekit.eval.mode import eval_mode
from vaekit.io.run import Run
from vaekit.io.run_dir import PLOTS_DIR
from vaekit.models import BaseModel

#: examples of the split whose posterior statistics the figures use
DEFAULT_LIMIT = 10000


@dataclass
class PlotRun:
    """Everything a figure of one run needs; posterior statistics are computed once.

    Attributes
    ----------
    run
        The run (:class:`vaekit.io.run.Run`); ``model`` and ``data`` load on first use.
    cfg
        Its configuration.
    requested_split
        The split the figures show (``None``: test when the dataset has one, else val).
    """

    run: Run
    cfg: Config
    device: torch.device
    requested_split: str | None = None
    limit: int = DEFAULT_LIMIT
    _model: BaseModel | None = field(default=None, repr=False)
    _data: DataBundle | None = field(default=None, repr=False)
    _posterior: tuple | None = field(default=None, repr=False)
    _x: torch.Tensor | None = field(default=None, repr=False)

    @classmethod
    def open(
        cls,
        run_dir: str | Path,
        split: str | None = None,
        device: str | torch.device = "cpu",
        limit: int = DEFAULT_LIMIT,
    ) -> PlotRun:
        """Open a run; its model and data are loaded when a figure first needs them.

        ``split`` defaults to test, else val, else train.
        """
        run = Run.open(run_dir, "train")
        return cls(run, run.config(), torch.device(device), split, limit)

    @property
    def run_dir(self) -> Path:
        return self.run.path

    @property
    def model(self) -> BaseModel:
        """The run's model, in eval mode."""
        if self._model is None:
            self._model = self.run.model(self.device)
        return self._model

    @property
    def data(self) -> DataBundle:
        """The run's data, prepared as in training."""
        if self._data is None:
            data = build_data(self.cfg, getattr(self.model, "tokenizer", None))
            if self.requested_split is not None:
                data.split(self.requested_split)  # a clear error for a split the data lack
            self._data = data
        return self._data

    @property
    def split(self) -> str:
        """The split the figures show."""
        if self.requested_split is None:
            self.requested_split = next(
                s for s in ("test", "val", "train") if getattr(self.data, s) is not None
            )
        return self.requested_split

    # ----------------------------------------------------------------- run files
    @property
    def plots_dir(self) -> Path:
        return self.run_dir / PLOTS_DIR

    def records(self) -> list[dict[str, Any]]:
        """Per-epoch training records from ``metrics.jsonl``."""
        return self.run.records()

    def evaluation(self) -> dict[str, Any]:
        """Results of ``vaekit evaluate`` (empty when absent)."""
        return self.run.evaluation()

    # ----------------------------------------------------------------- data
    @property
    def is_image(self) -> bool:
        return self.data.is_image

    @property
    def class_names(self) -> list[str]:
        return list(self.data.class_names)

    @property
    def is_molecules(self) -> bool:
        """A sequence model trained on SMILES (MOSES, or the SMILES tokenizer), RDKit at hand."""
        model = self.model
        if model.modality != "sequence":
            return False
        smiles = self.cfg.data.dataset == "moses" or model.tokenizer.kind == "smiles"
        return smiles and importlib.util.find_spec("rdkit") is not None

    def require_molecules(self, kind: str) -> None:
        if not self.is_molecules:
            raise ConfigError(f"the {kind!r} plot needs a sequence model trained on SMILES and "
                              "RDKit (pip install '.[chem]' in the vaekit checkout)")  # fmt: skip

    def require_images(self, kind: str) -> None:
        if not self.is_image:
            raise ConfigError(
                f"the {kind!r} plot needs image data; this run's inputs have shape "
                f"{tuple(self.data.input_shape)}"
            )

    def require_labels(self, kind: str) -> torch.Tensor:
        _, _, y = self.posterior()
        if y is None:
            raise ConfigError(f"the {kind!r} plot needs class labels; this dataset has none")
        return y

    def inputs(self, n: int | None = None) -> torch.Tensor:
        """The first ``n`` examples of the split as the model sees them, on the device
        (sequences: ``(n, T)`` ids padded to the longest of them)."""
        split = self.data.split(self.split)
        if isinstance(split.x, TokenSequences):
            rows = torch.arange(min(n or self.limit, len(split), self.limit))
            return split.x.to(self.device).batch(rows.to(self.device))
        if self._x is None:
            chunks, count = [], 0
            split = self.data.split(self.split)
            for x, _ in iterate_batches(
                split, 1000, device=self.device, mean=self.data.mean, std=self.data.std
            ):
                chunks.append(x)
                count += x.shape[0]
                if count >= self.limit:
                    break
            self._x = torch.cat(chunks)[: self.limit]
        return self._x if n is None else self._x[:n]

    def labels(self) -> torch.Tensor | None:
        return self.posterior()[2]

    def to_images(self, x: torch.Tensor) -> np.ndarray:
        """Model-space values ``(N, *input_shape)`` as displayable images in [0, 1]."""
        x = self.data.unstandardize(x.detach().float()).cpu()
        if x.ndim == 3:
            x = x.unsqueeze(1)
        return x.clamp(0, 1).numpy()

    # ----------------------------------------------------------------- model
    def posterior(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Posterior means and log-variances ``(N, D)`` and labels ``(N,)`` of the split."""
        if self._posterior is None:
            self._posterior = posterior_stats(
                self.model,
                self.data.split(self.split),
                1000,
                self.device,
                limit=self.limit,
                mean=self.data.mean,
                std=self.data.std,
            )
        return self._posterior

    def kl_per_dim(self) -> torch.Tensor:
        """Mean KL(q(z_d|x) || p(z_d)) per latent dimension over the split, ``(D,)``.

        ``q`` is the Gaussian of the posterior means and variances (for a flow posterior, its
        base distribution's spread around the flowed mean; for the hierarchical VAE, the
        first layer against N(0, I)): a measure of how much each dimension is used.
        """
        from vaekit.distributions import DiagonalNormal

        means, logvars, _ = self.posterior()
        q = DiagonalNormal(means.to(self.device), logvars.to(self.device))
        with torch.no_grad():
            prior = getattr(self.model, "prior", None)
            if prior is None:  # e.g. a VQ-VAE: the model's own per-dimension KL
                return self.model.kl_per_dim(q).mean(0).float().cpu()
            return prior.kl_per_dim(q, q.rsample()).mean(0).float().cpu()

    def active_units(self) -> tuple[int, list[float]]:
        return active_units(self.posterior()[0])

    @torch.no_grad()
    def decode(self, z: torch.Tensor, y: torch.Tensor | int | None = None) -> np.ndarray:
        """Decode codes ``(N, D)`` (with labels for a conditional model) into images."""
        z = z.to(self.device)
        if y is not None:
            y = torch.as_tensor(y, device=self.device).reshape(-1).expand(z.shape[0])
        elif self.model.conditional:
            raise ConfigError("this model is conditional: give a class label (--label)")
        with eval_mode(self.model):
            return self.to_images(self.model.decode(z, y))

    @torch.no_grad()
    def encode_means(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        with eval_mode(self.model):
            return self.model.encode(x.to(self.device), y).mean
