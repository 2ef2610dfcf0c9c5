"""Side-by-side measures of what a fresh process pays for something, for this checkout and another one.

Each run is a fresh process running a probe (a small program printing one JSON object of figures) with
the provider of one checkout on its path; ``--compare DIR`` measures another checkout in the same run,
alternating with this one, so both see the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
Runs = dict[str, list[dict[str, float]]]


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--compare", type=Path, help="another checkout of the provider, measured alongside")
    return parser.parse_args()


def measure(probe: str, source: Path) -> dict[str, float]:
    """One fresh process running ``probe`` with the provider found in ``source``."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True, cwd=source
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def side_by_side(probe: str, args: argparse.Namespace) -> Runs:
    """``args.runs`` runs of ``probe`` for this checkout and, alternating with it, ``args.compare``'s."""
    sources = {"this checkout": REPO, **({str(args.compare): args.compare} if args.compare else {})}
    # Compile the bytecode once, as a process that ran the code before would have.
    for source in sources.values():
        measure(probe, source)
    results: Runs = {name: [] for name in sources}
    for _ in range(args.runs):
        for name, source in sources.items():
            results[name].append(measure(probe, source))
    return results


def median(runs: list[dict[str, float]], figure: str) -> float:
    return statistics.median(run[figure] for run in runs)
