"""The ``alteryx`` asset scheme: the URIs the operator and a watcher write, Airflow's normalisation, OpenLineage."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from airflow.providers.common.compat.sdk import Asset

from airflow_provider_alteryx.assets.alteryx import (
    convert_asset_to_openlineage,
    output_uri,
    sanitize_uri,
    workflow_uri,
)
from airflow_provider_alteryx.exceptions import AlteryxInputError

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
