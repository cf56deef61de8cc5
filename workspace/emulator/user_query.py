"""The ``query`` parameter of Directory ``users.list`` ("Search for users"), parsed and matched.

Only the clauses the project relies on are implemented; anything else is refused with a 400
rather than silently matching everything, so a query the emulator does not understand can never
make a test pass that Google would fail.

Grammar: clauses separated by whitespace, all of which must match. A clause is
``field:value`` or ``field=value``; a value containing whitespace is single-quoted, and a quote
inside it is escaped as ``\\'``. ``:`` is a prefix/word match (a trailing ``*`` is allowed),
``=`` an exact one; both ignore letter case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from workspace.emulator.errors import GoogleApiError, invalid

Operator = Literal[":", "="]

_CLAUSE_FIELD = re.compile(r"([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?)([:=])")
_BOOLEANS: Mapping[str, bool] = {"true": True, "false": False}


@dataclass(frozen=True)
class Clause:
    """One ``field<operator>value`` term; ``field`` is ``Schema.field`` for custom schemas."""

    field: str
    operator: Operator
    value: str

    def matches(self, user: Mapping[str, Any]) -> bool:
        if "." in self.field:
            return _match_custom(self, user)
        return _MATCHERS[self.field](self, user)


@dataclass(frozen=True)
class UserQuery:
    """A parsed query; the empty query (no clauses) matches every user."""

    clauses: tuple[Clause, ...] = ()

    def matches(self, user: Mapping[str, Any]) -> bool:
        """Whether the stored ``User`` resource JSON satisfies every clause."""
        return all(clause.matches(user) for clause in self.clauses)


def parse_user_query(query: str) -> UserQuery:
    """Parse ``query``, refusing unknown fields and malformed syntax with Google's 400."""
    clauses: list[Clause] = []
    position = _skip_spaces(query, 0)
    while position < len(query):
        clause, position = _parse_clause(query, position)
        _check_supported(query, clause)
        clauses.append(clause)
        position = _skip_spaces(query, position)
    return UserQuery(tuple(clauses))


def _refusal(query: str) -> GoogleApiError:
    return invalid(f"Invalid Input: {query}", location="query")


def _skip_spaces(query: str, position: int) -> int:
    while position < len(query) and query[position].isspace():
        position += 1
    return position


def _parse_clause(query: str, position: int) -> tuple[Clause, int]:
    found = _CLAUSE_FIELD.match(query, position)
    if found is None:
        raise _refusal(query)
    field, operator = found.group(1), found.group(2)
    value, position = _parse_value(query, found.end())
    if not value:
        raise _refusal(query)
    return Clause(field, ":" if operator == ":" else "=", value), position


def _parse_value(query: str, position: int) -> tuple[str, int]:
    if position < len(query) and query[position] == "'":
        return _parse_quoted(query, position + 1)
    end = position
    while end < len(query) and not query[end].isspace():
        end += 1
    return query[position:end], end


def _parse_quoted(query: str, position: int) -> tuple[str, int]:
    """Read up to the closing quote, which must end the clause; ``\\'`` is a literal quote."""
    chars: list[str] = []
    while position < len(query):
        char = query[position]
        if char == "\\" and query.startswith("'", position + 1):
            chars.append("'")
            position += 2
        elif char == "'":
            position += 1
            if position < len(query) and not query[position].isspace():
                raise _refusal(query)
            return "".join(chars), position
        else:
            chars.append(char)
            position += 1
    raise _refusal(query)  # unterminated quote


def _check_supported(query: str, clause: Clause) -> None:
    if "." in clause.field:
        return  # Schema.field: both operators
    operators = _OPERATORS.get(clause.field)
    if operators is None or clause.operator not in operators:
        raise _refusal(query)
    if clause.field in {"isSuspended", "isAdmin"} and clause.value.lower() not in _BOOLEANS:
        raise _refusal(query)
    if clause.field == "orgUnitPath" and not clause.value.startswith("/"):
        raise _refusal(query)


def _fold(value: str) -> str:
    return value.casefold()


def _text_matches(clause: Clause, candidate: str) -> bool:
    """``=``: the whole value; ``:``: a prefix of the value or of one of its words."""
    if clause.operator == "=":
        return _fold(candidate) == _fold(clause.value)
    wanted = _fold(clause.value.removesuffix("*"))
    text = _fold(candidate)
    return text.startswith(wanted) or any(word.startswith(wanted) for word in text.split())


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _objects(value: object) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, Mapping))


