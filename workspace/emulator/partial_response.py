"""Google's ``fields`` parameter (partial response): parse the selector, trim the resource.

Syntax: comma-separated selectors; ``a/b`` selects ``b`` inside ``a``; ``a(b,c/d)`` selects several
fields inside ``a``; ``*`` selects every field at its level. A selection inside an array applies
to each element, so ``users(primaryEmail)`` keeps the address of every listed user.

Selecting the whole of a field wins over selecting parts of it (``a,a/b`` keeps all of ``a``).
Only the syntax is checked: Google also refuses field names its schema does not have, which the
emulator does not attempt.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workspace.emulator.errors import GoogleApiError, invalid

WILDCARD = "*"
#: Deeper than any real resource; bounds recursion on hostile input.
MAX_DEPTH = 64

_NAME = re.compile(r"\*|[^,/()*\s]+")


@dataclass(frozen=True)
class FieldMask:
    """A parsed ``fields`` expression; ``entries`` are sorted by name so equal masks compare equal.

    An entry's mask is ``None`` when the whole field is selected.
    """

    entries: tuple[tuple[str, FieldMask | None], ...]

    def __str__(self) -> str:
        """The canonical ``fields`` expression: parsing it gives back an equal mask."""
        return ",".join(name if sub is None else f"{name}({sub})" for name, sub in self.entries)

    def selection(self, name: str) -> tuple[bool, FieldMask | None]:
        """Whether ``name`` is selected (directly or by ``*``), and what of it is kept."""
        found = [sub for key, sub in self.entries if key in {name, WILDCARD}]
        if not found:
            return False, None
        merged = found[0]
        for sub in found[1:]:
            merged = _merge(merged, sub)
        return True, merged


def _mask(entries: Mapping[str, FieldMask | None]) -> FieldMask:
    return FieldMask(tuple(sorted(entries.items(), key=lambda item: item[0])))


def _merge(left: FieldMask | None, right: FieldMask | None) -> FieldMask | None:
    if left is None or right is None:
        return None
    merged: dict[str, FieldMask | None] = dict(left.entries)
    for name, sub in right.entries:
        merged[name] = _merge(merged[name], sub) if name in merged else sub
    return _mask(merged)


def parse_fields(expr: str) -> FieldMask:
    """Parse a ``fields`` expression, refusing malformed syntax with Google's 400."""
    entries, position = _parse_list(expr, 0, depth=0)
    if position != len(expr):
        raise _refusal(expr)  # e.g. a stray ")"
    return _mask(entries)


def _refusal(expr: str) -> GoogleApiError:
    return invalid(f"Invalid field selection {expr}", location="fields")


def _skip_spaces(expr: str, position: int) -> int:
    while position < len(expr) and expr[position].isspace():
        position += 1
    return position


def _parse_list(expr: str, position: int, *, depth: int) -> tuple[dict[str, FieldMask | None], int]:
    entries: dict[str, FieldMask | None] = {}
    while True:
        path, position = _parse_path(expr, position)
        if depth + len(path) > MAX_DEPTH:
            raise _refusal(expr)
        sub, position = _parse_sub_selection(expr, position, depth=depth + len(path))
        _add(entries, path, sub)
        position = _skip_spaces(expr, position)
        if position >= len(expr) or expr[position] != ",":
            return entries, position
        position += 1


def _parse_path(expr: str, position: int) -> tuple[list[str], int]:
    names: list[str] = []
    while True:
        position = _skip_spaces(expr, position)
        found = _NAME.match(expr, position)
        if found is None:
            raise _refusal(expr)  # empty selector, e.g. "a,,b", "a/" or "()"
        names.append(found.group())
        position = _skip_spaces(expr, found.end())
        if position >= len(expr) or expr[position] != "/":
            return names, position
        position += 1


def _parse_sub_selection(expr: str, position: int, *, depth: int) -> tuple[FieldMask | None, int]:
    if position >= len(expr) or expr[position] != "(":
        return None, position
    entries, position = _parse_list(expr, position + 1, depth=depth)
    if position >= len(expr) or expr[position] != ")":
        raise _refusal(expr)  # unbalanced parentheses
    return _mask(entries), position + 1


def _add(entries: dict[str, FieldMask | None], path: list[str], sub: FieldMask | None) -> None:
    """Record ``a/b/c(sub)`` as ``a(b(c(sub)))``, merged with what ``a`` already selects."""
    selection = sub
    for name in reversed(path[1:]):
        selection = _mask({name: selection})
    head = path[0]
    entries[head] = _merge(entries[head], selection) if head in entries else selection


def apply_fields(resource: Mapping[str, Any], mask: FieldMask) -> dict[str, Any]:
    """The part of ``resource`` that ``mask`` selects, as a new, independent dict.

    Fields the resource lacks are simply absent; a sub-selection on a scalar keeps nothing, and
    one that keeps nothing of an object leaves the object out (but keeps array positions).
    """
    result: dict[str, Any] = {}
    for key, value in resource.items():
        selected, sub = mask.selection(key)
        if not selected:
            continue
        if sub is None:
            result[key] = copy.deepcopy(value)
            continue
        kept = _project(value, sub)
        if kept is not None:
            result[key] = kept
    return result


def _project(value: object, mask: FieldMask) -> Any:
    """Apply a sub-selection to one value; ``None`` means nothing of it is kept."""
    if isinstance(value, Mapping):
        return apply_fields(value, mask) or None
    if isinstance(value, list):
        return [_project_element(element, mask) for element in value if _is_container(element)]
    return None


def _project_element(element: object, mask: FieldMask) -> Any:
    if isinstance(element, Mapping):
        return apply_fields(element, mask)
    return _project(element, mask) or []


def _is_container(value: object) -> bool:
    return isinstance(value, Mapping | list)
