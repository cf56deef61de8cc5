"""The rules the hostile suites rely on, checked on their own: which characters a stored value
may hold, that the depth pre-scan agrees with the parser on every document, and that the
limits are the columns' sizes (a migration that changes one must change the other)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.db.models import AuditEvent, Person, WebhookEvent
from app.people.index import SEARCH_NAME_LENGTH
from app.people.intake import MAX_JSON_DEPTH, WEBHOOK_ID_LENGTH, nested_too_deep
from sofia_sync.contract import MAX_EMAIL_LENGTH, MAX_EVENT_TYPE_LENGTH, MAX_NAMES_FIELD_LENGTH
from sofia_sync.storable import refuse_control_characters, unstorable_path


def _length(column: Any) -> int:
    return int(column.type.length)


def test_the_limits_are_the_column_sizes() -> None:
    assert WEBHOOK_ID_LENGTH == _length(WebhookEvent.__table__.c.webhook_id) == 200
    assert _length(WebhookEvent.__table__.c.event_type) == MAX_EVENT_TYPE_LENGTH
    assert _length(Person.__table__.c.personal_email) == MAX_EMAIL_LENGTH
    assert MAX_NAMES_FIELD_LENGTH == SEARCH_NAME_LENGTH == _length(Person.__table__.c.search_name)
    assert _length(AuditEvent.__table__.c.reason) == 500  # the /v1 reasons' limit


@pytest.mark.parametrize(
    "text",
    [
        "María José",
        "Ñandú",
        "José\u200f",
        "\u200f\u0627\u0644\u062d\u0633\u064a\u0646\u064a",
        "👩\u200d👩\u200d👧",
        "Mari\u0301a",
        "Ana\u00a0Lucía",
        "a\tb",
        "a\nb",
        "a\r\nb",
        "\ufeffx",
        "\u2028",
    ],
)
def test_what_real_text_holds_is_kept(text: str) -> None:
    assert refuse_control_characters(text) == text
    assert unstorable_path({"v": text}) is None


@pytest.mark.parametrize(
    "char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f"]
)
def test_control_characters_are_refused_naming_the_code_point(char: str) -> None:
    with pytest.raises(ValueError, match=f"U\\+{ord(char):04X}|NUL"):
        refuse_control_characters(f"ab{char}cd")


@pytest.mark.parametrize("char", ["\x00", chr(0xD800), chr(0xDFFF)], ids=["NUL", "high", "low"])
def test_nul_and_lone_surrogates_are_found_anywhere(char: str) -> None:
    found = unstorable_path({"a": [1, {"b": f"x{char}"}]})
    assert found is not None
    assert found[0] == ("a", "1", "b")
    key = unstorable_path({"a": {f"k{char}": 1}})
    assert key is not None
    assert key[0] == ("a", "<key>")


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


_TRICKY = st.text(alphabet='[]{}"\\ab', max_size=8)  # brackets, quotes and escapes inside strings
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TRICKY, inner, max_size=3),
    max_leaves=60,
)


def _nested(value: Any, levels: int) -> Any:
    for _ in range(levels):
        value = [value] if levels % 2 else {"k": value}
    return value


@settings(max_examples=300, deadline=None)
@given(_JSON, st.integers(min_value=0, max_value=45))
def test_the_depth_scan_agrees_with_the_parser(value: Any, levels: int) -> None:
    document = _nested(value, levels)
    body = json.dumps(document).encode()
    assert nested_too_deep(body) == (_depth(document) > MAX_JSON_DEPTH)
