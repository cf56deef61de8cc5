"""Google's ``fields`` parameter (partial response): parse the selector, trim the resource.

Syntax: comma-separated selectors; ``a/b`` selects ``b`` inside ``a``; ``a(b,c/d)`` selects several
fields inside ``a``; ``*`` selects every field at its level. A selection inside an array applies
to each element, so ``users(primaryEmail)`` keeps the address of every listed user.

Selecting the whole of a field wins over selecting parts of it (``a,a/b`` keeps all of ``a``).
Only the syntax is checked: Google also refuses field names its schema does not have, which the
emulator does not attempt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
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
        if name in self._named:
            return True, self._named[name]
        if self._wildcard:
            return True, self._wildcard[0]
        return False, None

    @cached_property
    def _wildcard(self) -> tuple[FieldMask | None, ...]:
        """``(what * keeps,)``, or ``()`` when there is no ``*``."""
        return tuple(sub for key, sub in self.entries if key == WILDCARD)[:1]

    @cached_property
    def _named(self) -> dict[str, FieldMask | None]:
        """Each named field with what it keeps, merged with what ``*`` keeps (computed once:
        a listing of 500 users asks for every field of every user)."""
        named: dict[str, FieldMask | None] = {}
        for key, sub in self.entries:
            if key != WILDCARD:
                named[key] = _merge(named[key], sub) if key in named else sub
        if self._wildcard:
            named = {key: _merge(sub, self._wildcard[0]) for key, sub in named.items()}
        return named


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


class Trimmed(dict[str, Any]):
    """An answer its handler already cut to the request's ``fields`` (a big listing does it
    while reading the stored users): trimming it again would only copy it again."""


def apply_fields(resource: Mapping[str, Any], mask: FieldMask) -> dict[str, Any]:
    """The part of ``resource`` that ``mask`` selects, as a new, independent dict.

    Fields the resource lacks are simply absent; a sub-selection on a scalar keeps nothing, and
    one that keeps nothing of an object leaves the object out (but keeps array positions).
    """
    result: dict[str, Any] = {}
    named = mask._named
    # without ``*`` only the named fields can be kept (in the resource's own order, as Google)
    keys = list(resource) if mask._wildcard else [key for key in resource if key in named]
    for key in keys:
        value = resource[key]
        selected, sub = mask.selection(key)
        if not selected:
            continue
        if sub is None:
            result[key] = _copy(value)
            continue
        kept = _project(value, sub)
        if kept is not None:
            result[key] = kept
    return result


def _copy(value: Any) -> Any:
    """An independent copy of JSON data (dicts, lists, scalars): deepcopy's bookkeeping is
    most of a big listing's time, and JSON data has no shared or cyclic parts to track."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


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
