"""The ``users.list`` ``query`` parameter: parsing, refusals and matching."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.emulator.errors import GoogleApiError
from workspace.emulator.user_query import Clause, UserQuery, parse_user_query

ANA: dict[str, Any] = {
    "primaryEmail": "ana.perez@misena.edu.co",
    "aliases": ["aperez@misena.edu.co"],
    "emails": [
        {"address": "ana.perez@misena.edu.co", "primary": True},
        {"address": "ana@example.com"},
    ],
    "name": {
        "givenName": "Ana María",
        "familyName": "Pérez Gómez",
        "fullName": "Ana María Pérez Gómez",
    },
    "externalIds": [{"value": "1020304050", "type": "organization"}],
    "orgUnitPath": "/Aprendices/Ficha 2671234",
    "suspended": False,
    "isAdmin": False,
    "customSchemas": {
        "Sena": {"ficha": "2671234", "rol": "Aprendiz", "activo": True, "fichas": [{"value": "99"}]}
    },
}

LUIS: dict[str, Any] = {
    "primaryEmail": "luis.rojas@misena.edu.co",
    "name": {"givenName": "Luis", "familyName": "Rojas"},
    "externalIds": [{"value": "79000111", "type": "organization"}],
    "orgUnitPath": "/Instructores",
    "suspended": True,
    "isAdmin": True,
}


def outcome(call: Callable[[], object]) -> GoogleApiError | None:
    """The Google error ``call`` raised, if any; anything else propagates and fails the test."""
    try:
        call()
    except GoogleApiError as error:
        return error
    return None


def matches(query: str, user: dict[str, Any] = ANA) -> bool:
    return parse_user_query(query).matches(user)


def refused(query: str) -> GoogleApiError:
    with pytest.raises(GoogleApiError) as caught:
        parse_user_query(query)
    return caught.value


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_empty_query_matches_everyone(query: str) -> None:
    assert parse_user_query(query) == UserQuery(())
    assert matches(query)
    assert matches(query, {})


def test_clauses_are_parsed_in_order() -> None:
    parsed = parse_user_query("email:ana* name='Ana María'  isSuspended=false")
    assert parsed.clauses == (
        Clause("email", ":", "ana*"),
        Clause("name", "=", "Ana María"),
        Clause("isSuspended", "=", "false"),
    )


@pytest.mark.parametrize(
    "query",
    [
        "email=ana.perez@misena.edu.co",
        "email=ANA.PEREZ@MISENA.EDU.CO",
        "email=aperez@misena.edu.co",
        "email=ana@example.com",
        "email:ana.perez@misena.edu.co",
        "email:ana*",
        "email:APER*",
        "email:'ana.perez@misena.edu.co'",
    ],
)
def test_email_matches_primary_aliases_and_other_addresses(query: str) -> None:
    assert matches(query)


@pytest.mark.parametrize(
    "query", ["email=ana", "email:ana", "email=ana.perez@misena.edu", "email:luis*", "email=*"]
)
def test_email_does_not_match(query: str) -> None:
    assert not matches(query)


def test_unquoted_spaces_split_clauses() -> None:
    # "María" becomes a second clause, which has no field: the whole query is refused.
    assert refused("givenName=Ana María").status == 400


@pytest.mark.parametrize(
    "query",
    [
        "givenName='Ana María'",
        "givenName='ana maría'",
        "givenName:Ana",
        "givenName:María",
        "givenName:mar*",
        "givenName:'Ana M'",
        "familyName:Gómez",
        "familyName='Pérez Gómez'",
        "name:Pérez",
        "name:'Ana María Pérez'",
        "name='Ana María Pérez Gómez'",
        "name:GÓM*",
    ],
)
def test_names_match(query: str) -> None:
    assert matches(query)


@pytest.mark.parametrize(
    "query",
    ["givenName=Ana", "givenName:Luis", "familyName=Pérez", "name=Ana", "name:Rojas", "name:ez"],
)
def test_names_do_not_match(query: str) -> None:
    assert not matches(query)


def test_name_falls_back_to_given_and_family_names() -> None:
    assert matches("name='Luis Rojas'", LUIS)
    assert not matches("name:Luis", {"primaryEmail": "x@y.co"})


@pytest.mark.parametrize("query", ["externalId=1020304050", "externalId:1020304050"])
def test_external_id_is_an_exact_match(query: str) -> None:
    assert matches(query)
    assert not matches(query, LUIS)


def test_external_id_does_not_prefix_match() -> None:
    assert not matches("externalId:1020*")
    assert not matches("externalId=102030405")


@pytest.mark.parametrize(
    "query",
    [
        "orgUnitPath=/",
        "orgUnitPath=/Aprendices",
        "orgUnitPath=/aprendices",
        "orgUnitPath=/Aprendices/",
        "orgUnitPath='/Aprendices/Ficha 2671234'",
    ],
)
def test_org_unit_matches_itself_and_its_descendants(query: str) -> None:
    assert matches(query)


@pytest.mark.parametrize(
    "query", ["orgUnitPath=/Aprendiz", "orgUnitPath='/Aprendices/Ficha 2'", "orgUnitPath=/Ficha"]
)
def test_org_unit_does_not_match_siblings_or_prefixes_of_names(query: str) -> None:
    assert not matches(query)


def test_user_without_org_unit_is_at_the_root() -> None:
    assert matches("orgUnitPath=/", {})
    assert not matches("orgUnitPath=/Aprendices", {})


@pytest.mark.parametrize(
    ("query", "ana", "luis"),
    [
        ("isSuspended=true", False, True),
        ("isSuspended=false", True, False),
        ("isSuspended=TRUE", False, True),
        ("isAdmin=true", False, True),
        ("isAdmin=false", True, False),
    ],
)
def test_flags(query: str, ana: bool, luis: bool) -> None:
    assert matches(query, ANA) is ana
    assert matches(query, LUIS) is luis


def test_missing_flags_are_false() -> None:
    assert matches("isSuspended=false isAdmin=false", {})


@pytest.mark.parametrize(
    "query",
    [
        "Sena.ficha=2671234",
        "Sena.ficha:267*",
        "Sena.ficha:2671",
        "Sena.rol=aprendiz",
        "Sena.activo=true",
        "Sena.fichas=99",
    ],
)
def test_custom_schema_fields_match(query: str) -> None:
    assert matches(query)


@pytest.mark.parametrize(
    "query",
    ["Sena.ficha=267", "Sena.ficha:999", "Sena.activo=false", "Sena.otro=x", "Otro.ficha=2671234"],
)
def test_custom_schema_fields_do_not_match(query: str) -> None:
    assert not matches(query)
    assert not matches(query, LUIS)


def test_clauses_are_anded() -> None:
    assert matches("email:ana* isSuspended=false orgUnitPath=/Aprendices")
    assert not matches("email:ana* isSuspended=true")
    assert not matches("email:ana* orgUnitPath=/Instructores")


def test_escaped_quote_inside_a_quoted_value() -> None:
    parsed = parse_user_query(r"familyName='O\'Brien'")
    assert parsed.clauses == (Clause("familyName", "=", "O'Brien"),)
    assert parsed.matches({"name": {"familyName": "O'Brien"}})


@pytest.mark.parametrize(
    "query",
    [
        "ana",
        "foo=bar",
        "Email=ana@x.co",
        "email",
        "email=",
        "email: ana",
        "email:''",
        "name:'unterminated",
        "name:'Ana'x",
        "orgUnitPath:/Aprendices",
        "orgUnitPath=Aprendices",
        "isSuspended=yes",
        "isAdmin:true",
        ".field=x",
        "Sena.=x",
        "a.b.c=x",
        "=x",
        "email=ana@x.co bogus",
    ],
)
def test_refusals(query: str) -> None:
    error = refused(query)
    assert error.status == 400
    assert error.reason == "invalid"
    assert error.location == "query"
    assert error.message == f"Invalid Input: {query}"


def test_matching_tolerates_odd_stored_shapes() -> None:
    odd = {"name": "x", "aliases": "y", "emails": [1, {"address": 2}], "externalIds": {"value": 1}}
    for query in ["email=x", "name:x", "givenName=x", "externalId=1", "Sena.a=1"]:
        assert not matches(query, odd)


@settings(deadline=None, max_examples=500)
@given(query=st.text())
def test_parsing_any_text_only_ever_raises_google_errors(query: str) -> None:
    error = outcome(lambda: parse_user_query(query).matches(ANA))
    assert error is None or error.status == 400


FIELD_WORDS = st.sampled_from(
    ["email", "name", "givenName", "familyName", "externalId", "orgUnitPath", "isSuspended",
     "isAdmin", "Sena.ficha", ":", "=", "'", "\\'", " ", "*", "/", "true", "ana", "@"]
)  # fmt: skip


@settings(deadline=None, max_examples=500)
@given(parts=st.lists(FIELD_WORDS, max_size=8))
def test_parsing_query_like_text_only_ever_raises_google_errors(parts: list[str]) -> None:
    error = outcome(lambda: parse_user_query("".join(parts)).matches(ANA))
    assert error is None or error.status == 400


def quote(value: str) -> str:
    escaped = value.replace("'", "\\'")
    return f"'{escaped}'"


ADDRESS = st.from_regex(r"[a-z0-9][a-z0-9._'-]{0,20}@[a-z]{1,10}\.(co|com|edu\.co)", fullmatch=True)


NAME = st.text(alphabet=st.characters(exclude_characters="\\"), min_size=1).filter(
    lambda s: s.strip() == s and s
)


@settings(deadline=None)
@given(address=ADDRESS, given_name=NAME)
def test_a_user_is_found_by_its_own_address_and_given_name(address: str, given_name: str) -> None:
    user = {"primaryEmail": address, "name": {"givenName": given_name}}
    assert matches(f"email={quote(address)}", user)
    assert matches(f"email={address.upper()}", user)
    assert matches(f"email:{address[:1]}*", user)
    assert matches(f"givenName={quote(given_name)}", user)
