"""Google's ``fields`` partial-response selector: parsing, refusals and trimming."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.emulator.errors import GoogleApiError
from workspace.emulator.partial_response import (
    MAX_DEPTH,
    FieldMask,
    apply_fields,
    parse_fields,
)

USERS: dict[str, Any] = {
    "kind": "admin#directory#users",
    "etag": '"abc"',
    "users": [
        {
            "primaryEmail": "ana@misena.edu.co",
            "id": "1",
            "name": {"givenName": "Ana", "familyName": "Pérez", "fullName": "Ana Pérez"},
            "emails": [{"address": "ana@misena.edu.co", "primary": True}],
        },
        {"primaryEmail": "luis@misena.edu.co", "id": "2", "name": {"givenName": "Luis"}},
    ],
    "nextPageToken": "x",
}


def outcome(call: Callable[[], object]) -> GoogleApiError | None:
    """The Google error ``call`` raised, if any; anything else propagates and fails the test."""
    try:
        call()
    except GoogleApiError as error:
        return error
    return None


def trimmed(fields: str, resource: dict[str, Any] = USERS) -> dict[str, Any]:
    return apply_fields(resource, parse_fields(fields))


def test_the_documented_example() -> None:
    assert trimmed("users(primaryEmail,name/givenName),nextPageToken") == {
        "users": [
            {"primaryEmail": "ana@misena.edu.co", "name": {"givenName": "Ana"}},
            {"primaryEmail": "luis@misena.edu.co", "name": {"givenName": "Luis"}},
        ],
        "nextPageToken": "x",
    }


def test_top_level_fields() -> None:
    assert trimmed("kind,etag") == {"kind": "admin#directory#users", "etag": '"abc"'}


def test_a_whole_field_is_kept_whole() -> None:
    assert trimmed("users") == {"users": USERS["users"]}


def test_paths_select_inside_objects() -> None:
    user = USERS["users"][0]
    assert trimmed("name/givenName,id", user) == {"name": {"givenName": "Ana"}, "id": "1"}


def test_paths_and_sub_selections_are_equivalent() -> None:
    assert parse_fields("users/name/givenName") == parse_fields("users(name(givenName))")
    assert parse_fields("a/b,a/c") == parse_fields("a(b,c)")


def test_selections_inside_arrays_apply_to_each_element() -> None:
    assert trimmed("users/emails/address") == {"users": [{"emails": [{"address": "ana@misena.edu.co"}]}, {}]}


def test_missing_fields_are_simply_absent() -> None:
    assert trimmed("nope,users(nope)") == {"users": [{}, {}]}
    assert trimmed("kind/nope") == {}
    assert trimmed("etag(x)") == {}


def test_a_sub_selection_that_keeps_nothing_of_an_object_leaves_it_out() -> None:
    assert trimmed("name/middleName,id", USERS["users"][0]) == {"id": "1"}


def test_wildcard_keeps_everything() -> None:
    assert trimmed("*") == USERS


def test_wildcard_with_a_sub_selection() -> None:
    user = {"name": {"givenName": "Ana", "familyName": "P"}, "home": {"givenName": "x"}, "id": 1}
    assert trimmed("*/givenName", user) == {
        "name": {"givenName": "Ana"},
        "home": {"givenName": "x"},
    }
    assert trimmed("users/*/givenName") == {
        "users": [{"name": {"givenName": "Ana"}, "emails": [{}]}, {"name": {"givenName": "Luis"}}]
    }


def test_wildcard_and_named_selections_merge() -> None:
    user = {"name": {"givenName": "Ana", "familyName": "P", "fullName": "Ana P"}}
    assert trimmed("*(givenName),name(familyName)", user) == {"name": {"givenName": "Ana", "familyName": "P"}}


def test_whole_selection_wins_over_partial_selection() -> None:
    assert parse_fields("users,users(id)") == parse_fields("users")
    assert parse_fields("users(id),users") == parse_fields("users")
    assert trimmed("users/id,users") == {"users": USERS["users"]}


def test_whitespace_around_tokens_is_ignored() -> None:
    assert parse_fields(" users ( primaryEmail , name / givenName ) , kind ") == parse_fields(
        "users(primaryEmail,name/givenName),kind"
    )


def test_canonical_form() -> None:
    mask = parse_fields("users(primaryEmail,name/givenName),nextPageToken")
    assert str(mask) == "nextPageToken,users(name(givenName),primaryEmail)"


def test_scalar_arrays_under_a_sub_selection_keep_nothing() -> None:
    assert trimmed("aliases(x)", {"aliases": ["a", "b"]}) == {"aliases": []}


def test_nested_arrays_keep_their_shape() -> None:
    resource = {"grid": [[{"a": 1, "b": 2}], [{"a": 3}]]}
    assert trimmed("grid/a", resource) == {"grid": [[{"a": 1}], [{"a": 3}]]}


def test_the_result_is_independent_of_the_resource() -> None:
    resource = copy.deepcopy(USERS)
    result = apply_fields(resource, parse_fields("users,kind"))
    result["users"][0]["name"]["givenName"] = "changed"
    assert resource == USERS


@pytest.mark.parametrize(
    "expr",
    [
        "",
        " ",
        ",",
        "a,",
        ",a",
        "a,,b",
        "a/",
        "/a",
        "a//b",
        "a(",
        "a(b",
        "a)",
        "a(b))",
        "a()",
        "()",
        "(a)",
        "a(b)c",
        "a b",
        "a*",
        "*a",
        "a/(b)",
    ],
)
def test_malformed_selections_are_refused(expr: str) -> None:
    with pytest.raises(GoogleApiError) as caught:
        parse_fields(expr)
    assert caught.value.status == 400
    assert caught.value.reason == "invalid"
    assert caught.value.location == "fields"
    assert caught.value.message == f"Invalid field selection {expr}"


def test_absurdly_deep_selections_are_refused_not_crashing() -> None:
    with pytest.raises(GoogleApiError):
        parse_fields("a(" * 5000 + "b" + ")" * 5000)
    with pytest.raises(GoogleApiError):
        parse_fields("/".join(["a"] * (MAX_DEPTH + 1)))
    parse_fields("/".join(["a"] * MAX_DEPTH))


NAMES = st.sampled_from(["a", "b", "kind", "users", "name", "givenName", "*", "x_1"])


def masks(depth: int = 3) -> st.SearchStrategy[FieldMask]:
    leaf = st.none()
    sub = masks(depth - 1) if depth > 0 else st.nothing()
    entries = st.dictionaries(NAMES, leaf | sub if depth > 0 else leaf, min_size=1, max_size=4)
    return entries.map(lambda d: FieldMask(tuple(sorted(d.items(), key=lambda item: item[0]))))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(NAMES, children, max_size=4),
    max_leaves=15,
)
RESOURCES = st.dictionaries(NAMES, JSON, max_size=5)


@settings(deadline=None)
@given(mask=masks())
def test_canonical_form_round_trips(mask: FieldMask) -> None:
    assert parse_fields(str(mask)) == mask


@settings(deadline=None, max_examples=500)
@given(expr=st.text(alphabet=st.sampled_from(list("ab*/(), ")), max_size=30) | st.text())
def test_parsing_any_text_only_ever_raises_google_errors(expr: str) -> None:
    error = outcome(lambda: parse_fields(expr))
    assert error is None or error.status == 400


@settings(deadline=None)
@given(resource=RESOURCES, mask=masks())
def test_trimming_is_idempotent_and_only_removes(resource: dict[str, Any], mask: FieldMask) -> None:
    once = apply_fields(resource, mask)
    assert apply_fields(once, mask) == once
    assert set(once) <= set(resource)


@settings(deadline=None)
@given(resource=RESOURCES)
def test_wildcard_and_every_key_keep_the_resource(resource: dict[str, Any]) -> None:
    assert apply_fields(resource, parse_fields("*")) == resource
    if resource:
        assert apply_fields(resource, parse_fields(",".join(resource))) == resource
