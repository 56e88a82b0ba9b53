"""What the explore page asks of a run: its latent map, decodes, examples, paths, samples.

Every request is validated here (latent length, finite values, bounded counts, known
classes, example indices); a bad one raises :class:`ExploreError` with a one-line message,
which the server answers with HTTP 400.
"""

from __future__ import annotations

import base64
import csv
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit.errors import VaekitError
from vaekit.models.paths import lerp, slerp
from vaekit.plots.run import PlotRun

MAX_MAP_POINTS, MAX_SAMPLES, MAX_STEPS, MAX_ABS_Z = 5000, 64, 32, 1e3


class ExploreError(VaekitError):
    """A request the page cannot answer (HTTP 400)."""


def png(image: np.ndarray) -> bytes:
    """A ``(C, H, W)`` or ``(H, W)`` array in [0, 1] as PNG bytes (grey or RGB)."""
    from PIL import Image

    a = np.asarray(image, dtype=np.float32)
    if a.ndim == 3:
        a = a[0] if a.shape[0] == 1 else np.transpose(a[:3], (1, 2, 0))
    img = Image.fromarray((np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8))
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def data_url(image: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png(image)).decode()


class ExploreSession:
    """A run opened for the explore page (model and data loaded once, on the CPU).

    Parameters
    ----------
    run_dir
        A ``vaekit train`` run directory.
    split
        The split whose examples make the map (default: test, else val, else train).
    limit
        Most examples on the map.
    """

    def __init__(self, run_dir: str | Path, split: str | None = None,
                 limit: int = MAX_MAP_POINTS) -> None:  # fmt: skip
        self.run = PlotRun.open(run_dir, split, "cpu", min(int(limit), MAX_MAP_POINTS))
        self.model = self.run.model
        self.kind = self._kind()
        self.dim = int(self.model.latent_dim)
        self._map: dict[str, Any] | None = None

    def _kind(self) -> str:
        m = self.model
        if m.registry_name == "vqvae":
            return "codes"
        if m.modality == "sequence":
            return "sequence"
        if m.modality != "array":
            return "unsupported"
        return "image" if self.run.is_image else "table"

    # ----------------------------------------------------------------- page data
    def meta(self) -> dict[str, Any]:
        """Run name, model, a config summary, headline metrics and what the page can show."""
        cfg = self.run.cfg
        evaluation = self.run.evaluation()
        split = evaluation.get(self.run.split, evaluation.get("test", evaluation))
        keys = ("elbo", "nll", "reconstruction", "kl", "active_units", "mutual_info",
                "probe_accuracy", "bits_per_dim")  # fmt: skip
        headline = {k: split[k] for k in keys if isinstance(split, dict)
                    and isinstance(split.get(k), (int, float))}  # fmt: skip
        out: dict[str, Any] = {
            "run": self.run.run_dir.name, "model": self.model.registry_name, "kind": self.kind,
            "latent_dim": self.dim, "dataset": cfg.data.dataset, "split": self.run.split,
            "config": {k: v for k, v in {
                "hidden": cfg.model.hidden, "arch": cfg.model.arch,
                "likelihood": cfg.model.likelihood, "beta": cfg.model.beta,
                "epochs": cfg.train.epochs}.items() if v is not None},
            "metrics": dict(list(headline.items())[:8]),
            "conditional": bool(self.model.conditional),
            "classes": self.run.class_names if self.model.conditional or self.run.class_names
            else [],
        }  # fmt: skip
        if self.kind == "codes":
            out["note"] = ("a VQ-VAE's latent is a grid of discrete codes: there is no "
                           "continuous point to drag; samples come from its code prior")
        elif self.kind == "unsupported":
            out["note"] = f"the explore page cannot show {self.model.modality} models"
        else:
            out.update(self._map_meta())
        if self.kind == "table":
            out["columns"] = self._column_names()
        return out

    def _column_names(self) -> list[str] | None:
        """A CSV run's feature names from the header of the file it was trained on (the
        path comes from the run's own configuration, never from a request)."""
        cfg = self.run.cfg.data
        path = Path(str(cfg.dataset))
        if path.suffix.lower() != ".csv" or not path.is_file():
            return None
        with path.open(newline="") as f:
            head = next(csv.reader(f), [])
        try:
            [float(v) for v in head]
            return None  # no header
        except ValueError:
            pass
        label = cfg.label_column
        names = [h for i, h in enumerate(head) if h != str(label) and str(i) != str(label)]
        return names if len(names) == self.run.data.input_shape[-1] else None

    def _map_meta(self) -> dict[str, Any]:
        if self._map is not None:
            return self._map
        means, _, labels = self.run.posterior()  # (N, D)
        kl = self.run.kl_per_dim()  # (D,)
        means = means.double()
        centre = means.mean(0)
        if self.dim <= 2:
            axes = torch.eye(self.dim, dtype=torch.float64)
            if self.dim == 1:
                axes = torch.cat([axes, torch.zeros(1, 1, dtype=torch.float64)])
            origin, how = torch.zeros(self.dim, dtype=torch.float64), "the latent dimensions"
        else:
            _, _, vt = torch.linalg.svd(means - centre, full_matrices=False)
            axes = vt[:2]  # (2, D) unit principal axes
            signs = torch.sign(axes.gather(1, axes.abs().argmax(1, keepdim=True)))
            axes, origin = axes * signs, centre
            how = "PCA of the posterior means (the other directions at the data mean)"
        xy = (means - origin) @ axes.T  # (N, 2)
        order = torch.argsort(kl, descending=True).tolist()
        self._map = {
            "projection": how,
            "origin": origin.tolist(), "axes": axes.tolist(),
            "points": [[round(float(a), 4), round(float(b), 4)] for a, b in xy.tolist()],
            "labels": None if labels is None else labels.tolist(),
            "kl": kl.tolist(), "order": order, "means": means.float().tolist(),
        }  # fmt: skip
        return self._map

    # ----------------------------------------------------------------- checks
    def _z(self, z: Any) -> torch.Tensor:
        if self.kind in ("codes", "unsupported"):
            raise ExploreError(f"a {self.model.registry_name} run has no continuous latent "
                               "point to decode")  # fmt: skip
        if not isinstance(z, list) or not all(isinstance(v, (int, float)) and
                                              not isinstance(v, bool) for v in z):  # fmt: skip
            raise ExploreError(f"z must be a list of {self.dim} numbers")
        if len(z) != self.dim:
            raise ExploreError(f"z has {len(z)} values; this model's latent has {self.dim}")
        t = torch.tensor(z, dtype=torch.float32)
        if not torch.isfinite(t).all():
            raise ExploreError("z holds NaN or infinite values")
        if t.abs().max() > MAX_ABS_Z:
            raise ExploreError(f"z values must lie within ±{MAX_ABS_Z:g}")
        return t.unsqueeze(0)

    def _label(self, label: Any) -> torch.Tensor | None:
        if not self.model.conditional:
            if label is not None:
                raise ExploreError(f"model {self.model.registry_name!r} takes no class")
            return None
        n = int(self.model.num_classes)
        if label is None:
            return torch.zeros(1, dtype=torch.long)
        if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label < n:
            raise ExploreError(f"unknown class {label!r}; choose an integer in [0, {n})")
        return torch.tensor([label])

    def _index(self, i: Any) -> int:
        n = len(self._map_meta()["points"])
        if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < n:
            raise ExploreError(f"example index must be an integer in [0, {n}), got {i!r}")
        return i

    @staticmethod
    def _count(value: Any, name: str, low: int, high: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ExploreError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
        return value

    # ----------------------------------------------------------------- answers
    def _show(self, x: torch.Tensor) -> list[Any]:
        """Decoded outputs ``(B, ...)`` as what the page shows: PNG data URLs, table rows
        (in the data's units) or strings."""
        if self.kind == "sequence":
            return self.model.to_text(x)
        if self.kind == "table":
            rows = self.run.data.unstandardize(x.float()).cpu().numpy()
            return [[round(float(v), 6) for v in r] for r in rows]
        return [data_url(im) for im in self.run.to_images(x)]

    @torch.no_grad()
    def decode_png(self, z: Any, label: Any = None) -> bytes:
        """The decoder's mean at ``z`` as PNG bytes (image runs: the live map's image)."""
        if self.kind != "image":
            raise ExploreError("decoded images exist for image runs only; use /api/decode")
        x = self.model.decode(self._z(z), self._label(label))
        return png(self.run.to_images(x)[0])

    @torch.no_grad()
    def decode(self, z: Any, label: Any = None) -> dict[str, Any]:
        """The decoded point, as :meth:`_show` gives it."""
        zt = self._z(z)
        if self.kind == "sequence":
            return {"output": self._show(self.model.decode(zt))[0]}
        return {"output": self._show(self.model.decode(zt, self._label(label)))[0]}

    @torch.no_grad()
    def example(self, i: Any) -> dict[str, Any]:
        """Example ``i`` of the map: its input, its reconstruction, its posterior mean."""
        i = self._index(i)
        x = self.run.inputs(i + 1)[i : i + 1]
        labels = self.run.labels()
        y = None if labels is None or not self.model.conditional else labels[i : i + 1]
        recon = self.model.reconstruct(x, y)
        return {"index": i, "z": self._map_meta()["means"][i],
                "label": None if labels is None else int(labels[i]),
                "input": self._show(x)[0], "reconstruction": self._show(recon)[0]}

    def _end(self, end: Any) -> tuple[torch.Tensor, int | None]:
        """A path end: an example index, or ``{"class": k}`` (the class's mean code)."""
        means = self._map_meta()["means"]
        labels = self.run.labels()
        if isinstance(end, dict):
            k = end.get("class")
            if labels is None:
                raise ExploreError("this dataset has no classes to interpolate between")
            if not isinstance(k, int) or isinstance(k, bool) or not (labels == k).any():
                raise ExploreError(f"unknown class {k!r} (no example of it on the map)")
            rows = (labels == k).nonzero()[:, 0]
            return torch.tensor(means)[rows].mean(0), k
        i = self._index(end)
        return torch.tensor(means[i]), None if labels is None else int(labels[i])

    @torch.no_grad()
    def interpolate(self, a: Any, b: Any, steps: Any = 8, spherical: Any = False) -> list[Any]:
        """Decodes on the linear (or spherical) path between ``a`` and ``b``: example
        indices, or ``{"class": k}`` for a class's mean code."""
        (za, ya), (zb, _) = self._end(a), self._end(b)
        n = self._count(steps, "steps", 2, MAX_STEPS)
        z = (slerp if spherical is True else lerp)(za, zb, n)  # (n, D)
        y = None
        if self.model.conditional:
            y = torch.full((n,), ya or 0, dtype=torch.long)
        out = self.model.decode(z, y) if self.kind != "sequence" else self.model.decode(z)
        return self._show(out)

    @torch.no_grad()
    def samples(self, n: Any = 16, seed: Any = 0, label: Any = None) -> list[Any]:
        """``n`` prior samples drawn with ``seed`` (a CVAE's of class ``label``; a VQ-VAE's
        from its code prior). The same seed gives the same samples."""
        n = self._count(n, "n", 1, MAX_SAMPLES)
        seed = self._count(seed, "seed", 0, 2**31 - 1)
        if self.kind == "unsupported":
            raise ExploreError(f"the explore page cannot sample a {self.model.modality} model")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            if self.model.conditional:
                y = self._label(label)
                x = self.model.sample(n, int(y[0]) if y is not None else None)
            else:
                self._label(label)
                x = self.model.sample(n)
        return self._show(x)

    def thumbnail_scale(self) -> int:
        """Pixels per image pixel on the page (images of side ~28 become ~168 px)."""
        shape = self.run.data.input_shape
        return max(1, math.ceil(168 / max(shape[-1], 1)))
