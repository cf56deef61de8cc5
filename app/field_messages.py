"""Pydantic's reasons for refusing a field, as :class:`~app.texts.Text` msgids the catalogue
translates: an API client that asks for Spanish gets "Campo obligatorio", not "Field required".

Pydantic renders its messages in English only; each error also carries its ``type`` and the
``ctx`` values the message is made of, so the common types are written here once as msgids with
the same named fields, and filled from ``ctx`` after translation. A type not listed keeps
pydantic's English message. ``ctx`` holds limits and patterns, never the submitted value.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from app.texts import Text

#: Pydantic error type → the msgid saying it (its ``{fields}`` come from the error's ``ctx``).
MESSAGES: Mapping[str, Text] = {
    "missing": Text("Field required"),
    "extra_forbidden": Text("Extra inputs are not permitted"),
    "string_too_long": Text("String should have at most {max_length} characters"),
    "string_too_short": Text("String should have at least {min_length} characters"),
    "string_pattern_mismatch": Text("String should match pattern '{pattern}'"),
    "string_type": Text("Input should be a valid string"),
    "enum": Text("Input should be {expected}"),
    "literal_error": Text("Input should be {expected}"),
    "int_parsing": Text("Input should be a valid integer, unable to parse string as an integer"),
    "int_type": Text("Input should be a valid integer"),
    "int_from_float": Text("Input should be a valid integer, got a number with a fractional part"),
    "float_parsing": Text("Input should be a valid number, unable to parse string as a number"),
    "bool_parsing": Text("Input should be a valid boolean, unable to interpret input"),
    "greater_than_equal": Text("Input should be greater than or equal to {ge}"),
    "less_than_equal": Text("Input should be less than or equal to {le}"),
    "greater_than": Text("Input should be greater than {gt}"),
    "less_than": Text("Input should be less than {lt}"),
    "datetime_parsing": Text("Input should be a valid datetime, {error}"),
    "datetime_from_date_parsing": Text("Input should be a valid datetime or date, {error}"),
    "date_parsing": Text("Input should be a valid date in the format YYYY-MM-DD, {error}"),
    "timezone_aware": Text("Input should have timezone info"),
    "dict_type": Text("Input should be a valid dictionary"),
    "model_type": Text("Input should be a valid dictionary or instance of {class_name}"),
    "list_type": Text("Input should be a valid list"),
    "json_invalid": Text("Invalid JSON: {error}"),
}


def field_message(error: Mapping[str, Any]) -> Text:
    """The message of one pydantic error, translatable when its type is a known one."""
    known = MESSAGES.get(str(error.get("type", "")))
    context = error.get("ctx") or {}
    if known is not None:
        wanted = {name for _, name, _, _ in string.Formatter().parse(known.message) if name}
        if wanted <= set(context):
            return Text(known.message, **{name: context[name] for name in wanted})
    return Text.verbatim(str(error.get("msg", "")))
