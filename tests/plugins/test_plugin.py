"""The plugin class as Airflow loads it: cheap in every process, its FastAPI app only for the API server."""

from __future__ import annotations

import json
import subprocess
import sys

from airflow_provider_alteryx.plugins.alteryx import HAS_EXTERNAL_VIEWS, URL_PREFIX, AlteryxPlugin

# A fresh process as a task's, which has loaded Airflow's plugin manager when it loads the plugins.
PROBE = """
import json, sys
try:
    import airflow.sdk.plugins_manager  # Airflow 3: what a task process loads plugins with
except ImportError:
    import airflow.plugins_manager  # Airflow 2
before = set(sys.modules)
from airflow_provider_alteryx.plugins.alteryx import AlteryxPlugin
print(json.dumps(sorted(set(sys.modules) - before)))
"""
# The plugin module, its package and common-compat's lazy helpers (8 on Airflow 2.11, 5 on 3.3); building
# the FastAPI app at class definition cost about 600.
MAX_MODULES = 15
# What only the API server needs: a task process must not pay for them.
SERVER_ONLY = ("fastapi", "starlette", "aiohttp", "requests", "sqlalchemy", "airflow.api_fastapi")


def test_loading_the_plugin_class_imports_a_handful_of_modules_and_no_web_framework() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    heavy = [name for name in loaded if name.startswith(SERVER_ONLY)]
    assert heavy == [], f"loading the plugin class imported {heavy[:10]}"
    assert len(loaded) <= MAX_MODULES, f"loading the plugin class imported {len(loaded)} modules: {loaded}"


def test_the_api_server_gets_the_app_when_it_reads_the_plugins_apps() -> None:
    if not HAS_EXTERNAL_VIEWS:
        assert (AlteryxPlugin.fastapi_apps, AlteryxPlugin.external_views) == ([], [])
        return
    from airflow_provider_alteryx.plugins.routes import app

    (mounted,) = AlteryxPlugin.fastapi_apps
    assert mounted == {"name": "Alteryx Server", "app": app, "url_prefix": URL_PREFIX}
    assert {"/job", "/job/panel", "/jobs"} <= {getattr(route, "path", None) for route in app.routes}
