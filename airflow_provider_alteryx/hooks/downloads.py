"""Writing downloaded outputs where every worker can read them: local paths or Airflow object storage.

Where a job's outputs land, and under which file names, is decided here, once: inside
``<output_dir>/<job id>/``, under names made safe by
:func:`~airflow_provider_alteryx.utils.server_text.unique_file_names`. The output names come from the
Server (workflow authors choose them), so none of them is ever joined to a path as it is.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from airflow_provider_alteryx.exceptions import AlteryxInputError, AlteryxProtocolError
from airflow_provider_alteryx.utils.server_text import quoted, unique_file_names

if TYPE_CHECKING:
    from airflow_provider_alteryx.models import AlteryxJob, JobOutput


def is_url(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` is an object-storage URL (``s3://...``, ``file://...``) rather than a local path."""
    return "://" in str(location)


def _child(location: str | os.PathLike[str], component: str) -> str:
    """``location`` with one more path component, which must be a single safe name (an id, or a made-safe name)."""
    if is_url(location):
        return f"{str(location).rstrip('/')}/{component}"
    return str(Path(location, component))


def output_file_names(job: AlteryxJob) -> list[tuple[JobOutput, str | None]]:
    """The outputs of ``job`` that can be downloaded (those with a format), each with its file name.

    Everything that names an output's file asks this (the operator's downloads, the plugin's, lineage), so an
    output has the same name wherever it appears. Two outputs whose names make the same file name both
    survive (the later one gets ``-2``); the name is None where nothing is left to name a file by (``..``).
    """
    outputs = [output for output in job.outputs if output.formats]
    return list(zip(outputs, unique_file_names([output.name for output in outputs]), strict=True))


def output_locations(output_dir: str | os.PathLike[str], job: AlteryxJob) -> list[tuple[JobOutput, str]]:
    """Where each downloadable output of ``job`` is saved: ``<output_dir>/<job id>/<its file name>`` (see
    :func:`output_file_names`).

    :raises AlteryxProtocolError: an output's name leaves nothing to name a file by (``..``, ``/``, empty);
        nothing has been written then, and the outputs stay on the Server.
    """
    named = output_file_names(job)
    unnamable = [output for output, name in named if name is None]
    if unnamable:
        listed = ", ".join(f"{output.id} named {quoted(output.name)}" for output in unnamable)
        raise AlteryxProtocolError(
            f"Alteryx job {job.id} has outputs whose names cannot be made into a file name inside output_dir: "
            f"{listed}. Nothing was downloaded; the outputs stay on the Server. Give them file names in the "
            "workflow, or download them yourself with AlteryxServerHook.download_job_output to paths you choose."
        )
    folder = _child(output_dir, job.id)
    return [(output, _child(folder, name)) for output, name in named if name]


@contextmanager
def whole_file(location: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A file to write into that appears at ``location`` only once complete, and not at all on failure.

    :param location: a local path, or any Airflow object-storage URL (``file://``, ``s3://``, ``gs://``...),
        so that a downstream task on another worker (Celery, Kubernetes) can read what was written.
    :raises AlteryxInputError: a URL whose scheme no installed provider serves.
    """
    if not is_url(location):
        target = Path(location)
        target.parent.mkdir(parents=True, exist_ok=True)
        # A sibling temporary file, renamed over the target: readers see all of it or nothing. Its name is short,
        # so a target name of the longest allowed length still leaves room for it.
        partial = tempfile.NamedTemporaryFile(dir=target.parent, prefix=".alteryx-download-", delete=False)  # noqa: SIM115 - closed below
        try:
            with partial:
                yield partial
            os.replace(partial.name, target)
        except BaseException:
            Path(partial.name).unlink(missing_ok=True)
            raise
        return
    remote = _object_path(str(location))
    with tempfile.TemporaryFile() as spool:
        yield spool
        spool.seek(0)
        remote.parent.mkdir(parents=True, exist_ok=True)
        staged = remote.parent / f".alteryx-download-{uuid.uuid4().hex}.partial"
        with staged.open("wb") as upload:
            shutil.copyfileobj(spool, upload)
        staged.rename(remote)


def _object_path(url: str) -> Any:
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    try:
        path = ObjectStoragePath(url)
        path.fs  # noqa: B018 - resolving the filesystem is the check
    except ValueError as error:
        raise AlteryxInputError(
            f"output_dir {url!r} cannot be written: {error}. Use a local path, file://, or the scheme of an installed storage provider (s3://, gs://...)."
        ) from None
    return path
