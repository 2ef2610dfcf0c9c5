"""What a DAG file pays for the provider: importing the operator and the sensor after ``airflow.sdk``.

Each run is a fresh process (nothing cached in memory; bytecode already compiled, as on a DAG processor
that parsed the file before): it imports ``airflow.sdk``, which every DAG file does anyway, then the
provider's operator and sensor, and reports both times. ``--compare DIR`` measures another checkout of
the provider in the same run, alternating with this one, for a side-by-side figure.

    .venv/bin/python -m bench.import_cost [--runs 15] [--compare /path/to/other/checkout]
"""

from __future__ import annotations

import statistics
import sys

from bench.fresh_processes import arguments, median, side_by_side

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


def summary(name: str, values: list[float]) -> str:
    return f"{name:<34} min {min(values):6.1f} ms   median {statistics.median(values):6.1f} ms"


def main() -> int:
    args = arguments(__doc__.splitlines()[0])
    results = side_by_side(PROBE, args)
    print(f"Importing the operator and the sensor after airflow.sdk, {args.runs} fresh processes each:")
    for name, runs in results.items():
        print(summary(f"airflow.sdk ({name})", [run["sdk"] for run in runs]))
        print(summary(f"operator + sensor ({name})", [run["provider"] for run in runs]))
    mine = median(results["this checkout"], "provider")
    if args.compare:
        other = median(results[str(args.compare)], "provider")
        print(f"median ratio, this checkout / {args.compare}: {mine / other:.2f}")
    print(
        f"RESULT: {'ok' if mine <= TARGET_MS else 'FAILED'} (median {mine:.1f} ms; target at most {TARGET_MS:g} ms)"
    )
    return 0 if mine <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
