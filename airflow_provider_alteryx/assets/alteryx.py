"""Alteryx workflows as Airflow assets: ``alteryx://<Server host>/workflows/<workflow id>``.

One asset names a workflow on one Server, whoever runs it: :func:`workflow_asset`. The operator's asset
events on success, an ``AssetWatcher`` with
:class:`~airflow_provider_alteryx.triggers.workflow_events.AlteryxWorkflowJobsTrigger` and the DAGs scheduled
on the workflow all use it, so a DAG runs after the workflow's jobs, however they were started. Airflow
matches assets by name and URI together, which is why the name is fixed here too (it is the URI).
Airflow loads :func:`sanitize_uri` and :func:`convert_asset_to_openlineage` through the provider info.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, quote, urlsplit

from airflow_provider_alteryx.validation import server_id

if TYPE_CHECKING:
    from airflow.providers.common.compat.openlineage.facet import Dataset as OpenLineageDataset
    from airflow.providers.common.compat.sdk import Asset

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


def workflow_asset(server: str, workflow_id: str, *, watchers: Sequence[Any] = ()) -> Asset:
    """The workflow's asset, named by its URI: the one the operator adds events to, so schedule DAGs on it.

    :param server: the Server's base URL or host, as for :func:`workflow_uri`. In a DAG file, write it out
        (reading the connection there would cost every parse a lookup).
    :param workflow_id: the workflow's id.
    :param watchers: ``AssetWatcher`` objects (Airflow 3), e.g. one with
        :class:`~airflow_provider_alteryx.triggers.workflow_events.AlteryxWorkflowJobsTrigger` for the jobs
        the Server runs itself.
    :raises AlteryxInputError: ``workflow_id`` is not a Server id.
    """
    from airflow.providers.common.compat.sdk import Asset

    uri = workflow_uri(server, workflow_id)
    # Airflow 2's Dataset takes the URI alone (and has no watchers); Airflow 3 names an Asset(uri) by its URI.
    return Asset(uri, watchers=list(watchers)) if watchers else Asset(uri)


def output_uri(location: str) -> str:
    """The asset URI of an output the operator saved: the object-storage URL, or ``file://`` and the absolute path.

    The path is percent-encoded: an output's name may hold any character a file name can (``Umsätze.csv``,
    ``#``, ``?``), and Airflow refuses a URI that is not ASCII, while ``#`` and ``?`` would end its path.
    """
    if "://" in location:
        parts = urlsplit(location)
        return parts._replace(path=quote(parts.path)).geturl()
    return f"file://{quote(os.path.abspath(location))}"


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
