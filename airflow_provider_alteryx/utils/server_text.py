"""Text from the Alteryx Server is data: the one module that makes it safe where it lands.

Workflow, output and schedule names, comments, engine messages, statuses and error bodies are
written by many people (every workflow author names outputs), and a Server answering through a
proxy or with ``verify: false`` can say anything. So no Server text is used as a path, a URL, code
or markup as it comes; each kind of destination has one function here:

- :func:`display` for logs, trigger events and the UI: one line, with control characters, ANSI
  escapes and invisible formatting characters shown as escapes, and bounded;
- :func:`error_text` for the text of every provider error, which quotes Server text: shown as
  :func:`display` shows it, and bounded without losing its start (the cause) or its end (the fix);
- :func:`unique_file_names` for the files outputs are saved as: one safe path component each,
  distinct from the others;
- :func:`python_literal`, :func:`code_comment` and :func:`docstring_literal` for generated code.

Ids are checked as ids instead (:func:`~airflow_provider_alteryx.validation.server_id`). The
threat model in the docs (``docs/security.rst``) lists every place Server text reaches.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

# How much of one Server text a log line or an error quotes: enough to recognise it, too little to flood a log.
DISPLAY_LIMIT = 500
# A whole error text: the provider's cause and fix (up to a few hundred characters) around the Server texts it
# quotes. Over it, the middle goes; this much of the end is kept, room for the longest fix the provider writes.
ERROR_LIMIT = 2000
ERROR_END = 600
# Statuses, dispositions and other one-word values.
WORD_LIMIT = 64
# Most file systems (ext4, NTFS, APFS) and object stores take names of at most 255 bytes per component.
MAX_FILE_NAME_BYTES = 255
# An extension is kept when a long name is shortened, if it is at most this long (".csv", ".xlsx", ".yxdb").
MAX_EXTENSION_CHARS = 16
# Unicode categories that are invisible or break lines: controls, formatting (bidi overrides, zero-width),
# surrogates, unassigned code points, and line or paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Characters Windows refuses in file names (":" also opens an NTFS alternate data stream), and "#", which some
# object stores read as a URL fragment.
_NOT_IN_FILE_NAMES = frozenset('<>:"|?*#')
# Characters that look like a path separator without being one: shown as "_" so a name cannot pose as a path.
_SLASH_LOOKALIKES = frozenset("\u2215\u2216\u2044\u29f8\u29f9\u27cb\u27cd\ufe68")
# Names Windows reserves for devices, whatever their extension ("NUL.csv" is the null device there).
_RESERVED_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3"]
)
_PERCENT_ESCAPE = re.compile(r"%(?=[0-9A-Fa-f]{2})")  # "%2F", which a URL-decoding store would make a "/"
_DRIVE = re.compile(r"^[A-Za-z]:")  # "C:report.csv" is relative to drive C's current folder on Windows


def display(text: object, limit: int | None = DISPLAY_LIMIT) -> str:
    """``text`` as a log line, an error or a page may show it: one line, nothing hidden, at most ``limit`` characters.

    Control characters (newlines, ANSI escape sequences' ESC), formatting characters (bidi overrides,
    zero-width characters), surrogates and unassigned code points are written as escapes (``\\x1b``,
    ``\\u202e``), so nothing can rewrite a terminal, forge a log line or reorder what a reader sees;
    other spaces become plain spaces. Applying it twice changes nothing.
    """
    text = str(text)
    if not text.isprintable():
        text = "".join(_shown(character) for character in text)
    return text if limit is None else _bounded(text, limit)


def _shown(character: str) -> str:
    category = unicodedata.category(character)
    if category in _HIDDEN_CATEGORIES:
        return repr(character)[1:-1]  # "\x1b", "\n", "\u202e", "\ud800"
    return " " if category == "Zs" else character


def error_text(text: object) -> str:
    """An error's text, as :func:`display` shows it, in at most :data:`ERROR_LIMIT` characters.

    An over-long text (a list of 20 workflow names of 10,000 characters each) loses its middle, not its
    end: an error's text starts with the cause and ends with the fix, and both must survive. Applying it
    twice changes nothing.
    """
    return _bounded(display(text, None), ERROR_LIMIT, end=ERROR_END)


def _bounded(text: str, limit: int, end: int = 0) -> str:
    """``text`` in at most ``limit`` characters: its start, a mark saying how much was cut, and its last ``end``
    characters (so bounding twice is bounding once)."""
    if len(text) <= limit:
        return text
    kept = limit - end
    while kept > 0 and kept + len(_cut_marker(len(text) - kept - end, end)) + end > limit:
        kept -= 1
    hidden = len(text) - kept - end
    return text[:kept] + _cut_marker(hidden, end) + text[len(text) - end :]


def _cut_marker(hidden: int, end: int = 0) -> str:
    return f" [... {hidden} more characters]" + (" " if end else "")


def quoted(text: object, limit: int = DISPLAY_LIMIT) -> str:
    """``text`` quoted for a sentence (``'Regional sales'``), made safe as :func:`display` makes it."""
    return display(repr(str(text)), limit)


# ---- file names ------------------------------------------------------------------------------------
def file_name(raw: str) -> str | None:
    """One safe path component for a name the Server gave a file, or None when nothing usable is left.

    The name is reduced to its last component (after ``/`` or ``\\``, so ``../../x.csv`` and
    ``C:\\Temp\\x.csv`` are both ``x.csv``) and a drive prefix is dropped; characters that are invisible,
    that Windows refuses, that pose as separators or that an object store may decode (``%2F``) become
    ``_``; trailing dots and spaces go (Windows drops them); a device name Windows reserves (``CON``,
    ``NUL.csv``) gets a ``_`` in front; and a name over :data:`MAX_FILE_NAME_BYTES` is shortened, keeping
    its extension. Full-width and other compatibility forms are normalised first (NFKC), so a full-width
    solidus is a separator too.

    :return: the component, or None for a name that is empty once reduced (``""``, ``.``, ``..``, ``/``).
    """
    name = re.split(r"[/\\]", unicodedata.normalize("NFKC", raw))[-1]
    name = "".join(_file_name_character(character) for character in _DRIVE.sub("", name))
    name = _PERCENT_ESCAPE.sub("_", name).strip(" ").rstrip(". ")
    if not name.strip("."):
        return None
    if name.split(".", 1)[0].rstrip(" ").upper() in _RESERVED_NAMES:
        name = "_" + name
    return _fitted(name, "")


def _file_name_character(character: str) -> str:
    category = unicodedata.category(character)
    if category in _HIDDEN_CATEGORIES or character in _NOT_IN_FILE_NAMES or character in _SLASH_LOOKALIKES:
        return "_"
    return " " if category == "Zs" else character


def _fitted(name: str, suffix: str) -> str:
    """``name`` with ``suffix`` before its extension, shortened (at a character boundary) to fit in a file name."""
    stem, dot, extension = name.rpartition(".")
    if not stem or len(extension) > MAX_EXTENSION_CHARS:
        stem, dot, extension = name, "", ""
    tail = f"{suffix}{dot}{extension}"
    room = MAX_FILE_NAME_BYTES - len(tail.encode())
    kept = stem.encode()[:room].decode(errors="ignore")  # a cut through a multi-byte character drops it
    return kept + tail


def unique_file_names(raw_names: Sequence[str]) -> list[str | None]:
    """:func:`file_name` of each name, made distinct: a later name that would land on an earlier one gets ``-2``,
    ``-3``... before its extension, so every output survives. Names are compared ignoring case, as Windows and
    macOS file systems do.

    :return: one entry per name, in order; None where :func:`file_name` found nothing usable.
    """
    taken: set[str] = set()
    names: list[str | None] = []
    for raw in raw_names:
        base = file_name(raw)
        name, copy = base, 1
        while name is not None and name.casefold() in taken:
            copy += 1
            name = _fitted(base or "", f"-{copy}")
        if name is not None:
            taken.add(name.casefold())
        names.append(name)
    return names


# ---- generated code --------------------------------------------------------------------------------
def python_literal(value: Any) -> str:
    """A Python literal that evaluates to ``value`` exactly, however hostile its text.

    Strings are written by ``repr`` (which escapes quotes, backslashes, line breaks and every
    non-printable character), in double quotes where that needs no escape; numbers, booleans and None as
    themselves; lists and dicts of these element by element.

    :raises TypeError: a value of another type (nothing else belongs in a generated file).
    """
    if isinstance(value, str):
        literal = repr(value)
        # repr chose single quotes, and the text has no quote of either kind: the same literal in double quotes.
        if literal.startswith("'") and '"' not in value and "'" not in value:
            literal = f'"{literal[1:-1]}"'
        return literal
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no literal is written for a {type(value).__name__}")


def code_comment(text: str, limit: int = DISPLAY_LIMIT) -> str:
    """A ``#`` comment showing ``text`` on one line: :func:`display` escapes every line break, so nothing after
    it can become code."""
    return f"# {display(text, limit)}"


def docstring_literal(text: str) -> str:
    """A triple-quoted literal of ``text`` (whose Server parts went through :func:`display`): backslashes and
    double quotes are escaped, so no ``\"\"\"`` in the text can end it early.

    :raises ValueError: ``text`` has a character :func:`display` would have escaped (a caller's mistake).
    """
    if any(line != display(line, None) for line in text.split("\n")):
        raise ValueError("a docstring's lines must be display() text")
    literal = '"""' + text.replace("\\", "\\\\").replace('"', '\\"') + '"""'
    if ast.literal_eval(literal) != text:  # cannot happen; a generated file must never depend on it
        raise ValueError("the docstring did not survive quoting")
    return literal
