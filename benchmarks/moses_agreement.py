"""vaekit's MOSES metrics against MOSES's own implementation, on the same generated file.

The peer is ``moses.metrics.get_all_metrics`` from a copy of MOSES (``--moses-src``: the
molsets 0.3.1 wheel from PyPI, unzipped, or a checkout of github.com/molecularsets/moses with
its LFS data files). The ``molsets`` package no longer installs on current Python, so its
``moses/metrics`` and ``moses/dataset`` code is imported from that copy as it is, with one shim
each for what newer libraries removed (pandas' ``DataFrame.append``, which its filter list
uses, and ``rdkit.six.iteritems``, which its SA scorer imports), and its cosine for Frag and
Scaf given float counts as scipy <= 1.11 did (see ``float_cosine``: newer scipy overflows on
the whole test sets and MOSES then reports a Frag of exactly 1); its model packages are not
imported. MOSES reads the generated CSV as its ``read_smiles_csv`` does, vaekit as
``vaekit molecules metrics`` does.

By default MOSES makes its default call (``scripts/eval.py`` without paths): its own test,
scaffold-test and training sets and its precomputed test statistics (pickled in its npz files,
read by its own code); vaekit scores with ``moses_references()`` on the same sets and
``fcd_reference_stats.npz``. ``--test-size N`` instead scores against a seeded random N of each
test set, both sides computing their statistics from the subsets, to fit a small budget.

    python benchmarks/moses_agreement.py GEN.csv --moses-src ~/src/molsets [--test-size 10000]

Needs ``pandas`` (the ``bench`` extra) besides the chem extra. Exits 1 when a metric differs
by more than 0.005 (the FCD by more than 2%).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import types
import warnings
import zipfile
from pathlib import Path
from typing import Any

from _record import append_results
from vaekit.chem import METRIC_ORDER, ReferenceStats, moses_metrics, moses_train, read_smiles
from vaekit.chem.fcd import ChemNet
from vaekit.chem.reference_sets import moses_references
from vaekit.data.text_files import moses_dir, read_lines

TOLERANCE = 0.005  # the acceptance line's: each metric within 0.005, the FCD within 2%


def import_moses_metrics(src: Path) -> types.ModuleType:
    """``moses.metrics`` from a copy of MOSES, without running ``moses/__init__.py`` (which
    imports every model and its dependencies)."""
    import pandas as pd

    if not (src / "moses" / "metrics" / "metrics.py").is_file():
        raise SystemExit(f"{src}: not a copy of MOSES (no moses/metrics/metrics.py)")
    if not hasattr(pd.DataFrame, "append"):  # removed in pandas 2; MOSES's filters use it
        pd.DataFrame.append = lambda self, other, sort=False: pd.concat([self, other], sort=sort)
    if "rdkit.six" not in sys.modules:  # removed from RDKit; MOSES's SA scorer imports it
        six = types.ModuleType("rdkit.six")
        six.iteritems = lambda d: iter(d.items())
        sys.modules["rdkit.six"] = six
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")  # MOSES's fingerprints print a deprecation line per molecule
    package = types.ModuleType("moses")
    package.__path__ = [str(src / "moses")]
    sys.modules["moses"] = package
    import moses.metrics  # noqa: E402  (the checkout's)

    return moses.metrics


def float_cosine(moses_metrics_module: types.ModuleType) -> None:
    """Give MOSES's Frag and Scaf cosine float counts, as scipy <= 1.11 computed it.

    MOSES passes integer count vectors to ``scipy.spatial.distance.cosine``. Up to scipy 1.11
    that averaged in float64; from 1.12 (scipy PR 19583) it takes integer dot products, and
    on the whole test sets ``||ref||^2 * ||gen||^2`` of fragment counts passes 2^63: the
    product wraps, and the clipped result is a Frag of exactly 1.0 for any sample. This
    restores the arithmetic MOSES was written and published with; ``--moses-as-installed``
    leaves it out.
    """
    import numpy as np
    from scipy.spatial.distance import cosine

    def cos_distance(u: Any, v: Any) -> float:
        return cosine(np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64))

    moses_metrics_module.metrics.cos_distance = cos_distance


def scipy_version() -> str:
    import scipy

    return scipy.__version__


def read_moses_csv(path: Path) -> list[str]:
    """The generated file as MOSES's ``script_utils.read_smiles_csv`` reads it (pandas, the
    ``SMILES`` column, every cell as ``str``: an empty cell becomes ``"nan"``, invalid), written
    for pandas 2 and 3 (``squeeze=`` is gone; ``astype(str)`` now keeps NaN missing, which MOSES
    would count as valid and then fail on); a ``.smi`` file by vaekit's reader."""
    import pandas as pd

    if path.suffix != ".csv":
        return read_smiles(path)
    column = pd.read_csv(path, usecols=["SMILES"]).squeeze("columns")
    return [str(x) for x in column.tolist()]  # as pandas 1's astype(str): NaN -> "nan"


