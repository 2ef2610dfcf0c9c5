"""Outputs written whole or not at all, to a local path or an object-storage URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_alteryx.exceptions import AlteryxInputError
from airflow_provider_alteryx.utils.storage import join, whole_file


@pytest.mark.parametrize("as_url", [False, True])
def test_a_file_appears_only_once_complete(tmp_path: Path, as_url: bool) -> None:
    target = join(f"file://{tmp_path}" if as_url else str(tmp_path), "job", "out.csv")
    with whole_file(target) as sink:
        sink.write(b"a,b\n")
        assert not (tmp_path / "job" / "out.csv").exists()
    assert (tmp_path / "job" / "out.csv").read_bytes() == b"a,b\n"
    assert [p.name for p in (tmp_path / "job").iterdir()] == ["out.csv"]


@pytest.mark.parametrize("as_url", [False, True])
def test_a_failed_write_leaves_nothing(tmp_path: Path, as_url: bool) -> None:
    target = join(f"file://{tmp_path}" if as_url else str(tmp_path), "out.csv")

    def broken_download() -> None:
        with whole_file(target) as sink:
            sink.write(b"half")
            raise RuntimeError("download broke")

    with pytest.raises(RuntimeError):
        broken_download()
    assert list(tmp_path.iterdir()) == []


def test_a_scheme_no_provider_serves_is_refused_with_the_fix() -> None:
    with (
        pytest.raises(AlteryxInputError, match="cannot be written.*installed storage provider"),
        whole_file("nosuchfs://bucket/out.csv"),
    ):
        pass
