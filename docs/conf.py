"""Sphinx configuration of the provider's documentation (``make docs``).

The build runs nitpicky with warnings as errors, so a page that cites a class, function or page that no
longer exists fails it. Checks of this file's own hold the pages to the code: every error class of
:mod:`airflow_provider_alteryx.exceptions` has its troubleshooting entry, every connection field of
:mod:`airflow_provider_alteryx.hooks.form` (and the ``pool_size`` extra) its row on the connection page,
every emulator flag the emulator page names exists, and the code any page cites as plain code text (a
repository path, a test id, a dotted name of the package) exists (``docs/cites.py``). The ``emulator-help``
directive shows the emulator's own ``--help``, so the list of every flag is never copied.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import re
import sys
from pathlib import Path
from typing import Any
from unittest import mock

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import airflow_provider_alteryx
from airflow_provider_alteryx import exceptions
from airflow_provider_alteryx.emulator import server
from airflow_provider_alteryx.hooks.form import CONNECTION_FIELDS

# docs/cites.py, by the name tests/test_docs.py uses (sphinx-build puts no folder of ours on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from docs import cites

project = "airflow-provider-alteryx"
author = "The airflow-provider-alteryx maintainers"
copyright = "The airflow-provider-alteryx maintainers"
release = airflow_provider_alteryx.__version__
version = release

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode", "myst_parser"]
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"Alteryx Server provider {release}"
# No page is fetched from elsewhere while building: external names are not linked (no intersphinx).
nitpicky = True
nitpick_ignore_regex = [
    # Names of other packages (Airflow, aiohttp, the standard library...), which nothing here documents.
    (r"py:.*", r"(?!airflow_provider_alteryx\.).*\..*"),
    # Builtins and typing names as they appear in signatures (str, Any, Self, T...).
    (r"py:.*", r"[A-Za-z_]\w*"),
    # Type variables, which autodoc links as if they were classes.
    (r"py:class", r"airflow_provider_alteryx\..*\.T"),
    # Pieces of a dataclass signature whose default comes from a factory, which autodoc splits inside the
    # quoted annotation ('dict[str, ...]'=): not names at all.
    (r"py:class", r"'.*"),
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"show-inheritance": True}

DOCS = Path(__file__).parent
TROUBLESHOOTING = "troubleshooting"
CONNECTION = "connection"
EMULATOR = "emulator"
# The changelog tells of files and names as they were: what it cites may be gone.
CHANGELOG = "changelog"
# The width the emulator's --help is wrapped to on its page.
HELP_COLUMNS = "100"
# Connection extras the hook reads besides the form's fields (tuning, set in the JSON or URI forms).
UNLISTED_EXTRAS = ("pool_size",)
_log = logging.getLogger(__name__)


def error_classes() -> list[str]:
    """Every error the provider raises: the classes defined in its exceptions module."""
    return [
        f"{exceptions.__name__}.{name}"
        for name, cls in inspect.getmembers(exceptions, inspect.isclass)
        if cls.__module__ == exceptions.__name__ and issubclass(cls, exceptions.AlteryxError)
    ]


def emulator_help() -> str:
    """What ``alteryx-server-emulator --help`` prints."""
    out = io.StringIO()
    with (
        mock.patch.dict(os.environ, {"COLUMNS": HELP_COLUMNS}),
        contextlib.redirect_stdout(out),
        contextlib.suppress(SystemExit),  # --help exits when it has printed
    ):
        server.main(["--help"])
    return out.getvalue()


class EmulatorHelp(SphinxDirective):
    """``.. emulator-help::``: the emulator's ``--help``, as the installed command prints it."""

    def run(self) -> list[nodes.Node]:
        text = emulator_help()
        return [nodes.literal_block(text, text, language="text")]


def check_pages(app: Sphinx, env: BuildEnvironment) -> None:
    """Warn (an error under ``-W``) for an error class without its troubleshooting entry, or a field without its row."""
    documented = {
        name
        for name, entry in env.get_domain("py").objects.items()  # type: ignore[attr-defined]
        if entry.docname == TROUBLESHOOTING and entry.objtype == "exception"
    }
    for name in sorted(set(error_classes()) - documented):
        _log.warning("%s has no entry in %s.rst: say its cause and its fix there", name, TROUBLESHOOTING)
    page = (DOCS / f"{CONNECTION}.rst").read_text(encoding="utf-8")
    for field in (*CONNECTION_FIELDS, *UNLISTED_EXTRAS):
        if not re.search(rf"``{re.escape(field)}`` \(extra\)", page):
            _log.warning("connection field %s has no row in %s.rst", field, CONNECTION)
    flags = set(re.findall(r"--[a-z][a-z-]*", emulator_help()))
    named = set(re.findall(r"``(--[a-z][a-z-]*)", (DOCS / f"{EMULATOR}.rst").read_text(encoding="utf-8")))
    for flag in sorted(named - flags):
        _log.warning("%s.rst names emulator flag %s, which the emulator no longer has", EMULATOR, flag)


def check_code_cites(app: Sphinx, doctree: nodes.document) -> None:
    """Warn for plain code text that cites a file, a test or a name that does not exist (a cross-reference's
    text is left to Sphinx, which resolves the reference itself)."""
    if app.env.docname == CHANGELOG:
        return
    for literal in doctree.findall(nodes.literal):
        if not isinstance(literal.parent, addnodes.pending_xref):
            for problem in cites.stale(literal.astext()):
                _log.warning("%s: cite what exists now", problem, location=literal)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("emulator-help", EmulatorHelp)
    app.connect("env-check-consistency", check_pages)
    app.connect("doctree-read", check_code_cites)
    return {"parallel_read_safe": True}
