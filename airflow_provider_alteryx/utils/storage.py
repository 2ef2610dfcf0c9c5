"""Writing downloaded outputs where every worker can read them: local paths or Airflow object storage."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from airflow_provider_alteryx.exceptions import AlteryxInputError


def is_url(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` is an object-storage URL (``s3://...``, ``file://...``) rather than a local path."""
    return "://" in str(location)


def join(location: str | os.PathLike[str], *parts: str) -> str:
    """``location`` with ``parts`` appended, as a URL for object storage or a local path."""
    if is_url(location):
        return "/".join([str(location).rstrip("/"), *parts])
    return str(Path(location, *parts))


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
        # A sibling temporary file, renamed over the target: readers see all of it or nothing.
        partial = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False)  # noqa: SIM115 - closed below
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
        staged = remote.parent / f".{remote.name}.partial"
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
