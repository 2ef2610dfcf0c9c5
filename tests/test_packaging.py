"""The package's metadata against what it depends on: the Python floor, the locks in constraints/, and the wheel's contents."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from functools import cache
from importlib.metadata import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
LOCKS = sorted((REPO / "constraints").glob("*.txt"))
# Wide enough to hold every floor a dependency could declare for years to come.
CANDIDATE_MINORS = range(8, 30)


@cache
def pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def floor(requires_python: str) -> tuple[int, int]:
    """The oldest Python 3 minor version that ``requires_python`` admits."""
    specifier = SpecifierSet(requires_python)
    return next((3, minor) for minor in CANDIDATE_MINORS if specifier.contains(f"3.{minor}"))


def runtime_requirements() -> list[Requirement]:
    return [Requirement(line) for line in pyproject()["project"]["dependencies"]]


def all_requirements() -> list[Requirement]:
    """Every requirement: the provider's, its extras' and the development tools' (the dependency groups)."""
    lists = [
        *pyproject()["project"]["optional-dependencies"].values(),
        *pyproject()["dependency-groups"].values(),
    ]
    optional = [Requirement(line) for lines in lists for line in lines]
    return runtime_requirements() + optional


def pins(lock: Path) -> dict[str, list[str]]:
    """Each package the lock pins, with its versions (a universal lock may pin one per Python range)."""
    found: dict[str, list[str]] = {}
    for match in re.finditer(r"^([A-Za-z0-9._-]+)==([^\s;]+)", lock.read_text(), flags=re.MULTILINE):
        found.setdefault(canonicalize_name(match[1]), []).append(match[2])
    return found


def test_python_floor_is_the_highest_floor_of_the_dependencies() -> None:
    # Lower, and an install fails on a Python a dependency refuses; higher shuts out users for no reason.
    dependency_floors = {
        req.name: floor(metadata(req.name)["Requires-Python"] or ">=3") for req in runtime_requirements()
    }
    assert floor(pyproject()["project"]["requires-python"]) == max(dependency_floors.values()), (
        dependency_floors
    )


def test_classifiers_tool_targets_and_locks_start_at_the_floor() -> None:
    major, minor = floor(pyproject()["project"]["requires-python"])
    classified = [
        tuple(map(int, c.rsplit(" ", 1)[1].split(".")))
        for c in pyproject()["project"]["classifiers"]
        if re.search(r"Python :: 3\.\d+$", c)
    ]
    tools = pyproject()["tool"]
    locked_for = re.findall(r"--python-version (\S+)", (REPO / "Makefile").read_text())
    assert (
        min(classified),
        tools["ruff"]["target-version"],
        tools["mypy"]["python_version"],
        locked_for,
    ) == (
        (major, minor),
        f"py{major}{minor}",
        f"{major}.{minor}",
        [f"{major}.{minor}"],
    )


@pytest.mark.parametrize("lock", LOCKS, ids=[lock.stem for lock in LOCKS])
def test_lock_pins_every_dependency_within_its_range(lock: Path) -> None:
    pinned = pins(lock)
    stale = [
        f"{req} (locked: {', '.join(pinned.get(canonicalize_name(req.name), ['nothing']))})"
        for req in all_requirements()
        if not any(
            req.specifier.contains(version, prereleases=True)
            for version in pinned.get(canonicalize_name(req.name), [])
        )
    ]
    assert not stale, f"{lock.name} is behind pyproject.toml for {stale}: run `make lock`"


def test_emulator_command_without_its_extra_names_the_extra_to_install() -> None:
    # A plain install of the provider has no YAML; Airflow's own environment does, so it is hidden here.
    hide_yaml = (
        "import sys; sys.modules['yaml'] = None; from airflow_provider_alteryx.emulator import main; main()"
    )
    completed = subprocess.run(
        [sys.executable, "-c", hide_yaml, "--port", "0"], capture_output=True, text=True, timeout=120
    )
    assert (completed.returncode, completed.stderr.strip()) == (
        1,
        "alteryx-server-emulator: error: the Alteryx Server emulator needs PyYAML, which the provider installs "
        "only on request: pip install 'airflow-provider-alteryx[emulator]'",
    )


def test_emulator_names_without_its_extra_name_the_extra_to_install() -> None:
    hide_yaml = (
        "import sys; sys.modules['yaml'] = None; from airflow_provider_alteryx.emulator import run_emulator"
    )
    completed = subprocess.run([sys.executable, "-c", hide_yaml], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 1
    assert "ModuleNotFoundError: the Alteryx Server emulator needs PyYAML" in completed.stderr
    assert "pip install 'airflow-provider-alteryx[emulator]'" in completed.stderr
