"""The provider's Airflow plugin: the "Alteryx job" tab on task instances and the "Alteryx jobs" page.

Both are external views (Airflow 3.1+): pages the API server renders itself and the UI shows in an iframe,
with a few lines of plain JavaScript to refresh them. A React app would need a JavaScript bundle built
outside this repository; an external view needs nothing but Python. On older Airflow (2.x, 3.0) the
plugin registers nothing.

Airflow loads the plugin in every process, every task's included, so loading it must cost next to nothing:
the FastAPI app (FastAPI, the API server's own modules, the hook) is built only when the API server reads
:attr:`AlteryxPlugin.fastapi_apps`.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.common.compat.sdk import AirflowPlugin
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_1_PLUS

# Where the API server mounts the plugin's FastAPI app, and so the start of every href below.
URL_PREFIX = "/alteryx"
# External views arrived in Airflow 3.1.
HAS_EXTERNAL_VIEWS = AIRFLOW_V_3_1_PLUS


class _FastAPIApps:
    """``fastapi_apps`` read from the plugin class (as Airflow reads it): the app, imported at that moment."""

    def __get__(self, plugin: object, owner: type | None = None) -> list[dict[str, Any]]:
        from airflow_provider_alteryx.plugins.routes import app

        return [{"name": "Alteryx Server", "app": app, "url_prefix": URL_PREFIX}]


# The UI replaces {DAG_ID} and the like; {MAP_INDEX} stays as written for a task that is not mapped.
JOB_VIEW = {
    "name": "Alteryx job",
    "href": f"{URL_PREFIX}/job?dag_id={{DAG_ID}}&run_id={{RUN_ID}}&task_id={{TASK_ID}}&map_index={{MAP_INDEX}}",
    "destination": "task_instance",
    "url_route": "alteryx-job",
}
JOBS_VIEW = {
    "name": "Alteryx jobs",
    "href": f"{URL_PREFIX}/jobs",
    "destination": "nav",
    "category": "browse",
    "url_route": "alteryx-jobs",
}


class AlteryxPlugin(AirflowPlugin):
    """The Alteryx job inside the Airflow UI (see docs/ui.rst)."""

    name = "alteryx"
    fastapi_apps = _FastAPIApps() if HAS_EXTERNAL_VIEWS else []
    external_views = [JOB_VIEW, JOBS_VIEW] if HAS_EXTERNAL_VIEWS else []
