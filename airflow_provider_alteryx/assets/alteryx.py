"""Alteryx workflows as Airflow assets: ``alteryx://<Server host>/workflows/<workflow id>``.

One URI names a workflow on one Server, whoever runs it: the operator's asset events on success and an
``AssetWatcher`` with :class:`~airflow_provider_alteryx.triggers.workflow_events.AlteryxWorkflowJobsTrigger`
describe the same asset, so a DAG scheduled on it runs after the workflow's jobs, however they were started.
Airflow loads :func:`sanitize_uri` and :func:`convert_asset_to_openlineage` through the provider info.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

from airflow_provider_alteryx.validation import server_id

if TYPE_CHECKING:
    from airflow.providers.common.compat.openlineage.facet import Dataset as OpenLineageDataset

SCHEME = "alteryx"
# Where the operator adds its asset events; a DAG may also be scheduled on this alias to follow every workflow.
ALIAS_NAME = "alteryx_workflow_runs"
_WORKFLOW_PATH = re.compile(r"/workflows/(?P<id>[0-9a-fA-F]{24})")


def workflow_uri(server: str, workflow_id: str) -> str:
    """The asset URI of a workflow.

    :param server: the Server's base URL (``https://gallery.example.com``) or its host (``gallery.example.com``).
    :raises AlteryxInputError: ``workflow_id`` is not a Server id.
    """
    host = urlsplit(server).netloc if "://" in server else server
    return f"{SCHEME}://{host.lower()}/workflows/{server_id(workflow_id, 'workflow_id').lower()}"


def output_uri(location: str) -> str:
    """The asset URI of an output the operator saved: the object-storage URL, or ``file://`` and the absolute path."""
    if "://" in location:
        return location
    return f"file://{os.path.abspath(location)}"


def sanitize_uri(uri: SplitResult) -> SplitResult:
    """Airflow's handler for the ``alteryx`` scheme: a host and ``/workflows/<24 hexadecimal characters>``.

    :raises ValueError: another shape; Airflow then refuses the asset with this message.
    """
    match = _WORKFLOW_PATH.fullmatch(uri.path)
    if not uri.netloc or match is None or uri.query or uri.fragment:
        raise ValueError(
            f"An alteryx:// asset URI is alteryx://<Server host>/workflows/<workflow id>, e.g. "
            f"alteryx://gallery.example.com/workflows/5f0c3a1b2c3d4e5f6a7b8c9d; got {uri.geturl()!r}. "
            "Build it with airflow_provider_alteryx.assets.alteryx.workflow_uri(server, workflow_id)."
        )
    return uri._replace(netloc=uri.netloc.lower(), path=f"/workflows/{match['id'].lower()}")


def convert_asset_to_openlineage(asset: Any, lineage_context: Any) -> OpenLineageDataset:
    """The workflow as an OpenLineage dataset: namespace ``alteryx://<host>``, name ``workflows/<id>``."""
    from airflow.providers.common.compat.openlineage.facet import Dataset as OpenLineageDataset

    parts = urlsplit(asset.uri)
    return OpenLineageDataset(namespace=f"{parts.scheme}://{parts.netloc}", name=parts.path.lstrip("/"))
