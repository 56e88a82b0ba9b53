"""How fast the command line answers: ``--help`` and argument errors, against what loading
PyTorch and all of vaekit costs (what every call paid before the imports became lazy).

Each command runs ``--repeats`` times in a fresh process; the table gives the median and
the fastest wall time.

    python benchmarks/cli_startup.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from _record import append_results

VAEKIT = "import sys; from vaekit.cli.app import main; main(sys.argv[1:])"
CASES = [  # (label, argv after the interpreter, expected exit status)
    ("`vaekit --help`", ["-c", VAEKIT, "--help"], 0),
    ("`vaekit train --help`", ["-c", VAEKIT, "train", "--help"], 0),
    ("`vaekit anomaly fit --help`", ["-c", VAEKIT, "anomaly", "fit", "--help"], 0),
    ("`vaekit train --epochs many` (argument error)", ["-c", VAEKIT, "train", "--epochs", "x"], 2),
    ("peer: `python -c 'import torch'`", ["-c", "import torch"], 0),
    ("peer: importing all of vaekit (every call before)",
     ["-c", "import vaekit.train, vaekit.eval, vaekit.plots, vaekit.explore"], 0),  # fmt: skip
]


def timed(argv: list[str], status: int) -> float:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != status:
        raise SystemExit(f"{argv}: exit {done.returncode}\n{done.stderr[-1000:]}")
    return seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args()
    times: dict[str, list[float]] = {label: [] for label, *_ in CASES}
    for _ in range(args.repeats):  # interleaved: drift of the machine hits all alike
        for label, argv, status in CASES:
            times[label].append(timed(argv, status))
    rows = ["| command | median s | fastest s |", "| --- | --- | --- |"]
    for label, *_ in CASES:
        t = times[label]
        rows.append(f"| {label} | {statistics.median(t):.2f} | {min(t):.2f} |")
    body = "\n".join(rows) + (
        f"\n\nWall time of a fresh `{sys.executable.rsplit('/', 1)[-1]}` process, "
        f"{args.repeats} runs each, interleaved."
    )
    append_results("CLI start-up", body)


if __name__ == "__main__":
    main()
