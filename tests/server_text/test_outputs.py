"""Outputs named by a workflow author, however hostile the names, land inside ``<output_dir>/<job id>/`` and nowhere else.

Each case runs the ``named_outputs`` DAG through Airflow (``dag.test()``, over real HTTP against the
emulator), on the sync and the deferrable path, saving to a local path and to two kinds of object storage
(``file://``, and ``memory://``: fsspec's in-memory filesystem attached to Airflow's object storage, a
store that is not the local disk), and then walks the whole sandbox and the whole store: every byte written
must be in the job's folder, under the expected name.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_alteryx.emulator import RunningEmulator
from tests.conftest import NAMED_OUTPUTS, RunDag

# Six output names as a workflow author (or a Server answering through a proxy) could write them, and the
# names they are saved as. "{sandbox}" is the test's own folder, so an escape would be caught, not spread.
CASES = {
    "paths": (
        [
            "../../../escaped.csv",
            "{sandbox}/outside/pwned.csv",
            "sub/dir/x.csv",
            "C:\\Windows\\x.csv",
            "x.csv",
            "a\x00b\nc.csv",
        ],
        ["escaped.csv", "pwned.csv", "x.csv", "x-2.csv", "x-3.csv", "a_b_c.csv"],
    ),
    "code, terminals and long names": (
        [
            "\x1b[31mred\u202e.csv",
            '"""q.csv',
            "'''q.csv",
            "#frag.csv",
            "y" * 10_000 + ".csv",
            "\uff23\uff1a\uff0f\uff45\uff56\uff49\uff4c.csv",  # C:/evil.csv in full-width forms
        ],
        ["_[31mred_.csv", "___q.csv", "'''q.csv", "_frag.csv", "y" * 251 + ".csv", "evil.csv"],
    ),
    # Names that survive normalisation (NFKC) as written, or as their normal form, and look-alike separators.
    "non-ASCII and look-alikes": (
        [
            "\u00e9t\u00e9.csv",  # été, composed
            "e\u0301te\u0301.csv",  # été, decomposed: the same name once normalised
            "\u0440\u0430\u0443\u0440\u0430l.csv",  # "paypal" in Cyrillic letters
            "..\u2215..\u2215x.csv",  # division slashes: only look like a path
            "C\u2216Windows\u2216x.csv",  # set minus: only looks like a backslash
            "\ufb01le.csv",  # the "fi" ligature
        ],
        [
            "\u00e9t\u00e9.csv",
            "\u00e9t\u00e9-2.csv",
            "\u0440\u0430\u0443\u0440\u0430l.csv",
            ".._.._x.csv",
            "C_Windows_x.csv",
            "file.csv",
        ],
    ),
}
STORAGES = ["local path", "file://", "memory://"]


@pytest.fixture
def memory_store() -> Iterator[tuple[Any, str]]:
    """fsspec's in-memory filesystem as Airflow's ``memory://`` object storage (dag.test() runs the task and its
    trigger in this process, so they write where the test reads), and a root of the test's own in it."""
    import fsspec

    try:
        from airflow.sdk.io.store import attach
    except ImportError:  # Airflow 2
        from airflow.io.store import attach  # type: ignore[no-redef]

    store = fsspec.filesystem("memory")
    attach("memory", fs=store)
    root = f"/alteryx-tests-{uuid.uuid4().hex}"
    yield store, root
    if store.exists(root):
        store.rm(root, recursive=True)


def files_under(folder: Path) -> dict[Path, str]:
    return {path: path.read_text() for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize("storage", STORAGES)
@pytest.mark.parametrize("mode", ["sync", "deferred"])
@pytest.mark.parametrize("case", list(CASES))
def test_every_output_lands_in_the_jobs_folder_under_its_safe_name(
    connected_emulator: RunningEmulator,
    run_dag: RunDag,
    memory_store: tuple[Any, str],
    tmp_path: Path,
    case: str,
    mode: str,
    storage: str,
) -> None:
    names, saved_as = CASES[case]
    store, root = memory_store
    output_dir = f"{root}/out/a/b" if storage == "memory://" else str(tmp_path / "out" / "a" / "b")
    conf = {f"o{n}": name.replace("{sandbox}", str(tmp_path)) for n, name in enumerate(names, 1)}
    conf["output_dir"] = output_dir if storage == "local path" else f"{storage}{output_dir}"
    stored_before = set(store.find("/"))

    result = run_dag(f"named_outputs_{mode}", conf)

    assert result.state == "success", result.log[-3000:]
    (job,) = connected_emulator.jobs()
    assert job["workflowId"] == NAMED_OUTPUTS
    expected = {f"{output_dir}/{job['id']}/{name}": f"output {n}" for n, name in enumerate(saved_as, 1)}
    # Nothing anywhere else in the sandbox or the whole store.
    written = {str(path): text for path, text in files_under(tmp_path).items()}
    written |= {path: store.cat_file(path).decode() for path in set(store.find("/")) - stored_before}
    assert written == expected
    listed = [path if storage == "local path" else f"{storage}{path}" for path in expected]
    assert result.xcom("output_files") == listed
    # The job XCom keeps the names as the Server wrote them (data, for matching), and shown texts made safe.
    job_xcom: Any = result.xcom("job")
    assert [output["name"] for output in job_xcom["outputs"]] == [conf[f"o{n}"] for n in range(1, 7)]
    assert all(message["text"].isprintable() for message in job_xcom["messages"])
    assert (
        "\x1b" not in result.log and "\u202e" not in result.log
    )  # the engine message quoting o1 is shown escaped


@pytest.mark.parametrize("mode", ["sync", "deferred"])
def test_a_name_that_leaves_nothing_fails_the_task_by_name_and_writes_nothing(
    connected_emulator: RunningEmulator, run_dag: RunDag, tmp_path: Path, mode: str
) -> None:
    conf = {f"o{n}": f"ok{n}.csv" for n in range(1, 7)} | {"o4": "..", "output_dir": str(tmp_path / "out")}

    result = run_dag(f"named_outputs_{mode}", conf)

    assert result.state == "failed"
    (job,) = connected_emulator.jobs()
    assert f"Alteryx job {job['id']} has outputs whose names cannot be made into a file name" in result.log
    assert "named '..'. Nothing was downloaded; the outputs stay on the Server." in result.log
    assert files_under(tmp_path) == {}
