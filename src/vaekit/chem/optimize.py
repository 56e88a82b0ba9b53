"""Latent-space optimization of a molecular property (Gómez-Bombarelli et al. 2018).

Starting molecules are encoded (posterior means); a property predictor (an MLP on the codes of
a fixed, trained model) guides gradient ascent, or the property of decoded molecules is
optimized directly by CMA-ES or by Bayesian optimization (a Gaussian process with expected
improvement). Every code visited is decoded greedily and scored with RDKit; the result lists
the best valid molecules with their scores and novelty, and the path of one optimization.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from vaekit.chem.molecules import canonical_smiles, get_mol
from vaekit.chem.properties import OBJECTIVES
from vaekit.errors import ConfigError
from vaekit.eval.latent import active_units

METHODS = ("gradient", "cmaes", "bo")
INVALID_SCORE = -100.0  # what CMA-ES and BO see for an invalid decode


def score(smiles: str, objective: str) -> float | None:
    """The ``objective`` (qed, plogp, logp) of ``smiles``, or None when it is invalid."""
    if objective not in OBJECTIVES:
        raise ConfigError(f"unknown objective {objective!r}; choose from {', '.join(OBJECTIVES)}")
    mol = get_mol(smiles)
    return None if mol is None else OBJECTIVES[objective](mol)


@dataclass
class Found:
    """One decoded molecule."""

    smiles: str
    score: float | None  # None: invalid
    step: int
    novel: bool | None = None


@dataclass
class OptimizationResult:
    """What an optimization visited: every decode, the starting set and one path."""

    objective: str
    method: str
    start: list[Found]
    visited: list[Found] = field(default_factory=list)
    path: list[Found] = field(default_factory=list)
    active_units: int | None = None  # of the starting codes; 0: a collapsed latent space
    reconstructed: list[Found] = field(default_factory=list)  # greedy decodes of start codes

    def changed_starts(self) -> list[tuple[Found, Found]]:
        """``(given, decoded)`` for each starting molecule whose code decodes to another
        molecule (or an invalid string): the search starts from that code, not from the
        molecule given."""
        return [(g, d) for g, d in zip(self.start, self.reconstructed, strict=True)
                if canonical_smiles(d.smiles) != canonical_smiles(g.smiles)]  # fmt: skip

    @property
    def best_start(self) -> float:
        return max(f.score for f in self.start if f.score is not None)

    def top(self, k: int = 3) -> list[Found]:
        """The ``k`` best distinct valid molecules found (starting molecules excluded)."""
        starts = {f.smiles for f in self.start}
        seen: dict[str, Found] = {}
        for f in self.visited:
            if f.score is not None and f.smiles not in starts and f.smiles not in seen:
                seen[f.smiles] = f
        return sorted(seen.values(), key=lambda f: -f.score)[:k]  # type: ignore[operator]

    def summary(self) -> dict[str, Any]:
        valid = [f for f in self.visited if f.score is not None]
        distinct = {f.smiles for f in valid}
        novel = [f for f in valid if f.novel]
        return {
            "objective": self.objective, "method": self.method,
            "starting_molecules": len(self.start), "best_start": self.best_start,
            "active_units": self.active_units,
            "starts_reconstructed": len(self.start) - len(self.changed_starts()),
            "decoded": len(self.visited),
            "valid": len(valid) / max(len(self.visited), 1),
            "distinct_valid": len(distinct),
            "novel": len({f.smiles for f in novel}) / max(len(distinct), 1),
            "top": [{"smiles": f.smiles, "score": f.score, "step": f.step, "novel": f.novel}
                    for f in self.top(10)],
            "improvement": (self.top(1)[0].score - self.best_start) if self.top(1) else None,
            "path": [{"step": f.step, "smiles": f.smiles, "score": f.score} for f in self.path],
        }  # fmt: skip


class LatentOptimizer:
    """Optimize ``objective`` in the latent space of a trained sequence VAE."""

    def __init__(
        self,
        model: Any,
        objective: str,
        known: set[str] | None = None,
        seed: int = 0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if not getattr(model, "has_latent", False):
            raise ConfigError("latent-space optimization needs a model with a latent code "
                              "(seq-vae), not a language model")  # fmt: skip
        score("C", objective)  # checks the name
        self.model, self.objective, self.known = model.eval(), objective, known
        self.generator = torch.Generator().manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.log = log or (lambda _: None)
        self.predictor: nn.Module | None = None

    # ------------------------------------------------------------------ helpers
    @torch.no_grad()
    def encode(self, smiles: list[str]) -> torch.Tensor:
        """Posterior means ``(N, D)``."""
        return torch.cat([self.model.encode(smiles[i : i + 500]).mean.cpu()
                          for i in range(0, len(smiles), 500)])  # fmt: skip

    @torch.no_grad()
    def decode(self, z: torch.Tensor, step: int) -> list[Found]:
        """Greedy decodes of codes ``(N, D)``, scored."""
        texts = self.model.to_text(self.model.decode(z.to(self.model.device).float()))
        out = []
        for s in texts:
            value = score(s, self.objective)
            novel = None if value is None or self.known is None else s not in self.known
            out.append(Found(s, value, step, novel))
        return out

    def fit_predictor(self, smiles: list[str], epochs: int = 200) -> float:
        """Train an MLP from codes to the objective on ``smiles`` (invalid ones dropped);
        returns its R^2 on a held-out fifth."""
        values = [score(s, self.objective) for s in smiles]
        keep = [i for i, v in enumerate(values) if v is not None]
        z = self.encode([smiles[i] for i in keep])
        y = torch.tensor([values[i] for i in keep], dtype=torch.float32)
        self.y_mean, self.y_std = float(y.mean()), float(y.std().clamp_min(1e-6))
        y = (y - self.y_mean) / self.y_std
        order = torch.randperm(len(y), generator=self.generator)
        cut = max(1, len(y) // 5)
        test, train = order[:cut], order[cut:]
        d = z.shape[1]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(self.rng.integers(2**31)))
            net = nn.Sequential(nn.Linear(d, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                                nn.Linear(256, 1))  # fmt: skip
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-5)
        for _ in range(epochs):
            for idx in train[torch.randperm(len(train), generator=self.generator)].split(256):
                loss = (net(z[idx])[:, 0] - y[idx]).pow(2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            resid = (net(z[test])[:, 0] - y[test]).pow(2).sum()
            r2 = 1 - float(resid / (y[test] - y[test].mean()).pow(2).sum().clamp_min(1e-12))
        self.predictor = net.eval()
        self.log(f"property predictor on {len(train)} codes: held-out R^2 {r2:.3f}")
        return r2

    # ------------------------------------------------------------------ methods
    def run(self, start: list[str], method: str = "gradient", steps: int = 50,
            **options: Any) -> OptimizationResult:  # fmt: skip
        """Optimize from the molecules ``start``; ``steps`` iterations of ``method``.

        Each valid start is encoded (posterior mean) and the search moves from that code;
        ``result.reconstructed`` holds the codes' greedy decodes and
        :meth:`OptimizationResult.changed_starts` the starts whose decode differs from them.
        Invalid starts are left out with a warning."""
        if method not in METHODS:
            raise ConfigError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
        if steps < 1:
            raise ConfigError(f"steps must be >= 1, got {steps}")
        starts = [Found(s, score(s, self.objective), 0) for s in start]
        invalid = [f.smiles for f in starts if f.score is None]
        starts = [f for f in starts if f.score is not None]
        if not starts:
            raise ConfigError("no valid starting molecule")
        if invalid:
            shown = ", ".join(repr(s) for s in invalid[:5]) + (", ..." if len(invalid) > 5 else "")
            warnings.warn(f"{len(invalid)} of {len(start)} starting molecules are not valid and "
                          f"were left out: {shown}", stacklevel=2)  # fmt: skip
        z0 = self.encode([f.smiles for f in starts])  # (S, D)
        result = OptimizationResult(self.objective, method, starts)
        result.reconstructed = self.decode(z0, 0)
        if len(starts) > 1:
            result.active_units = active_units(z0)[0]
            if result.active_units == 0:
                self.log("the starting molecules' codes do not differ (0 active units: the "
                         "posterior has collapsed), so decodes barely depend on z and the search "
                         "can find little; train with --free-bits or a smaller beta")  # fmt: skip
        getattr(self, f"_{method}")(result, z0, steps, **options)
        return result

    def _gradient(self, result: OptimizationResult, z0: torch.Tensor, steps: int,
                  lr: float = 0.05, prior_weight: float = 0.05) -> None:  # fmt: skip
        """Ascend predicted objective - prior_weight * ||z||^2 / 2 from every start."""
        if self.predictor is None:
            raise ConfigError("the gradient method needs fit_predictor() first")
        z = z0.clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        for step in range(1, steps + 1):
            gain = self.predictor(z)[:, 0] - prior_weight * z.pow(2).sum(1) / 2
            opt.zero_grad()
            (-gain.sum()).backward()
            opt.step()
            found = self.decode(z.detach(), step)
            result.visited += found
            result.path.append(found[0])

    def _cmaes(self, result: OptimizationResult, z0: torch.Tensor, steps: int,
               sigma: float = 0.5, population: int | None = None) -> None:  # fmt: skip
        """CMA-ES (Hansen's (mu/mu_w, lambda) with rank-one and rank-mu updates) on the
        objective of the decoded molecules, from the best starting molecule's code."""
        best = max(range(len(result.start)), key=lambda i: result.start[i].score)
        n = z0.shape[1]
        lam = population or 4 + int(3 * math.log(n))
        mu = lam // 2
        w = np.log(mu + 0.5) - np.log(np.arange(1, mu + 1))
        w /= w.sum()
        mueff = 1 / (w**2).sum()
        cc, cs = (4 + mueff / n) / (n + 4 + 2 * mueff / n), (mueff + 2) / (n + mueff + 5)
        c1 = 2 / ((n + 1.3) ** 2 + mueff)
        cmu = min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((n + 2) ** 2 + mueff))
        damps = 1 + 2 * max(0, math.sqrt((mueff - 1) / (n + 1)) - 1) + cs
        chi = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n**2))
        mean = z0[best].double().numpy()
        pc, ps, cov = np.zeros(n), np.zeros(n), np.eye(n)
        for step in range(1, steps + 1):
            vals, vecs = np.linalg.eigh(cov)
            root = vecs * np.sqrt(np.maximum(vals, 1e-20))  # B D
            inv_root = vecs / np.sqrt(np.maximum(vals, 1e-20))  # B D^-1
            y = self.rng.standard_normal((lam, n)) @ root.T  # (lam, n)
            x = mean + sigma * y
            found = self.decode(torch.from_numpy(x), step)
            result.visited += found
            f = np.array([v.score if v.score is not None else INVALID_SCORE for v in found])
            order = np.argsort(-f)[:mu]
            result.path.append(found[int(order[0])])
            y_w = w @ y[order]
            mean = mean + sigma * y_w
            ps = (1 - cs) * ps + math.sqrt(cs * (2 - cs) * mueff) * (inv_root @ vecs.T @ y_w)
            spread = np.linalg.norm(ps) / math.sqrt(1 - (1 - cs) ** (2 * step))
            hsig = float(spread < (1.4 + 2 / (n + 1)) * chi)
            pc = (1 - cc) * pc + hsig * math.sqrt(cc * (2 - cc) * mueff) * y_w
            rank_mu = (y[order].T * w) @ y[order]
            cov = ((1 - c1 - cmu) * cov + c1 * (np.outer(pc, pc) + (1 - hsig) * cc * (2 - cc) * cov)
                   + cmu * rank_mu)  # fmt: skip
            sigma *= math.exp((cs / damps) * (np.linalg.norm(ps) / chi - 1))

    def _bo(self, result: OptimizationResult, z0: torch.Tensor, steps: int,
            batch: int = 10, candidates: int = 2000, spread: float = 0.5) -> None:  # fmt: skip
        """Bayesian optimization: a Gaussian process (Matern 5/2 + noise) on the scored codes,
        ``batch`` codes per step chosen by expected improvement among perturbations of the
        best codes so far."""
        from scipy.stats import norm
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        xs = z0.double().numpy()
        ys = np.array([f.score for f in result.start], dtype=np.float64)
        for step in range(1, steps + 1):
            matern = Matern(np.sqrt(xs.shape[1]), length_scale_bounds=(1e-2, 1e3), nu=2.5)
            kernel = ConstantKernel() * matern + WhiteKernel(1e-2)
            gp = GaussianProcessRegressor(kernel, normalize_y=True, random_state=0)
            with warnings.catch_warnings():  # a length scale at its bound is not an error here
                warnings.simplefilter("ignore", ConvergenceWarning)
                gp.fit(xs, ys)
            top = xs[np.argsort(-ys)[:10]]
            pool = top[self.rng.integers(0, len(top), candidates)]
            pool = pool + spread * self.rng.standard_normal(pool.shape)
            m, s = gp.predict(pool, return_std=True)
            gap = m - ys.max()
            ei = gap * norm.cdf(gap / np.maximum(s, 1e-9)) + s * norm.pdf(gap / np.maximum(s, 1e-9))
            chosen = pool[np.argsort(-ei)[:batch]]
            found = self.decode(torch.from_numpy(chosen), step)
            result.visited += found
            f = np.array([v.score if v.score is not None else np.nan for v in found])
            ok = ~np.isnan(f)
            xs, ys = np.vstack([xs, chosen[ok]]), np.concatenate([ys, f[ok]])
            result.path.append(found[int(np.nanargmax(np.where(ok, f, -np.inf)))] if ok.any()
                               else found[0])  # fmt: skip


def training_smiles(run: Any) -> list[str]:
    """The training SMILES of a run (its dataset as configured), for starts and novelty."""
    from vaekit.data.registry import load_raw
    from vaekit.io.run import Run

    d = Run.open(run, "train").config().data
    raw = load_raw(d.dataset, d.data_dir, d.label_column, d.download, d.text_column)
    if not hasattr(raw, "kind"):
        raise ConfigError(f"{run} was not trained on sequences")
    return list(raw.train)
