"""One asset per workflow: the example DAG schedules on the asset the operator adds events to and a watcher watches.

Airflow 3.3 matches an asset event to a DAG's asset by name and URI together, so the three must agree on
both: built by :func:`~airflow_provider_alteryx.assets.alteryx.workflow_asset`, they do.
"""

from __future__ import annotations

import importlib.util
import json
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_alteryx.assets.alteryx import ALIAS_NAME, workflow_asset
from airflow_provider_alteryx.models import AlteryxJob
from tests.test_example_dags import EXAMPLES

try:
    from airflow.sdk import AssetAlias
    from airflow.sdk.definitions.asset import AssetUniqueKey
    from airflow.sdk.execution_time.context import OutletEventAccessors
except ImportError:  # Airflow 2: no watchers, and the operator adds no asset events
    pytest.skip("asset events and watchers need Airflow 3", allow_module_level=True)


EXAMPLE = EXAMPLES / "alteryx_server_events.py"


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The example DAG file's module, with ``alteryx_default`` on the Server its asset names (nothing is asked)."""
    spec = importlib.util.spec_from_file_location("example_alteryx_server_events", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    connection = {"conn_type": "alteryx", "host": module.ALTERYX_SERVER, "login": "key", "password": "s"}
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", json.dumps(connection))
    return module


def scheduled_asset(dag_file: Any) -> Any:
    """The one asset the file's DAG is scheduled on, as Airflow's DAG bag reads it (watchers included)."""
    from airflow.dag_processing.dagbag import DagBag

    (dag,) = DagBag(dag_folder=str(dag_file)).dags.values()
    condition: Any = dag.timetable.asset_condition  # the schedule [asset]: all of one asset
    (asset,) = condition.objects
    return asset


def key(asset: Any) -> tuple[str, str]:
    unique = AssetUniqueKey.from_asset(asset)
    return unique.name, unique.uri


def operator_event_key(workflow_id: str) -> tuple[str, str]:
    """The asset the operator's success adds its event to, as the task sends it to Airflow."""
    from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator

    job = AlteryxJob.from_api(
        {
            "id": "0123456789abcdef01234567",
            "appId": workflow_id,
            "status": "Completed",
            "disposition": "Success",
        }
    )
    events = OutletEventAccessors()
    context: Any = {"ti": SimpleNamespace(xcom_push=lambda **_: None), "outlet_events": events}
    operator = AlteryxRunWorkflowOperator(task_id="run", workflow_id=workflow_id)
    operator.execute_complete(context, {"status": "success", "job": job.to_dict()})
    (event,) = events[AssetAlias(name=ALIAS_NAME)].asset_alias_events
    assert event.extra == {"job_id": job.id, "disposition": "Success"}
    return event.dest_asset_key.name, event.dest_asset_key.uri


def test_the_example_the_operator_and_the_watcher_name_one_asset(example: Any) -> None:
    from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
    from airflow_provider_alteryx.triggers.workflow_events import AlteryxWorkflowJobsTrigger

    asset = scheduled_asset(EXAMPLE)
    assert key(asset) == key(workflow_asset(example.ALTERYX_SERVER, example.REGIONAL_SALES))

    # The operator that ran the workflow through alteryx_default adds its event to the DAG's asset.
    assert operator_event_key(example.REGIONAL_SALES) == key(asset)

    # The watcher on that asset watches that workflow on that Server.
    (watcher,) = asset.watchers
    trigger = watcher.trigger
    assert isinstance(trigger, AlteryxWorkflowJobsTrigger)
    server = AlteryxServerHook(trigger.alteryx_conn_id).config.base_url
    assert key(workflow_asset(server, trigger.workflow_id)) == key(asset)


def test_the_asset_is_named_by_its_uri_whatever_case_the_server_and_id_come_in() -> None:
    asset = workflow_asset("https://Gallery.Example.com", "5F0C3A1B2C3D4E5F6A7B8C9D")
    uri = "alteryx://gallery.example.com/workflows/5f0c3a1b2c3d4e5f6a7b8c9d"
    assert key(asset) == (uri, uri)
