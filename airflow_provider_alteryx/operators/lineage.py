"""OpenLineage for Alteryx runs: which Server, workflow and job produced which outputs.

Only imported when the OpenLineage provider asks for lineage, so it costs nothing elsewhere; without
the OpenLineage client installed, :func:`operator_lineage` returns None and nothing is emitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_alteryx.hooks.downloads import output_file_names
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.utils.server_text import display

# The run facet's key in OpenLineage events, and where its schema is described.
FACET_NAME = "alteryx"
_SCHEMA_URL = "https://github.com/airflow-provider-alteryx/airflow-provider-alteryx/blob/main/docs/outputs.rst#the-alteryx-run-facet"


def operator_lineage(
    *, server: str, api: str, workflow_name: str | None, job: AlteryxJob, saved: Sequence[str]
) -> Any:
    """The operator's lineage: an ``alteryx`` run facet and the outputs as datasets.

    :param server: the Server's base URL.
    :param api: the API generation the connection uses (e.g. ``Web API v3``).
    :param saved: where the task downloaded outputs (paths or object-storage URLs); the job's output
        names on the Server when it downloaded none.
    :return: an ``OperatorLineage``, or None without the OpenLineage provider.
    """
    try:
        from airflow.providers.common.compat.openlineage.facet import Dataset, RunFacet
        from airflow.providers.openlineage.extractors import OperatorLineage
        from attrs import define
    except ImportError:
        return None

    @define
    class AlteryxRunFacet(RunFacet):
        """The Alteryx job behind an Airflow task."""

        server: str
        api: str
        workflowId: str
        workflowName: str | None
        jobId: str
        disposition: str

        @staticmethod
        def _get_schema() -> str:
            return _SCHEMA_URL

    facet = AlteryxRunFacet(
        server=server,
        api=api,
        workflowId=job.workflow_id or "",
        workflowName=None if workflow_name is None else display(workflow_name),
        jobId=job.id,
        disposition=job.disposition,
    )
    if saved:
        outputs = [Dataset(namespace=namespace, name=name) for namespace, name in map(_dataset_of, saved)]
    else:
        # The outputs the task would have saved, under the names it would have given them (an output with no
        # usable name goes by its id).
        host = urlsplit(server).netloc
        outputs = [
            Dataset(namespace=f"alteryx://{host}", name=f"{job.workflow_id}/{job.id}/{name or output.id}")
            for output, name in output_file_names(job)
        ]
    return OperatorLineage(outputs=outputs, run_facets={FACET_NAME: facet})


def _dataset_of(location: str) -> tuple[str, str]:
    """OpenLineage's naming: ``file`` and the absolute path locally; ``scheme://authority`` and the path for object storage."""
    parts = urlsplit(location)
    if not parts.scheme or parts.scheme == "file":
        return "file", parts.path if parts.scheme else location
    return f"{parts.scheme}://{parts.netloc}", parts.path.lstrip("/")
