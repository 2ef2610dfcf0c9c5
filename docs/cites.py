"""Code that plain code text in the docs, the README and CONTRIBUTING.md cites, and whether it still exists.

Cross-references (``:class:``, ``:doc:``...) are resolved by Sphinx itself; this reads what they do not: a
repository path (``tests/hooks/test_downloads.py``, or ``plugins/job_view.js`` inside the package), a test id
(``tests/test_docs.py::test_readme_is_short``) and a dotted name (``airflow_provider_alteryx.hooks.api``,
``python -m bench.creation``). ``docs/conf.py`` checks every page of the site with it (the changelog aside),
``tests/test_docs.py`` the README and CONTRIBUTING.md.
"""

from __future__ import annotations

import ast
import importlib
import re
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "airflow_provider_alteryx"
# A path is written from the repository's root or, for the package's own files, from the package's.
ROOTS = (REPO, REPO / PACKAGE)
# A word with a "/" that ends so names a file of the repository...
FILE_SUFFIXES = (".py", ".yaml", ".rst", ".md", ".toml", ".js")
# ...as does one that starts with a top-level folder, a file name or not (``tests/ui/plugins/``).
TOP_FOLDERS = (PACKAGE, "bench", "constraints", "dev", "example_dags", "tests")
# A dotted name starting with one of them names a module (and what it defines).
DOTTED = re.compile(rf"(?:{'|'.join(TOP_FOLDERS)})(?:\.\w+)+")
# Placeholders and patterns, which stand for a path without being one: <job id>, {id}, *.py, ...
PATTERN = re.compile(r"[<>{}*]|\.\.\.")
# What may surround a word in prose or a command: quotes, brackets, punctuation.
SURROUNDING = "\"'()[],;:"


def stale(literal: str) -> list[str]:
    """What ``literal`` cites that no longer exists, each with what is missing."""
    words = (word.strip(SURROUNDING).rstrip(".") for word in literal.split())
    return [problem for word in words if word and not PATTERN.search(word) and (problem := missing(word))]


def missing(word: str) -> str | None:
    """Why ``word`` cites nothing that exists, or None when it exists or is no citation of code."""
    if "://" in word or word.startswith("/"):
        return None  # a URL or an absolute path: nothing of this repository
    if "::" in word:
        path, *names = word.split("::")
        return missing_file(path) or missing_names(REPO / path, [name.partition("[")[0] for name in names])
    if "/" in word and (word.endswith(FILE_SUFFIXES) or word.split("/")[0] in TOP_FOLDERS):
        return missing_file(word)
    if DOTTED.fullmatch(word):
        return missing_dotted(word)
    return None


def missing_file(path: str) -> str | None:
    if any((root / path).exists() for root in ROOTS):
        return None
    return f"{path} does not exist (in the repository or the package)"


def missing_names(module: Path, names: list[str]) -> str | None:
    absent = [name for name in names if name not in defined(module)]
    return f"{module.relative_to(REPO)} defines no {', '.join(absent)}" if absent else None


@cache
def defined(module: Path) -> frozenset[str]:
    """Every function and class a module defines, at any depth (test methods of test classes included)."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return frozenset(node.name for node in ast.walk(tree) if isinstance(node, kinds))


def missing_dotted(name: str) -> str | None:
    """The package's names are imported (what a module re-exports counts); the other folders' are read."""
    parts = name.split(".")
    # The longest leading part that is a module; the rest are names inside it.
    for end in range(len(parts), 0, -1):
        base = REPO.joinpath(*parts[:end])
        module = next((f for f in (base.with_suffix(".py"), base / "__init__.py") if f.is_file()), None)
        if module is not None:
            break
    else:
        return f"{name}: there is no module {parts[0]}"
    owner, rest = ".".join(parts[:end]), parts[end:]
    if parts[0] == PACKAGE:
        absent = missing_attribute(importlib.import_module(owner), rest)
    else:
        absent = next((part for part in rest[:1] if part not in defined(module)), None)
    return f"{name}: {owner} has no {absent}" if absent else None


def missing_attribute(found: object, names: list[str]) -> str | None:
    """The first of ``names`` (each an attribute of the one before) that is not there."""
    for attribute in names:
        if not hasattr(found, attribute):
            return attribute
        found = getattr(found, attribute)
    return None
