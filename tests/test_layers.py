"""The package's import graph: no cycle, and no import from a lower layer to a higher one.

The graph is read from the source with ``ast``: every ``import`` and ``from ... import`` of a provider
module, at module level, inside functions (imported where used) and under ``TYPE_CHECKING`` alike. The
emulator is a package of its own with its own layers (tests/emulator/test_layers.py); here it is one
module that may use the foundation only. Run ``python -m tests.test_layers`` to print the graph.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

PACKAGE = "airflow_provider_alteryx"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

# Lowest first. A module may import modules of its own layer (without a cycle) and of layers below it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    # Vocabularies and the helpers every module may use: they know nothing of the provider's errors, Airflow
    # tasks or HTTP.
    ("helpers", ("__init__", "constants", "utils.*")),
    # The errors, and the checks of what users pass in that raise them.
    ("errors", ("exceptions", "validation")),
    # What a Server answer means: the job model, and how a finished job is judged.
    ("models", ("models", "outcome")),
    # Workflows and outputs as Airflow assets: their URIs, checked by Airflow through the provider info.
    ("assets", ("assets.*",)),
    # Talking to the Server, bottom up: the pieces an operation is made of (calls, answers, retries, auth,
    # configuration, coordination), the I/O-free core of the operations, the watcher that coalesces waits, the
    # transport that runs operations and owns the process's resources, and the hook, the public facade.
    (
        "hook pieces",
        tuple(
            f"hooks.{name}"
            for name in (
                "answers",
                "auth",
                "config",
                "coordination",
                "creation",
                "downloads",
                "failures",
                "form",
                "jobs",
                "params",
                "polling",
                "redis_store",
                "retry",
                "steps",
            )
        ),
    ),
    ("hook core", ("hooks.api",)),
    ("watcher", ("hooks.watcher",)),
    ("transport", ("hooks.transport",)),
    ("hook", ("hooks", "hooks.alteryx")),
    # The Airflow tasks: triggers first, since the operator and the sensor defer to them.
    ("triggers", ("triggers.*",)),
    ("tasks", ("operators.*", "sensors.*")),
    # What Airflow and users load from outside: provider metadata, the plugin, the command line, the emulator.
    ("entry points", ("get_provider_info", "plugins.*", "cli.*", "emulator")),
]


def module_of(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" and len(relative.parts) > 1 else relative.parts
    return ".".join(parts) or "__init__"


def provider_modules() -> dict[str, Path]:
    return {module_of(path): path for path in sorted(ROOT.rglob("*.py")) if "emulator" not in path.parts}


def imported(path: Path, module: str) -> Iterator[str]:
    """Every provider module ``path`` imports (the emulator counted as one module)."""
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(
                    [PACKAGE, *anchor, base] if anchor != ["__init__"] else [PACKAGE, base]
                ).rstrip(".")
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                target = name.removeprefix(PACKAGE).lstrip(".") or "__init__"
                yield "emulator" if target.split(".")[0] == "emulator" else target


def graph() -> dict[str, set[str]]:
    modules = provider_modules()
    edges: dict[str, set[str]] = {module: set() for module in modules}
    for module, path in modules.items():
        # "from package import name" names a module only where that module exists.
        edges[module] = {t for t in imported(path, module) if t in modules or t == "emulator"} - {module}
    return edges


def layer_of(module: str) -> int:
    for index, (_, patterns) in enumerate(LAYERS):
        # "hooks.*" covers the package itself ("hooks", its __init__) and every module in it.
        if any(fnmatch(module, pattern) or module == pattern.removesuffix(".*") for pattern in patterns):
            return index
    raise AssertionError(f"{module} is in no layer of LAYERS; add it where it belongs")


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_module_is_in_a_layer() -> None:
    for module in graph():
        layer_of(module)


def test_the_import_graph_has_no_cycle() -> None:
    assert cycles(graph()) == []


def test_no_import_runs_up_a_layer() -> None:
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in sorted(graph().items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


if __name__ == "__main__":
    for module, targets in sorted(graph().items()):
        print(
            f"{module} [{LAYERS[layer_of(module)][0]}] -> {', '.join(sorted(targets)) or '-'}",
            file=sys.stdout,
        )
