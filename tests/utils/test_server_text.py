"""What Server text may become: a shown line, a file name, a literal or a comment, each safe whatever the text.

The table states the cases a workflow author or a hostile Server could write; the properties
(hypothesis) search the rest of Unicode, biased towards the fragments that have broken tools before.
"""

from __future__ import annotations

import ast
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_alteryx.utils.server_text import (
    ERROR_END,
    ERROR_LIMIT,
    MAX_FILE_NAME_BYTES,
    code_comment,
    display,
    docstring_literal,
    error_text,
    file_name,
    python_literal,
    unique_file_names,
)

# Fragments that have turned names into paths, code or terminal commands in other tools.
HOSTILE = [
    "..", "/", "\\", "C:", "c:\\", "\x00", "\n", "\r", '"""', "'''", "#", "%2F", "%5c", "\x1b[31m", "\x1b]0;t\x07",
    "\u202e", "\u200b", "\u2028", "\ufeff", "\ud800", "／", "＼", "∕", "ＣＯＮ", "NUL", "com1", "LPT¹", " ", ".", "é", "ﬁ",
    "__import__('os').system('x')", "}}{{", "\t",
]  # fmt: skip
hostile_text = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=8), max_size=12).map("".join)
any_text = st.text(st.characters(exclude_categories=())) | hostile_text


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../../escaped.csv", "escaped.csv"),
        ("/etc/passwd", "passwd"),
        ("C:\\Windows\\win.ini", "win.ini"),
        ("C:report.csv", "report.csv"),
        ("sub/dir/x.csv", "x.csv"),
        ("a\x00b\nc.csv", "a_b_c.csv"),
        ("NUL.csv", "_NUL.csv"),
        ("report.csv. . ", "report.csv"),
        ("photo\u202egpj.exe", "photo_gpj.exe"),  # a right-to-left override that would show "exe.jpg"
        ("ａ／ｂ.csv", "b.csv"),  # full-width forms are normalised, so the full-width solidus separates too
        ("a∕b.csv", "a_b.csv"),  # a division slash only looks like one
        ("100%2F.csv", "100_2F.csv"),
        ("a:stream.csv", "stream.csv"),
        ("Q1 #1?.xlsx", "Q1 _1_.xlsx"),
        ("Ümsätze 2026.xlsx", "Ümsätze 2026.xlsx"),
    ],
)
def test_names_become_one_safe_component(raw: str, safe: str) -> None:
    assert file_name(raw) == safe


@pytest.mark.parametrize("raw", ["", ".", "..", "...", "/", "\\", "a/..", "C:", " . "])
def test_names_that_leave_nothing_are_refused(raw: str) -> None:
    assert file_name(raw) is None


def test_long_names_keep_their_extension_and_fit() -> None:
    for raw in ["x" * 10_000 + ".csv", "é" * 300 + ".yxdb", "名" * 200]:
        name = file_name(raw)
        assert name is not None and len(name.encode()) <= MAX_FILE_NAME_BYTES
        assert name.endswith(PurePosixPath(raw).suffix)


def test_colliding_names_all_survive_distinct_ignoring_case() -> None:
    assert unique_file_names(["a.csv", "A.csv", "a-2.csv", "x/a.csv", ".."]) == [
        "a.csv",
        "A-2.csv",
        "a-2-2.csv",
        "a-3.csv",
        None,
    ]


@settings(max_examples=800)
@given(any_text)
def test_any_name_is_one_component_that_stays_inside_its_folder(raw: str) -> None:
    name = file_name(raw)
    if name is None:
        return
    assert name.isprintable() and name not in (".", "..") and not name.endswith((".", " "))
    assert not set(name) & set('/\\<>:"|?*#') and len(name.encode()) <= MAX_FILE_NAME_BYTES
    for path in (PurePosixPath("/base", name), PureWindowsPath("C:\\base", name)):
        assert path.parent == path.parent.__class__(
            path.anchor, "base"
        )  # one component, no escape, no new drive
    assert name.split(".")[0].rstrip(" ").upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    assert file_name(name) == name  # already safe: unchanged


@given(st.lists(any_text, max_size=8))
def test_any_names_stay_distinct(raws: list[str]) -> None:
    names = [name.casefold() for name in unique_file_names(raws) if name is not None]
    assert len(names) == len(set(names))


@given(any_text, st.integers(min_value=40, max_value=600))
def test_shown_text_is_one_visible_bounded_line_and_showing_twice_changes_nothing(
    raw: str, limit: int
) -> None:
    shown = display(raw, limit)
    assert len(shown) <= limit and shown.isprintable()
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in shown)
    assert display(shown, limit) == shown


@given(st.text(max_size=40), any_text, st.integers(min_value=0, max_value=4 * ERROR_LIMIT))
def test_an_error_text_is_one_bounded_line_that_keeps_its_cause_and_its_fix(
    cause: str, quoted: str, padding: int
) -> None:
    raw = f"{cause}: {quoted}{'y' * padding}. Fix it."
    shown, whole = error_text(raw), display(raw, None)
    assert len(shown) <= ERROR_LIMIT and shown.isprintable() and error_text(shown) == shown
    assert shown.startswith(display(cause, None)) and shown.endswith(whole[-ERROR_END:])
    assert shown == whole or " more characters] " in shown


@given(
    st.recursive(
        any_text | st.none() | st.booleans() | st.integers(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
        max_leaves=8,
    )
)
def test_a_literal_evaluates_to_its_value_and_is_nothing_else(value: object) -> None:
    literal = python_literal(value)
    (statement,) = ast.parse(f"x = {literal}").body  # exactly one statement: nothing breaks out
    assert isinstance(statement, ast.Assign) and ast.literal_eval(literal) == value


@given(any_text)
def test_a_comment_cannot_end_early(raw: str) -> None:
    tree = ast.parse(f"{code_comment(raw)}\nx = 1\n")
    assert [ast.unparse(statement) for statement in tree.body] == ["x = 1"]


@given(st.lists(any_text, max_size=4))
def test_a_docstring_of_shown_text_is_that_text(raws: list[str]) -> None:
    text = "\n".join(display(raw) for raw in raws)
    module = ast.parse(docstring_literal(text) + "\nx = 1\n")
    assert ast.get_docstring(module, clean=False) == text and len(module.body) == 2


def test_a_docstring_refuses_text_that_was_not_shown_first() -> None:
    with pytest.raises(ValueError, match="display"):
        docstring_literal("a\x1b[31m")
