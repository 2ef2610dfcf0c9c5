"""The provider's Airflow plugin: the "Alteryx job" tab on task instances and the "Alteryx jobs" page.

Both are external views (Airflow 3.1+): pages the API server renders itself and the UI shows in an iframe,
with a few lines of plain JavaScript to refresh them. A React app would need a JavaScript bundle built
outside this repository; an external view needs nothing but Python. On older Airflow (2.x, 3.0) the
plugin registers nothing, and importing this module pulls in no FastAPI code.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_1_PLUS

# Where the API server mounts the plugin's FastAPI app, and so the start of every href below.
URL_PREFIX = "/alteryx"
# External views arrived in Airflow 3.1.
HAS_EXTERNAL_VIEWS = AIRFLOW_V_3_1_PLUS


def _fastapi_apps() -> list[dict[str, Any]]:
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
    fastapi_apps = _fastapi_apps() if HAS_EXTERNAL_VIEWS else []
    external_views = [JOB_VIEW, JOBS_VIEW] if HAS_EXTERNAL_VIEWS else []
