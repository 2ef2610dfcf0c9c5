"""The emulator's modules form layers: every import points down or sideways, and no imports go round in a circle.

``LAYERS`` is the one statement of the layering; the test reads every ``import`` and ``from`` statement of
the package's source (those under ``TYPE_CHECKING`` and inside functions too, relative and absolute) and
holds them to it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import airflow_provider_alteryx.emulator as emulator_package

PACKAGE = emulator_package.__name__
SOURCE = Path(emulator_package.__file__).parent

# Lowest first. A module may import from its own layer and the layers before it, never from a later one.
LAYERS: tuple[frozenset[str], ...] = (
    # What the other modules are written in terms of, knowing nothing of the emulator: Server versions and
    # API families, error envelopes, faults and the variants of unknown behaviour, OAuth 1.0a checking.
    frozenset({"versions", "errors", "faults", "variants", "oauth1"}),
    # The model the user writes: the catalogue's workflows and schedules, read and checked from a file.
    frozenset({"catalogue", "schedules"}),
    # One Server's configuration: a catalogue, a version, keys, workers, faults and variants.
    frozenset({"config"}),
    # The job queue, acting on the configuration.
    frozenset({"engine"}),
    # Everything one running Server holds: jobs (the engine), tokens, nonces, counters.
    frozenset({"state"}),
    # Response shapes, rendering the model and the state as real Servers answer.
    frozenset({"views"}),
    # Request handling: who calls (auth), the API's operations (handlers), the emulator's own endpoints (control).
    frozenset({"auth", "handlers", "control"}),
    # The one route table, binding handlers to paths, families and authentication.
    frozenset({"routes"}),
    # Documents generated from the route table.
    frozenset({"swagger"}),
    # The HTTP application assembling all of the above.
    frozenset({"app"}),
    # Running the application: in-process or from the command line.
    frozenset({"server"}),
    # Entry points into the running emulator: the package's lazy exports, pytest's fixture, python -m.
    frozenset({"__init__", "pytest_plugin", "__main__"}),
)
LAYER_OF = {module: rank for rank, layer in enumerate(LAYERS) for module in layer}


def modules() -> list[str]:
    return sorted(path.stem for path in SOURCE.glob("*.py"))


def imported(module: str) -> Iterator[str]:
    """The package's modules that ``module`` imports, from its source."""
    path = SOURCE / f"{module}.py"
    # A module's own package, for relative imports: the package itself for __init__ and for its submodules.
    here = PACKAGE.split(".")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (own for alias in node.names if (own := _own(alias.name)))
        elif isinstance(node, ast.ImportFrom):
            base = (
                ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
                if node.level
                else node.module or ""
            )
            submodules = modules()
            for alias in node.names:
                # `from package import views` imports the submodule views; `from package import Name` the package.
                target = _own(f"{base}.{alias.name}") if alias.name in submodules else None
                own = target or _own(base)
                if own:
                    yield own


def _own(dotted: str) -> str | None:
    """The module of this package that a dotted name is, or None for anything outside it."""
    if dotted == PACKAGE:
        return "__init__"
    prefix = PACKAGE + "."
    if dotted.startswith(prefix) and "." not in dotted[len(prefix) :]:
        return dotted[len(prefix) :]
    return None


def graph() -> dict[str, set[str]]:
    return {module: set(imported(module)) - {module} for module in modules()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None when there is none (depth-first search)."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        path.append(module)
        found = next((c for c in (visit(m) for m in sorted(edges.get(module, ()))) if c), None)
        path.pop()
        done.add(module)
        return found

    return next((c for c in (visit(m) for m in sorted(edges)) if c), None)


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(set(modules()) - set(LAYER_OF))
    assert not unplaced, f"add {unplaced} to a layer of LAYERS"
    gone = sorted(set(LAYER_OF) - set(modules()))
    assert not gone, f"LAYERS names modules that no longer exist: {gone}"


def test_imports_form_no_cycle() -> None:
    found = cycle(graph())
    assert found is None, "import cycle: " + " -> ".join(found or [])


def test_no_module_imports_from_a_higher_layer() -> None:
    upwards = [
        f"{module} (layer {LAYER_OF[module]}) imports {target} (layer {LAYER_OF[target]})"
        for module, targets in graph().items()
        for target in sorted(targets)
        if LAYER_OF[target] > LAYER_OF[module]
    ]
    assert not upwards, "\n".join(upwards)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (f"from {PACKAGE}.views import job_view", {"views"}),
        (f"from {PACKAGE} import views, EmulatorConfig", {"views", "__init__"}),
        (f"import {PACKAGE}.state", {"state"}),
        ("from . import views\nfrom .engine import Job", {"views", "engine"}),
        ("if TYPE_CHECKING:\n    from .server import RunningEmulator", {"server"}),
        ("def later() -> None:\n    from .app import Emulator", {"app"}),
        ("import json\nfrom airflow_provider_alteryx.constants import Disposition", set()),
    ],
)
def test_the_graph_sees_every_form_of_import(
    source: str, expected: set[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The checks above can only fail if the graph sees imports in each form they are written in.
    (tmp_path / "probe.py").write_text(source)
    for module in modules():
        (tmp_path / f"{module}.py").touch()
    monkeypatch.setattr(sys.modules[__name__], "SOURCE", tmp_path)
    assert set(imported("probe")) == expected


def test_a_cycle_is_found() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None
