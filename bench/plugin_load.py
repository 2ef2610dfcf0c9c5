"""What every Airflow process pays for the provider's plugin: loading the plugin class, as a task process does.

Airflow loads entry-point plugins in every process, each task's included (the task runner integrates
plugin macros before it runs the task). Each run is a fresh process: it imports Airflow's plugin manager
(``airflow.sdk.plugins_manager``, what the task runner uses), then the plugin class, and reports the
modules and the time that second step added. ``--compare DIR`` measures another checkout of the provider
in the same run, alternating with this one, for a side-by-side figure.

    .venv/bin/python bench/plugin_load.py [--runs 15] [--compare /path/to/other/checkout]
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
PROBE = """
import json, sys, time
import airflow.sdk.plugins_manager
from airflow.sdk._shared.module_loading import import_string
before = set(sys.modules)
started = time.perf_counter()
import_string("airflow_provider_alteryx.plugins.alteryx.AlteryxPlugin")
done = time.perf_counter()
print(json.dumps({"ms": (done - started) * 1000, "modules": len(set(sys.modules) - before)}))
"""


def measure(source: Path) -> dict[str, float]:
    """One fresh process loading the plugin class of the provider found in ``source``."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True, cwd=source
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--compare", type=Path, help="another checkout of the provider, measured alongside")
    args = parser.parse_args()
    sources = {"this checkout": REPO, **({f"{args.compare}": args.compare} if args.compare else {})}
    # Compile the bytecode once, as a worker that ran tasks before would have.
    for source in sources.values():
        measure(source)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in sources}
    for _ in range(args.runs):
        for name, source in sources.items():
            results[name].append(measure(source))
    print(f"Loading the plugin class after airflow.sdk.plugins_manager, {args.runs} fresh processes each:")
    for name, runs in results.items():
        times = [run["ms"] for run in runs]
        modules = statistics.median(run["modules"] for run in runs)
        print(
            f"{name:<40} {modules:5.0f} modules   min {min(times):7.1f} ms   median {statistics.median(times):7.1f} ms"
        )
    if args.compare:
        mine = statistics.median(run["ms"] for run in results["this checkout"])
        other = statistics.median(run["ms"] for run in results[str(args.compare)])
        print(f"median ratio, this checkout / {args.compare}: {mine / other:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
