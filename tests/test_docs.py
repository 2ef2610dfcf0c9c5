"""What the README and CONTRIBUTING.md point at exists, the README's DAG is a DAG, and links from the code into
the docs land on a heading. (The docs site's own references are checked by ``make docs``.)"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from airflow_provider_alteryx.operators import lineage

REPO = Path(__file__).resolve().parents[1]
PAGES = ("README.md", "CONTRIBUTING.md")
# Markdown links and images: [text](target).
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
# Where the project's own files are published: links to it name files of this repository.
OWN_URL = "https://github.com/airflow-provider-alteryx/airflow-provider-alteryx/blob/main/"
README_MAX_LINES = 150


def relative_links(page: str) -> list[str]:
    return [target for target in LINK.findall((REPO / page).read_text()) if not urlsplit(target).scheme]


def rst_anchors(path: Path) -> set[str]:
    """The anchors a reStructuredText page gets on GitHub and in Sphinx: one per section title."""
    lines = path.read_text().splitlines()
    titles = [
        title
        for title, underline in pairwise(lines)
        if title.strip() and re.fullmatch(r"([=\-~^])\1+", underline) and len(underline) >= len(title)
    ]
    return {re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") for title in titles}


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_resolves(page: str) -> None:
    links = relative_links(page)
    assert links, f"{page} links to nothing in the repository"
    missing = [target for target in links if not (REPO / unquote(target.partition("#")[0])).exists()]
    assert not missing, f"{page} links to files that do not exist: {missing}"


def test_readme_is_short() -> None:
    assert len((REPO / "README.md").read_text().splitlines()) <= README_MAX_LINES


def test_the_readme_dag_parses_into_one_alteryx_task() -> None:
    (block,) = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.DOTALL)
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - the README's own example
    tasks = namespace["dag"].tasks  # type: ignore[attr-defined]
    assert [(type(task).__name__, task.workflow_name) for task in tasks] == [
        ("AlteryxRunWorkflowOperator", "Regional sales")
    ]


def test_the_lineage_facet_schema_url_lands_on_a_heading_of_the_docs() -> None:
    schema = lineage._SCHEMA_URL
    assert schema.startswith(OWN_URL), schema
    path, _, anchor = schema.removeprefix(OWN_URL).partition("#")
    assert anchor in rst_anchors(REPO / path), f"{path} has no heading for #{anchor}"
