"""What every Airflow process pays for the provider's plugin: loading the plugin class, as a task process does.

Airflow loads entry-point plugins in every process, each task's included (the task runner integrates
plugin macros before it runs the task). Each run is a fresh process: it imports Airflow's plugin manager
(``airflow.sdk.plugins_manager``, what the task runner uses), then the plugin class, and reports the
modules and the time that second step added. ``--compare DIR`` measures another checkout of the provider
in the same run, alternating with this one, for a side-by-side figure.

    .venv/bin/python -m bench.plugin_load [--runs 15] [--compare /path/to/other/checkout]
"""

from __future__ import annotations

import statistics
import sys

from bench.fresh_processes import arguments, median, side_by_side

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


def main() -> int:
    args = arguments(__doc__.splitlines()[0])
    results = side_by_side(PROBE, args)
    print(f"Loading the plugin class after airflow.sdk.plugins_manager, {args.runs} fresh processes each:")
    for name, runs in results.items():
        times = [run["ms"] for run in runs]
        print(
            f"{name:<40} {median(runs, 'modules'):5.0f} modules   min {min(times):7.1f} ms   "
            f"median {statistics.median(times):7.1f} ms"
        )
    if args.compare:
        mine, other = (median(results[name], "ms") for name in ("this checkout", str(args.compare)))
        print(f"median ratio, this checkout / {args.compare}: {mine / other:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
