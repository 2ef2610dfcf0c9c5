"""Where outputs land (inside ``<output_dir>/<job id>/``, under safe names) and how: whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_alteryx.exceptions import AlteryxInputError, AlteryxProtocolError
from airflow_provider_alteryx.hooks.downloads import output_file_names, output_locations, whole_file
from airflow_provider_alteryx.models import AlteryxJob, JobOutput

JOB = "0000000000000000000000f1"


def outputs(*names: str) -> AlteryxJob:
    return AlteryxJob(
        id=JOB,
        outputs=tuple(JobOutput(id=f"{n:024x}", name=name, formats=("Csv",)) for n, name in enumerate(names)),
    )


@pytest.mark.parametrize("base", ["/data/out", "file:///data/out", "s3://bucket/out/"])
def test_outputs_land_in_the_jobs_folder_under_one_safe_name_each(base: str) -> None:
    located = output_locations(
        base, outputs("../../../escaped.csv", "/etc/passwd", "sub/dir/x.csv", "C:\\x.csv")
    )
    folder = f"{base.rstrip('/')}/{JOB}"
    assert [location for _, location in located] == [
        f"{folder}/escaped.csv",
        f"{folder}/passwd",
        f"{folder}/x.csv",
        f"{folder}/x-2.csv",  # two outputs that make one name both survive
    ]


def test_an_output_without_formats_is_left_out_and_one_without_a_usable_name_is_refused_by_name() -> None:
    job = AlteryxJob(
        id=JOB,
        outputs=(
            JobOutput(id="0" * 24, name="nothing.csv", formats=()),
            JobOutput(id="1" * 24, name="..", formats=("Csv",)),
        ),
    )
    with pytest.raises(AlteryxProtocolError, match=r"1{24} named '\.\.'.*Nothing was downloaded"):
        output_locations("/data/out", job)
    assert output_locations("/data/out", AlteryxJob(id=JOB, outputs=job.outputs[:1])) == []


def test_only_outputs_with_a_format_are_named_so_one_without_takes_no_name_from_another() -> None:
    job = AlteryxJob(
        id=JOB,
        outputs=(
            JobOutput(id="0" * 24, name="sales.csv", formats=()),
            JobOutput(id="1" * 24, name="sales.csv", formats=("Csv",)),
            JobOutput(id="2" * 24, name="SALES.csv", formats=("Csv",)),
        ),
    )
    assert [(output.id, name) for output, name in output_file_names(job)] == [
        ("1" * 24, "sales.csv"),
        ("2" * 24, "SALES-2.csv"),
    ]
    assert [location for _, location in output_locations("/out", job)] == [
        f"/out/{JOB}/sales.csv",
        f"/out/{JOB}/SALES-2.csv",
    ]


@pytest.mark.parametrize("as_url", [False, True])
def test_a_file_appears_only_once_complete(tmp_path: Path, as_url: bool) -> None:
    target = f"file://{tmp_path}/job/out.csv" if as_url else str(tmp_path / "job" / "out.csv")
    with whole_file(target) as sink:
        sink.write(b"a,b\n")
        assert not (tmp_path / "job" / "out.csv").exists()
    assert (tmp_path / "job" / "out.csv").read_bytes() == b"a,b\n"
    assert [p.name for p in (tmp_path / "job").iterdir()] == ["out.csv"]


@pytest.mark.parametrize("as_url", [False, True])
def test_the_longest_name_leaves_room_for_the_temporary_file(tmp_path: Path, as_url: bool) -> None:
    (_, location), *_ = output_locations(
        f"file://{tmp_path}" if as_url else str(tmp_path), outputs("x" * 10_000 + ".csv")
    )
    with whole_file(location) as sink:
        sink.write(b"1")
    (saved,) = (tmp_path / JOB).iterdir()
    assert len(saved.name.encode()) == 255 and saved.name.endswith(".csv") and saved.read_bytes() == b"1"


@pytest.mark.parametrize("as_url", [False, True])
def test_a_failed_write_leaves_nothing(tmp_path: Path, as_url: bool) -> None:
    target = f"file://{tmp_path}/out.csv" if as_url else str(tmp_path / "out.csv")

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
