"""The shape of a Server answer: its keys and the JSON types of its values, never a value.

A shape is what ``alteryx-airflow doctor`` writes into its report and compares, so a report can be
attached to a bug without showing anything of the Server's data:

- a scalar is its JSON type: ``"str"``, ``"number"``, ``"bool"`` or ``"null"``, several joined by ``|``;
- a list is ``[]`` while no item was seen, else ``[item]``, the shape of all its items merged;
- an object is ``{key: shape}``, a key seen in only some of the merged objects written ``key?``.

Keys are Server text too: one that is not a plain identifier (a key made of an id, a path, a name) is
replaced by a short hash of itself, so no id or name reaches a report.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

Shape = str | list[Any] | dict[str, Any]
OPTIONAL = "?"
# What a key must look like to be written as it is: the identifiers real answers use.
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# A plain-looking key that is really an id (24 hexadecimal characters) is hashed all the same.
_ID = re.compile(r"[0-9a-fA-F]{24}")


def short_hash(value: str) -> str:
    """``#`` and 8 hexadecimal characters of the value's SHA-256: enough to tell two apart, nothing to read back."""
    return "#" + hashlib.sha256(value.encode()).hexdigest()[:8]


def shape_of(value: Any) -> Shape:
    """The shape of a decoded JSON answer."""
    if isinstance(value, dict):
        return {_key(str(key)): shape_of(item) for key, item in value.items()}
    if isinstance(value, list):
        merged: Shape | None = None
        for item in value:
            merged = merge(merged, shape_of(item))
        return [] if merged is None else [merged]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, (int, float)) else "str"


def _key(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) and not _ID.fullmatch(key) else f"<key {short_hash(key)}>"


def merge(first: Shape | None, second: Shape) -> Shape:
    """One shape covering both: how a list's items, or the answers to one call made twice, are summed up."""
    if first is None or first == second:
        return second
    if isinstance(first, dict) and isinstance(second, dict):
        return _merge_objects(first, second)
    if isinstance(first, list) and isinstance(second, list):
        return [merge(first[0] if first else None, second[0])] if second else first
    # A null beside an object or a list says only that the value may be missing: the structure is what counts.
    if first == "null" and not isinstance(second, str):
        return second
    if second == "null" and not isinstance(first, str):
        return first
    return "|".join(sorted(kinds(first) | kinds(second)))


def _merge_objects(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    one, other = _fields(first), _fields(second)
    merged: dict[str, Any] = {}
    for name in sorted(one.keys() | other.keys()):
        if name in one and name in other:
            shape = merge(one[name][0], other[name][0])
            optional = one[name][1] or other[name][1]
        else:
            shape, optional = (one.get(name) or other[name])[0], True
        merged[name + OPTIONAL if optional else name] = shape
    return merged


def _fields(shape: dict[str, Any]) -> dict[str, tuple[Shape, bool]]:
    """An object shape's fields by name, each with whether it is optional."""
    return {key.removesuffix(OPTIONAL): (value, key.endswith(OPTIONAL)) for key, value in shape.items()}


def kinds(shape: Shape) -> set[str]:
    """The JSON types a shape allows: ``object``, ``list``, or its scalar types."""
    if isinstance(shape, dict):
        return {"object"}
    if isinstance(shape, list):
        return {"list"}
    return set(shape.split("|"))


def missing_from(expected: Shape, actual: Shape, where: str = "") -> Iterator[str]:
    """What ``actual`` lacks of ``expected`` (fields, or types), for the fields ``expected`` requires.

    How the provider's expectations are checked: extra fields in ``actual`` are no problem, and a field
    written ``key?`` in ``expected`` is only checked where present.
    """
    if not kinds(expected) & kinds(actual):
        yield f"{where or 'the answer'}: {_kind(actual)}, where {_kind(expected)} is expected"
    elif isinstance(expected, dict) and isinstance(actual, dict):
        found = _fields(actual)
        for name, (shape, optional) in _fields(expected).items():
            path = f"{where}.{name}" if where else name
            if name not in found:
                if not optional:
                    yield f"{path}: missing"
            else:
                if found[name][1] and not optional:
                    yield f"{path}: missing from some answers"
                yield from missing_from(shape, found[name][0], path)
    elif isinstance(expected, list) and isinstance(actual, list) and expected and actual:
        yield from missing_from(expected[0], actual[0], f"{where}[]")


def differences(first: Shape, second: Shape, names: tuple[str, str], where: str = "") -> Iterator[str]:
    """Where two shapes of one answer differ, each side named by ``names``.

    A field only one side has is reported where that side always has it (one seen in only some answers
    may be missing from the other's by chance); a list with no item seen matches any list.
    """
    if not kinds(first) & kinds(second):
        yield f"{where or 'the answer'}: {_kind(first)} from {names[0]}, {_kind(second)} from {names[1]}"
    elif isinstance(first, dict) and isinstance(second, dict):
        yield from _object_differences(_fields(first), _fields(second), names, where)
    elif isinstance(first, list) and isinstance(second, list) and first and second:
        yield from differences(first[0], second[0], names, f"{where}[]")


def _object_differences(
    first: dict[str, tuple[Shape, bool]],
    second: dict[str, tuple[Shape, bool]],
    names: tuple[str, str],
    where: str,
) -> Iterator[str]:
    for name in sorted(first.keys() | second.keys()):
        path = f"{where}.{name}" if where else name
        if name in first and name in second:
            yield from differences(first[name][0], second[name][0], names, path)
        elif name in first and not first[name][1]:
            yield f"{path}: only {names[0]} sends it"
        elif name in second and not second[name][1]:
            yield f"{path}: only {names[1]} sends it"


def _kind(shape: Shape) -> str:
    return "|".join(sorted(kinds(shape)))
