"""The ``alteryx`` asset scheme: the URIs the operator and a watcher write, Airflow's normalisation, OpenLineage;
and the asset events of a run whose outputs have hostile names."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from airflow.providers.common.compat.sdk import Asset
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS
from sqlalchemy import func, select

from airflow_provider_alteryx.assets.alteryx import (
    convert_asset_to_openlineage,
    output_uri,
    sanitize_uri,
    workflow_uri,
)
from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.exceptions import AlteryxInputError
from tests.conftest import NAMED_OUTPUTS, RunDag

WORKFLOW = "5F0C3A1B2C3D4E5F6A7B8C9D"


def test_a_workflow_has_one_uri_from_the_servers_url_or_host() -> None:
    expected = "alteryx://gallery.example.com:8443/workflows/5f0c3a1b2c3d4e5f6a7b8c9d"
    assert workflow_uri("https://Gallery.Example.com:8443", WORKFLOW) == expected
    assert workflow_uri("gallery.example.com:8443", WORKFLOW.lower()) == expected


def test_a_workflow_uri_needs_a_server_id() -> None:
    with pytest.raises(AlteryxInputError, match="workflow_id is '../jobs'"):
        workflow_uri("https://gallery.example.com", "../jobs")


def test_airflow_normalises_alteryx_uris_through_the_provider() -> None:
    asset = Asset(f"alteryx://Gallery.Example.com/workflows/{WORKFLOW}")
    assert asset.uri == "alteryx://gallery.example.com/workflows/5f0c3a1b2c3d4e5f6a7b8c9d"


@pytest.mark.parametrize(
    "uri",
    [
        "alteryx:///workflows/5f0c3a1b2c3d4e5f6a7b8c9d",  # no Server
        "alteryx://gallery/workflows/sales",  # a name, not an id
        "alteryx://gallery/workflows/5f0c3a1b2c3d4e5f6a7b8c9d/jobs",
        "alteryx://gallery/workflows/5f0c3a1b2c3d4e5f6a7b8c9d?x=1",
    ],
)
def test_other_shapes_are_refused_with_the_fix(uri: str) -> None:
    with pytest.raises(ValueError, match=r"alteryx://<Server host>/workflows/<workflow id>.*workflow_uri"):
        sanitize_uri(urlsplit(uri))


def test_saved_outputs_are_their_locations() -> None:
    assert output_uri("s3://bucket/out/a.csv") == "s3://bucket/out/a.csv"
    assert output_uri("/data/out/a.csv") == "file:///data/out/a.csv"


def test_openlineage_names_the_workflow_under_its_server() -> None:
    dataset = convert_asset_to_openlineage(Asset(workflow_uri("https://gallery", WORKFLOW)), None)
    assert (dataset.namespace, dataset.name) == ("alteryx://gallery", "workflows/5f0c3a1b2c3d4e5f6a7b8c9d")


# Output names a workflow author could write that mean something in a URI (an escape, a query, a fragment, a
# parameter) or a path, and the names the task saves them under.
URI_HOSTILE = {
    "100%.csv": "100%.csv",
    "%41%2F.csv": "_41_2F.csv",
    "a b#c?d.csv": "a b_c_d.csv",
    "../\x1b[31m;x=1&y.csv": "_[31m;x=1&y.csv",
    "y" * 10_000 + ".csv": "y" * 251 + ".csv",
    "C:\\out\\\u202egpj.csv": "_gpj.csv",
}
# Names outside ASCII, as common as "Umsätze" and a Cyrillic look-alike.
NON_ASCII = {
    "Ums\u00e4tze.csv": "Ums\u00e4tze.csv",
    "e\u0301t\u00e9.csv": "\u00e9t\u00e9.csv",
    "\u0440\u0430\u0443\u0440\u0430l.csv": "\u0440\u0430\u0443\u0440\u0430l.csv",
    "\ufb01le.csv": "file.csv",
    "a\u2215b.csv": "a_b.csv",
    "plain.csv": "plain.csv",
}


def run_events(run_dag: RunDag, emulator: RunningEmulator, names: dict[str, str], output_dir: str) -> Any:
    """Run ``named_outputs_sync`` with outputs named ``names``' keys into ``output_dir``: the job, and the asset
    events the run added as (URI, extra)."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    conf = {f"o{n}": name for n, name in enumerate(names, 1)} | {"output_dir": output_dir}
    with create_session() as session:
        before = session.scalar(select(func.max(AssetEvent.id))) or 0
    assert run_dag("named_outputs_sync", conf).state == "success"
    (job,) = emulator.jobs()
    with create_session() as session:
        events = session.query(AssetModel.uri, AssetEvent.extra).join(
            AssetEvent, AssetEvent.asset_id == AssetModel.id
        )
        return job, sorted(events.filter(AssetEvent.id > before))


def assert_events_name_the_saved_files(events: Any, job: dict[str, Any], url: str, saved: list[str]) -> None:
    """One event for the workflow and one per saved output, each with the job id and disposition as its only extra,
    and every output's URI an ASCII URI that reads back as exactly the saved file: no query, fragment or stray
    escape."""
    extra = {"job_id": job["id"], "disposition": "Success"}
    assert [event_extra for _, event_extra in events] == [extra] * (1 + len(saved))
    uris = [uri for uri, _ in events]
    assert workflow_uri(url, NAMED_OUTPUTS) in uris
    outputs = [urlsplit(uri) for uri in uris if uri.startswith("file:")]
    assert all(uri.isascii() for uri in uris)
    assert sorted(unquote(parts.path) for parts in outputs) == sorted(saved)
    assert all(parts.query == parts.fragment == "" for parts in outputs)


@pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="the operator adds asset events on Airflow 3")
@pytest.mark.parametrize("storage", ["local path", "file://"])
def test_hostile_output_names_reach_asset_uris_only_as_the_files_the_task_saved(
    connected_emulator: RunningEmulator, run_dag: RunDag, tmp_path: Path, storage: str
) -> None:
    output_dir = tmp_path / "out"
    job, events = run_events(
        run_dag,
        connected_emulator,
        URI_HOSTILE,
        f"file://{output_dir}" if storage == "file://" else str(output_dir),
    )
    saved = [str(output_dir / job["id"] / name) for name in URI_HOSTILE.values()]
    assert_events_name_the_saved_files(events, job, connected_emulator.url, saved)


@pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="the operator adds asset events on Airflow 3")
def test_non_ascii_output_names_reach_asset_uris_percent_encoded(
    connected_emulator: RunningEmulator, run_dag: RunDag, tmp_path: Path
) -> None:
    job, events = run_events(run_dag, connected_emulator, NON_ASCII, str(tmp_path))
    saved = [str(tmp_path / job["id"] / name) for name in NON_ASCII.values()]
    assert_events_name_the_saved_files(events, job, connected_emulator.url, saved)
