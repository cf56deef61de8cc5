"""The one rule for values misena stores, the same on SQLite and PostgreSQL.

Sofia Plus retries every answer but a 2xx, so a value that can never be stored must be refused
up front with a 4xx naming its field — not accepted on SQLite and a 500 on PostgreSQL, retried
forever. What can never be stored:

- **NUL** (U+0000): PostgreSQL text columns refuse it (SQLite keeps it, so the stores would
  disagree);
- **lone surrogates** (U+D800 to U+DFFF, unpaired): ``json.loads`` accepts ``"\\ud800"``,
  but it is not a character and has no UTF-8 form;
- **more characters than the column holds** (``VARCHAR(n)`` on PostgreSQL; SQLite ignores n);
- **an instant with no UTC form** (``9999-12-31T23:00-05:00``): every timestamp is stored and
  compared in UTC, and the conversion overflows.

Fields with a meaning — names, codes, addresses, reasons — also refuse the other control
characters (C0, DEL, C1): no name or code has one, and they would reach Google and the logs.
Tab, line feed and carriage return are the exception: they lay text out, and a spreadsheet
cell exported by Sofia Plus may well hold two lines. Everything else is kept exactly as sent:
accents, ñ, emoji (with their zero-width joiners), right-to-left marks. Real names carry them.

:class:`StoredText` applies the rule to a pydantic ``str`` field, :data:`StorableInstant` to a
datetime; :func:`unstorable_path` to a whole decoded JSON document (keys too), for the parts
no model describes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

#: Never storable as text on every store.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: Not part of any value misena gives a meaning to: C0 controls but tab, LF and CR; DEL; C1
#: controls; lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _describe(char: str) -> str:
    if char == "\x00":
        return "contains a NUL character, which cannot be stored"
    if "\ud800" <= char <= "\udfff":
        return f"contains a lone surrogate (U+{ord(char):04X}), which is not a character"
    return f"contains a control character (U+{ord(char):04X})"


def refuse_control_characters(text: str) -> str:
    """``text`` unchanged, or ``ValueError`` naming the kind of character (never the value)."""
    if text.isprintable():  # the common case, in C; it is also False for RTL marks and the like
        return text
    found = _CONTROL.search(text)
    if found is not None:
        raise ValueError(_describe(found.group()))
    return text


def unstorable(text: str) -> str | None:
    """Why ``text`` can never be stored, or ``None``."""
    found = _UNSTORABLE.search(text)
    return None if found is None else _describe(found.group())


def unstorable_path(document: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], str] | None:
    """The first place in a decoded JSON document (``json.loads`` output) holding a string
    that can never be stored — as a key or a value — and why; ``None`` when there is none.

    The caller bounds the nesting depth, so the recursion is bounded too.
    """
    if isinstance(document, str):
        reason = unstorable(document)
        return None if reason is None else (path, reason)
    if isinstance(document, Mapping):
        for key, value in document.items():
            reason = unstorable(key)
            if reason is not None:
                return (*path, "<key>"), reason
            found = unstorable_path(value, (*path, key))
            if found is not None:
                return found
    elif isinstance(document, list):
        for index, item in enumerate(document):
            found = unstorable_path(item, (*path, str(index)))
            if found is not None:
                return found
    return None


@dataclass(frozen=True)
class StoredText:
    """``Annotated[str, StoredText(300)]``: at most ``max_length`` characters (after the model
    strips whitespace), at least ``min_length``, and no control character.

    ``max_length`` is the column the value (or what is derived from it) is stored in, so the
    limit is the same on both stores; it also shows in the OpenAPI schema as ``maxLength``.
    """

    max_length: int
    min_length: int = 0

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = handler(source)
        if schema.get("type") != "str":
            raise TypeError("StoredText annotates str fields")
        constrained: dict[str, Any] = {**schema, "max_length": self.max_length}
        if self.min_length:
            constrained["min_length"] = max(self.min_length, int(schema.get("min_length", 0)))
        return core_schema.no_info_after_validator_function(refuse_control_characters, constrained)


def utc_representable(value: datetime) -> datetime:
    """``value`` unchanged if it has a UTC form, else ``ValueError``."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("has no UTC form (out of range)") from None
    return value


StorableInstant = Annotated[AwareDatetime, AfterValidator(utc_representable)]