def test_sets(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The seeded test subsets for ``--test-size``; on the whole sets both sides read their
    own (vaekit's cached statistics, MOSES's default call), so nothing is read here."""
    if not args.test_size:
        return [], []
    found = moses_dir(args.data_dir, True, ("test.csv.gz", "test_scaffolds.csv.gz"))
    test = read_lines(found / "test.csv.gz", "SMILES")[0]
    test_sf = read_lines(found / "test_scaffolds.csv.gz", "SMILES")[0]
    rng = random.Random(args.seed)
    return rng.sample(test, args.test_size), rng.sample(test_sf, args.test_size)


def run_moses(mm: types.ModuleType, gen: list[str], test: list[str], test_sf: list[str],
              args: argparse.Namespace) -> dict[str, float]:  # fmt: skip
    """MOSES's ``get_all_metrics``. On the whole sets, its default call: its own test sets,
    precomputed test statistics and training set, from the checkout's ``moses/dataset/data``
    (as ``scripts/eval.py`` without paths); on subsets, statistics computed from them."""
    from multiprocessing import Pool

    with Pool(args.jobs) as pool, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not args.test_size:
            out = mm.get_all_metrics(gen, k=list(args.k), n_jobs=args.jobs, pool=pool)
        else:
            ptest = mm.compute_intermediate_statistics(test, n_jobs=args.jobs, pool=pool)
            ptest_sf = mm.compute_intermediate_statistics(test_sf, n_jobs=args.jobs, pool=pool)
            out = mm.get_all_metrics(gen, k=list(args.k), n_jobs=args.jobs, pool=pool,
                                     test=test, test_scaffolds=test_sf, ptest=ptest,
                                     ptest_scaffolds=ptest_sf,
                                     train=sorted(moses_train(args.data_dir)))  # fmt: skip
    return {k: float(v) for k, v in out.items()}


def check_moses_data(src: Path) -> None:
    """The default call reads MOSES's data files; a Git checkout without LFS has pointers."""
    data = src / "moses" / "dataset" / "data"
    for name in ("test_stats.npz", "test_scaffolds_stats.npz"):
        if not zipfile.is_zipfile(data / name):
            raise SystemExit(
                f"{data / name}: missing or a Git LFS pointer; the whole-set "
                "comparison needs MOSES's data files (fetch them with git lfs, or "
                "unzip the molsets 0.3.1 wheel from PyPI), or use --test-size N"
            )


def run_vaekit(gen: list[str], test: list[str], test_sf: list[str], train: set[str],
               args: argparse.Namespace) -> dict[str, float]:  # fmt: skip
    if args.test_size:  # statistics of the subsets, ChemNet on them as MOSES's precalc
        net = ChemNet()
        ref = ReferenceStats.from_smiles(test, "test subset", args.jobs, net)
        ref_sf = ReferenceStats.from_smiles(test_sf, "scaffold-test subset", args.jobs, net)
    else:
        ref, ref_sf = moses_references(args.data_dir, args.jobs, log=print)
    return moses_metrics(gen, ref, ref_sf, train, ks=args.k, jobs=args.jobs, log=print)


def compare(ours: dict[str, float], theirs: dict[str, float]) -> tuple[list[str], bool]:
    """A markdown table of both and the difference; whether every metric is within bounds."""
    lines = ["| metric | vaekit | MOSES | difference | within |", "|---|---|---|---|---|"]
    ok = True
    for k in sorted(set(ours) | set(theirs), key=lambda m: (METRIC_ORDER + (m,)).index(m)):
        a, b = ours.get(k), theirs.get(k)
        if a is None or b is None:
            lines.append(f"| {k} | {a} | {b} | missing | no |")
            ok = False
            continue
        diff = a - b
        good = abs(diff) <= (0.02 * abs(b) if k.startswith("FCD") else TOLERANCE)
        ok &= good
        lines.append(f"| {k} | {a:.4f} | {b:.4f} | {diff:+.2e} | {'yes' if good else 'NO'} |")
    return lines, ok


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("generated", type=Path, help="generated SMILES (.csv with SMILES, or .smi)")
    p.add_argument(
        "--moses-src",
        type=Path,
        required=True,
        help="MOSES: the molsets 0.3.1 wheel unzipped, or a checkout with its LFS data",
    )
    p.add_argument(
        "--test-size",
        type=int,
        default=0,
        help="score against a seeded random subset of each test set (0: all)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", type=int, nargs="+", default=[1000, 10000], help="unique@k")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--data-dir", default=None)
    p.add_argument(
        "--moses-as-installed",
        action="store_true",
        help="no float shim for scipy >= 1.12's integer cosine (see float_cosine)",
    )
    p.add_argument("--no-record", action="store_true", help="print only; no results entry")
    args = p.parse_args()
    mm = import_moses_metrics(args.moses_src.expanduser())
    if not args.moses_as_installed:
        float_cosine(mm)
    if not args.test_size:
        check_moses_data(args.moses_src.expanduser())
    gen = read_smiles(args.generated)  # vaekit's reader; MOSES's side reads the file its way
    test, test_sf = test_sets(args)
    train = moses_train(args.data_dir)
    t0 = time.perf_counter()
    ours = run_vaekit(gen, test, test_sf, train, args)
    t_ours = time.perf_counter() - t0
    theirs = run_moses(mm, read_moses_csv(args.generated), test, test_sf, args)
    t_theirs = time.perf_counter() - t0 - t_ours
    lines, ok = compare(ours, theirs)
    sets = (f"a seeded random {args.test_size:,} of each test set (seed {args.seed}), both "
            "computing their statistics from them" if args.test_size else
            "MOSES's whole test and scaffold-test sets (MOSES: its default call, with its "
            "precomputed statistics; vaekit: `moses_references()`, FCD from "
            "`fcd_reference_stats.npz`)")  # fmt: skip
    cosine_note = (f"as installed (scipy {scipy_version()})" if args.moses_as_installed
                   else "on float counts, as with scipy <= 1.11")  # fmt: skip
    body = (f"{len(gen):,} SMILES from `{args.generated.name}`, against "
            f"{sets}; training set for novelty: MOSES's. unique@k for k = "
            f"{', '.join(map(str, args.k))}. MOSES's Frag/Scaf cosine: "
            f"{cosine_note}"
            ".\n\n" + "\n".join(lines) +
            f"\n\nEvery metric within 0.005 (the FCD within 2%): "
            f"**{'yes' if ok else 'no'}**. Time, statistics included: vaekit {t_ours:.0f} s, "
            f"MOSES {t_theirs:.0f} s ({args.jobs} workers).\n")  # fmt: skip
    if args.no_record:
        print(body)
    else:
        append_results("MOSES metrics: vaekit against MOSES's own implementation", body)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