def _addresses(user: Mapping[str, Any]) -> Iterator[str]:
    """Google searches the primary address, aliases and the other ``emails`` alike."""
    primary = _string(user.get("primaryEmail"))
    if primary is not None:
        yield primary
    for key in ("aliases", "nonEditableAliases"):
        aliases = user.get(key)
        if isinstance(aliases, list):
            yield from (alias for alias in aliases if isinstance(alias, str))
    for email in _objects(user.get("emails")):
        address = _string(email.get("address"))
        if address is not None:
            yield address


def _match_email(clause: Clause, user: Mapping[str, Any]) -> bool:
    """``:`` is exact too, unless the value ends in ``*`` (Google's ``email:{PREFIX}*``)."""
    wanted = _fold(clause.value)
    if clause.operator == ":" and wanted.endswith("*"):
        prefix = wanted.removesuffix("*")
        return any(_fold(address).startswith(prefix) for address in _addresses(user))
    return any(_fold(address) == wanted for address in _addresses(user))


def _full_name(user: Mapping[str, Any]) -> str:
    name = _mapping(user.get("name"))
    full = _string(name.get("fullName"))
    if full:
        return full
    parts = (_string(name.get("givenName")), _string(name.get("familyName")))
    return " ".join(part for part in parts if part)


def _name_part(key: str) -> Callable[[Clause, Mapping[str, Any]], bool]:
    def match(clause: Clause, user: Mapping[str, Any]) -> bool:
        value = _string(_mapping(user.get("name")).get(key))
        return value is not None and _text_matches(clause, value)

    return match


def _match_name(clause: Clause, user: Mapping[str, Any]) -> bool:
    full = _full_name(user)
    return bool(full) and _text_matches(clause, full)


def _match_external_id(clause: Clause, user: Mapping[str, Any]) -> bool:
    wanted = _fold(clause.value)
    return any(
        isinstance(value, str) and _fold(value) == wanted
        for value in (item.get("value") for item in _objects(user.get("externalIds")))
    )


def _normalized_path(path: str) -> str:
    return "/" + _fold(path).strip("/")


def _match_org_unit(clause: Clause, user: Mapping[str, Any]) -> bool:
    """An org unit matches its own users and those of every unit below it."""
    wanted = _normalized_path(clause.value)
    actual = _normalized_path(_string(user.get("orgUnitPath")) or "/")
    return wanted in {"/", actual} or actual.startswith(wanted + "/")


def _flag(key: str) -> Callable[[Clause, Mapping[str, Any]], bool]:
    def match(clause: Clause, user: Mapping[str, Any]) -> bool:
        return (user.get(key) is True) == _BOOLEANS[clause.value.lower()]

    return match


def _custom_values(value: object) -> Iterator[str]:
    """Multi-valued custom fields are stored as ``[{"type": ..., "value": ...}]``."""
    if isinstance(value, list):
        for item in value:
            yield from _custom_values(item.get("value") if isinstance(item, Mapping) else item)
    elif isinstance(value, bool):
        yield "true" if value else "false"
    elif isinstance(value, str | int | float):
        yield str(value)


def _match_custom(clause: Clause, user: Mapping[str, Any]) -> bool:
    schema_name, field = clause.field.split(".", 1)
    schema = _mapping(_mapping(user.get("customSchemas")).get(schema_name))
    if field not in schema:
        return False
    if clause.operator == "=":
        return any(_fold(v) == _fold(clause.value) for v in _custom_values(schema[field]))
    prefix = _fold(clause.value.removesuffix("*"))
    return any(_fold(v).startswith(prefix) for v in _custom_values(schema[field]))


_MATCHERS: Mapping[str, Callable[[Clause, Mapping[str, Any]], bool]] = {
    "email": _match_email,
    "givenName": _name_part("givenName"),
    "familyName": _name_part("familyName"),
    "name": _match_name,
    "externalId": _match_external_id,
    "orgUnitPath": _match_org_unit,
    "isSuspended": _flag("suspended"),
    "isAdmin": _flag("isAdmin"),
}

_BOTH: frozenset[str] = frozenset({":", "="})
_EXACT: frozenset[str] = frozenset({"="})
_OPERATORS: Mapping[str, frozenset[str]] = {
    "email": _BOTH,
    "givenName": _BOTH,
    "familyName": _BOTH,
    "name": _BOTH,
    "externalId": _BOTH,
    "orgUnitPath": _EXACT,
    "isSuspended": _EXACT,
    "isAdmin": _EXACT,
}
