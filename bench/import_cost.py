"""What a DAG file pays for the provider: importing the operator and the sensor after ``airflow.sdk``.

Each run is a fresh process (nothing cached in memory; bytecode already compiled, as on a DAG processor
that parsed the file before): it imports ``airflow.sdk``, which every DAG file does anyway, then the
provider's operator and sensor, and reports both times. ``--compare DIR`` measures another checkout of
the provider in the same run, alternating with this one, for a side-by-side figure.

    .venv/bin/python bench/import_cost.py [--runs 15] [--compare /path/to/other/checkout]
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
TARGET_MS = 30.0
PROBE = """
import json, time
started = time.perf_counter()
import airflow.sdk
sdk = time.perf_counter()
import airflow_provider_alteryx.operators.alteryx, airflow_provider_alteryx.sensors.alteryx
done = time.perf_counter()
print(json.dumps({"sdk": (sdk - started) * 1000, "provider": (done - sdk) * 1000}))
"""


def measure(source: Path) -> dict[str, float]:
    """One fresh process importing the provider found in ``source``."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True, cwd=source
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def summary(name: str, values: list[float]) -> str:
    return f"{name:<34} min {min(values):6.1f} ms   median {statistics.median(values):6.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--compare", type=Path, help="another checkout of the provider, measured alongside")
    args = parser.parse_args()
    sources = {"this checkout": REPO, **({f"{args.compare}": args.compare} if args.compare else {})}
    # Compile the bytecode once, as a DAG processor that parsed the file before would have.
    for source in sources.values():
        measure(source)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in sources}
    for _ in range(args.runs):
        for name, source in sources.items():
            results[name].append(measure(source))
    print(f"Importing the operator and the sensor after airflow.sdk, {args.runs} fresh processes each:")
    for name, runs in results.items():
        print(summary(f"airflow.sdk ({name})", [run["sdk"] for run in runs]))
        print(summary(f"operator + sensor ({name})", [run["provider"] for run in runs]))
    mine = statistics.median(run["provider"] for run in results["this checkout"])
    if args.compare:
        other = statistics.median(run["provider"] for run in results[str(args.compare)])
        print(f"median ratio, this checkout / {args.compare}: {mine / other:.2f}")
    print(
        f"RESULT: {'ok' if mine <= TARGET_MS else 'FAILED'} (median {mine:.1f} ms; target at most {TARGET_MS:g} ms)"
    )
    return 0 if mine <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
