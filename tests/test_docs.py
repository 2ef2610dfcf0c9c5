"""What the README and CONTRIBUTING.md point at and the code they cite exist, the README's DAG is a DAG, and
links from the code into the docs land on a heading. (The docs site's own references are checked by
``make docs``.)"""

from __future__ import annotations

import re
import tomllib
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from airflow_provider_alteryx.operators import lineage
from docs import cites

REPO = Path(__file__).resolve().parents[1]
PAGES = ("README.md", "CONTRIBUTING.md")
# Markdown links and images, [text](target), and link definitions, [name]: target.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)", flags=re.MULTILINE)
# Where the project's own files are published (its Source, on the main branch): links there name files of this
# repository.
OWN_URL = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]["Source"] + "/blob/main/"
# Markdown code: fenced blocks (commands and a DAG, not citations) and spans, `code` or ``code``.
FENCED = re.compile(r"^```.*?^```", flags=re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", flags=re.DOTALL)
README_MAX_LINES = 150


def links(page: str) -> list[str]:
    return [inline or defined for inline, defined in LINK.findall((REPO / page).read_text())]


def repository_target(page: str, link: str) -> str | None:
    """The repository path (and #anchor) a link of ``page`` names, relative or at OWN_URL; None for one elsewhere."""
    if link.startswith(OWN_URL):
        return unquote(link.removeprefix(OWN_URL))
    if urlsplit(link).scheme:
        return None
    return page + link if link.startswith("#") else unquote(link)


def anchors(path: Path) -> set[str]:
    """The anchors a page gets on GitHub (and, for reStructuredText, in Sphinx): one per section title."""
    if path.suffix == ".md":
        lines = FENCED.sub("", path.read_text()).splitlines()
        titles = [line.lstrip("#").strip() for line in lines if re.match(r"#{1,6} ", line)]
        return {re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-") for title in titles}
    lines = path.read_text().splitlines()
    titles = [
        title
        for title, underline in pairwise(lines)
        if title.strip() and re.fullmatch(r"([=\-~^])\1+", underline) and len(underline) >= len(title)
    ]
    return {re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") for title in titles}


def test_the_readme_links_absolutely() -> None:
    # The README is also the project's page on PyPI, where a relative link leads nowhere.
    relative = [link for link in links("README.md") if not urlsplit(link).scheme]
    assert not relative, f"README.md links relatively to {relative}: link to {OWN_URL}<path> instead"


@pytest.mark.parametrize("page", PAGES)
def test_every_link_into_the_repository_resolves(page: str) -> None:
    targets = [target for link in links(page) if (target := repository_target(page, link)) is not None]
    assert targets, f"{page} links to nothing in the repository"
    missing = [target for target in targets if not (REPO / target.partition("#")[0]).exists()]
    assert not missing, f"{page} links to files that do not exist: {missing}"
    unanchored = [
        f"{path}#{anchor}"
        for path, _, anchor in (target.partition("#") for target in targets)
        if anchor and anchor not in anchors(REPO / path)
    ]
    assert not unanchored, f"{page} links to headings that do not exist: {unanchored}"


@pytest.mark.parametrize("page", PAGES)
def test_the_code_a_page_names_exists(page: str) -> None:
    spans = CODE_SPAN.findall(FENCED.sub("", (REPO / page).read_text()))
    stale = [problem for _, span in spans for problem in cites.stale(span)]
    assert not stale, f"{page} cites code that does not exist: {stale}"


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
    assert anchor in anchors(REPO / path), f"{path} has no heading for #{anchor}"
