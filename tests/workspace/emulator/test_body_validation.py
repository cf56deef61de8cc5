"""Request bodies are refused the way Google's JSON-to-proto parsing refuses them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.emulator import body_validation
from workspace.emulator.body_validation import USER_ANY_FIELDS, validate_body
from workspace.emulator.discovery import Api, has_schema, schema
from workspace.emulator.errors import GoogleApiError

DIRECTORY: Api = "admin.directory_v1"
GMAIL: Api = "gmail.v1"

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def outcome(call: Callable[[], object]) -> GoogleApiError | None:
    """The Google error ``call`` raised, if any; anything else propagates and fails the test."""
    try:
        call()
    except GoogleApiError as error:
        return error
    return None


def refusal(api: Any, schema_name: str, body: object) -> str:
    with pytest.raises(GoogleApiError) as caught:
        validate_body(api, schema_name, body)
    assert caught.value.status == 400
    assert caught.value.reason == "invalid"
    return caught.value.message


def full_user() -> dict[str, Any]:
    return {
        "primaryEmail": "ana.perez@misena.edu.co",
        "name": {"givenName": "Ana", "familyName": "Pérez"},
        "password": "s3cret-pass",
        "hashFunction": "SHA-1",
        "changePasswordAtNextLogin": True,
        "suspended": False,
        "orgUnitPath": "/Aprendices",
        "recoveryEmail": "ana@example.com",
        "recoveryPhone": "+573001234567",
        "emails": [{"address": "ana@example.com", "type": "home", "primary": False}],
        "externalIds": [{"value": "1020304050", "type": "organization"}],
        "organizations": [{"name": "SENA", "title": "Aprendiz", "primary": True}],
        "phones": [{"value": "+573001234567", "type": "mobile"}],
        "addresses": [{"type": "home", "locality": "Bogotá"}],
        "relations": [{"value": "Luis", "type": "father"}],
        "websites": [{"value": "https://example.com", "type": "work"}],
        "locations": [{"type": "desk", "area": "A"}],
        "keywords": [{"type": "occupation", "value": "student"}],
        "languages": [{"languageCode": "es"}],
        "ims": [{"im": "ana", "protocol": "jabber", "type": "work"}],
        "posixAccounts": [{"username": "ana", "uid": "1001", "gid": 1001}],
        "sshPublicKeys": [{"key": "ssh-ed25519 AAAA", "expirationTimeUsec": "0"}],
        "notes": {"value": "nota", "contentType": "text_plain"},
        "gender": {"type": "female"},
        "customSchemas": {"Sena": {"ficha": "2671234", "roles": [{"value": "x"}], "n": 3}},
        "includeInGlobalAddressList": True,
    }


def test_a_complete_user_body_is_accepted() -> None:
    validate_body(DIRECTORY, "User", full_user())


def test_an_empty_object_is_accepted() -> None:
    validate_body(DIRECTORY, "User", {})


@pytest.mark.parametrize("body", [[], "user", 3, None, True])
def test_the_body_must_be_an_object(body: object) -> None:
    assert refusal(DIRECTORY, "User", body) == (
        'Invalid JSON payload received. Unknown name "": Root element must be a message.'
    )


def test_unknown_field_at_the_root() -> None:
    assert refusal(DIRECTORY, "User", {"primaryEmail": "a@b.co", "foo": 1}) == (
        "Invalid JSON payload received. Unknown name \"foo\" at 'user': Cannot find field."
    )


def test_unknown_field_in_a_nested_message() -> None:
    body = {"name": {"givenName": "Ana", "foo": "x"}}
    assert refusal(DIRECTORY, "User", body) == (
        "Invalid JSON payload received. Unknown name \"foo\" at 'user.name': Cannot find field."
    )


def test_the_root_is_named_after_the_schema_in_lower_camel_case() -> None:
    message = refusal(GMAIL, "ModifyMessageRequest", {"labels": []})
    assert "at 'modifyMessageRequest'" in message


def test_unknown_field_inside_an_array_element_names_the_index() -> None:
    body = {"emails": [{"address": "a@b.co"}, {"adress": "typo@b.co"}]}
    assert refusal(DIRECTORY, "User", body) == (
        "Invalid JSON payload received. Unknown name \"adress\" at 'user.emails[1]': Cannot find field."
    )


def test_wrong_type_for_a_boolean() -> None:
    assert refusal(DIRECTORY, "User", {"suspended": "yes"}) == (
        "Invalid value at 'user.suspended' (TYPE_BOOL), \"yes\""
    )


@pytest.mark.parametrize("value", [1, 0, "true"])
def test_booleans_must_be_json_booleans(value: object) -> None:
    assert "(TYPE_BOOL)" in refusal(DIRECTORY, "User", {"archived": value})


def test_wrong_type_for_a_string() -> None:
    assert refusal(DIRECTORY, "User", {"primaryEmail": 5}) == (
        "Invalid value at 'user.primaryEmail' (TYPE_STRING), 5"
    )


def test_boolean_for_a_string() -> None:
    assert refusal(DIRECTORY, "User", {"orgUnitPath": True}) == (
        "Invalid value at 'user.orgUnitPath' (TYPE_STRING), true"
    )


def test_object_for_a_string() -> None:
    assert refusal(DIRECTORY, "User", {"password": {"x": 1}}) == (
        "Invalid value at 'user.password' (TYPE_STRING), Starting an object on a scalar field"
    )


def test_list_for_a_singular_field() -> None:
    assert refusal(DIRECTORY, "User", {"primaryEmail": ["a@b.co"]}) == (
        "Invalid JSON payload received. Unknown name \"primaryEmail\" at 'user': "
        "Proto field is not repeating, cannot start list."
    )


def test_scalar_for_a_message() -> None:
    assert refusal(DIRECTORY, "User", {"name": "Ana Pérez"}) == (
        "Invalid value at 'user.name' (type.googleapis.com/UserName), \"Ana Pérez\""
    )


def test_scalar_for_an_array() -> None:
    message = refusal(GMAIL, "ModifyMessageRequest", {"addLabelIds": "INBOX"})
    assert message == ("Invalid value at 'modifyMessageRequest.addLabelIds' (TYPE_STRING), \"INBOX\"")


def test_wrong_type_inside_an_array() -> None:
    message = refusal(GMAIL, "ModifyMessageRequest", {"addLabelIds": ["INBOX", 7]})
    assert message == "Invalid value at 'modifyMessageRequest.addLabelIds[1]' (TYPE_STRING), 7"


@pytest.mark.parametrize(
    ("field", "schema_name"), [(f, s) for f, (s, repeated) in USER_ANY_FIELDS.items() if repeated]
)
def test_user_any_arrays_are_validated_as_their_schema(field: str, schema_name: str) -> None:
    assert f"(type.googleapis.com/{schema_name})" in refusal(DIRECTORY, "User", {field: [3]})
    assert f"at 'user.{field}[0]'" in refusal(DIRECTORY, "User", {field: [{"bogus": 1}]})


@pytest.mark.parametrize("field", [f for f, (_schema, repeated) in USER_ANY_FIELDS.items() if repeated])
def test_user_any_arrays_must_be_arrays(field: str) -> None:
    message = refusal(DIRECTORY, "User", {field: {"value": "x"}})
    assert message.startswith(f"Invalid value at 'user.{field}'")
    assert "repeated" in message


def test_wrong_type_inside_a_user_any_array_element() -> None:
    assert refusal(DIRECTORY, "User", {"emails": [{"address": "a@b.co", "primary": "no"}]}) == (
        "Invalid value at 'user.emails[0].primary' (TYPE_BOOL), \"no\""
    )


def test_inline_object_inside_a_typed_any_field() -> None:
    body = {"emails": [{"public_key_encryption_certificates": {"is_default": "x"}}]}
    assert refusal(DIRECTORY, "User", body) == (
        "Invalid value at 'user.emails[0].public_key_encryption_certificates.is_default' (TYPE_BOOL), \"x\""
    )


@pytest.mark.parametrize(("field", "schema_name"), [("notes", "UserAbout"), ("gender", "UserGender")])
def test_notes_and_gender_are_single_objects(field: str, schema_name: str) -> None:
    assert "Proto field is not repeating" in refusal(DIRECTORY, "User", {field: [{}]})
    assert f"(type.googleapis.com/{schema_name})" in refusal(DIRECTORY, "User", {field: "x"})
    assert f"at 'user.{field}'" in refusal(DIRECTORY, "User", {field: {"bogus": 1}})


def test_typed_any_fields_fall_back_to_any_json_without_their_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(body_validation, "has_schema", lambda _api, _name: False)
    validate_body(DIRECTORY, "User", {"emails": "whatever", "notes": [1, 2]})


def test_typed_any_table_matches_the_bundled_document() -> None:
    properties = schema(DIRECTORY, "User")["properties"]
    for field, (schema_name, _repeated) in USER_ANY_FIELDS.items():
        assert properties[field]["type"] == "any", field
        assert has_schema(DIRECTORY, schema_name), schema_name


def test_other_any_fields_take_any_json() -> None:
    validate_body(DIRECTORY, "Aliases", {"aliases": [1, "a", {"x": [None]}]})


def test_custom_schemas_take_any_values() -> None:
    body = {"customSchemas": {"Sena": {"a": 1, "b": [{"value": "x"}], "c": {"d": None}}}}
    validate_body(DIRECTORY, "User", body)


def test_custom_schemas_must_be_an_object_of_objects() -> None:
    assert refusal(DIRECTORY, "User", {"customSchemas": {"Sena": "x"}}) == (
        "Invalid value at 'user.customSchemas[Sena]' (type.googleapis.com/UserCustomProperties), \"x\""
    )
    assert "(TYPE_MESSAGE)" in refusal(DIRECTORY, "User", {"customSchemas": "x"})


def test_map_values_are_validated() -> None:
    validate_body(DIRECTORY, "Channel", {"params": {"ttl": "3600"}})
    assert refusal(DIRECTORY, "Channel", {"params": {"ttl": 3600}}) == (
        "Invalid value at 'channel.params[ttl]' (TYPE_STRING), 3600"
    )


def test_read_only_fields_are_accepted_and_ignored() -> None:
    body = {
        "kind": ["not", "a", "string"],
        "etag": 1,
        "isAdmin": "yes",
        "creationTime": {"x": 1},
        "aliases": "a@b.co",
        "customerId": None,
    }
    validate_body(DIRECTORY, "User", body)


def test_null_is_accepted_for_any_field() -> None:
    body = {"name": None, "suspended": None, "emails": None, "customSchemas": {"S": None}}
    validate_body(DIRECTORY, "User", body)
    validate_body(DIRECTORY, "User", {"name": {"givenName": None}, "emails": [None]})


@pytest.mark.parametrize("value", ["1700000000000", "-5", 1700000000000, 12.0])
def test_int64_takes_numbers_and_decimal_strings(value: object) -> None:
    validate_body(GMAIL, "Message", {"internalDate": value})


@pytest.mark.parametrize("value", ["12a", "", " 12", "1.5", 1.5, True, "9223372036854775808"])
def test_int64_refuses_anything_else(value: object) -> None:
    assert "'message.internalDate' (TYPE_INT64)" in refusal(GMAIL, "Message", {"internalDate": value})


@pytest.mark.parametrize("value", [-1, "-1", 2**64])
def test_uint64_refuses_out_of_range(value: object) -> None:
    message = refusal(DIRECTORY, "User", {"posixAccounts": [{"uid": value}]})
    assert "'user.posixAccounts[0].uid' (TYPE_UINT64)" in message


@pytest.mark.parametrize("value", [12, "12", 12.0, 2**31 - 1, -(2**31)])
def test_int32_takes_integers(value: object) -> None:
    validate_body(GMAIL, "Message", {"sizeEstimate": value})


@pytest.mark.parametrize("value", [12.5, "x", False, 2**31, "--5", float("inf")])
def test_int32_refuses_non_integers_and_out_of_range(value: object) -> None:
    assert "(TYPE_INT32)" in refusal(GMAIL, "Message", {"sizeEstimate": value})


def test_uint32_refuses_negatives() -> None:
    assert "(TYPE_UINT32)" in refusal(GMAIL, "ListMessagesResponse", {"resultSizeEstimate": -1})
    validate_body(GMAIL, "ListMessagesResponse", {"resultSizeEstimate": 2**32 - 1})


@pytest.mark.parametrize("value", [4.6, -74, "4.6", "NaN", "-Infinity"])
def test_doubles_take_numbers_and_numeric_strings(value: object) -> None:
    validate_body(DIRECTORY, "Building", {"coordinates": {"latitude": value}})


@pytest.mark.parametrize("value", ["north", True, "1e999", [1]])
def test_doubles_refuse_anything_else(value: object) -> None:
    message = refusal(DIRECTORY, "Building", {"coordinates": {"latitude": value}})
    assert "latitude" in message


def test_enums_take_only_their_values() -> None:
    validate_body(GMAIL, "Label", {"labelListVisibility": "labelShow"})
    assert refusal(GMAIL, "Label", {"labelListVisibility": "visible"}) == (
        "Invalid value at 'label.labelListVisibility' (TYPE_ENUM), \"visible\""
    )


def test_directory_bodies_of_other_resources() -> None:
    validate_body(DIRECTORY, "Member", {"email": "a@b.co", "role": "MEMBER"})
    validate_body(DIRECTORY, "Group", {"email": "g@b.co", "name": "G", "description": "d"})
    validate_body(DIRECTORY, "OrgUnit", {"name": "Ficha 1", "parentOrgUnitPath": "/"})
    assert "at 'member'" in refusal(DIRECTORY, "Member", {"emial": "a@b.co"})


def test_gmail_message_body() -> None:
    validate_body(GMAIL, "Message", {"raw": "U3ViamVjdDogaGk", "threadId": "abc"})
    assert refusal(GMAIL, "Message", {"payload": {"headers": [{"name": 1}]}}) == (
        "Invalid value at 'message.payload.headers[0].name' (TYPE_STRING), 1"
    )


@settings(deadline=None, max_examples=300)
@given(body=JSON, schema_name=st.sampled_from(["User", "Member", "Group", "OrgUnit", "Schema"]))
def test_any_json_is_either_accepted_or_refused_with_a_google_error(body: object, schema_name: str) -> None:
    error = outcome(lambda: validate_body(DIRECTORY, schema_name, body))
    assert error is None or error.status == 400


@settings(deadline=None, max_examples=200)
@given(
    body=st.dictionaries(st.sampled_from(sorted(schema(DIRECTORY, "User")["properties"])), JSON, max_size=6)
)
def test_any_json_in_user_fields_never_crashes(body: dict[str, Any]) -> None:
    error = outcome(lambda: validate_body(DIRECTORY, "User", body))
    assert error is None or error.status == 400


@settings(deadline=None)
@given(
    given_name=st.text(),
    family_name=st.text(),
    suspended=st.booleans(),
    external_ids=st.lists(st.text(alphabet="0123456789", min_size=1), max_size=3),
    custom=st.dictionaries(st.text(min_size=1), st.dictionaries(st.text(), JSON), max_size=2),
)
def test_well_typed_user_bodies_are_accepted(
    given_name: str,
    family_name: str,
    suspended: bool,
    external_ids: list[str],
    custom: dict[str, Any],
) -> None:
    body = {
        "name": {"givenName": given_name, "familyName": family_name},
        "suspended": suspended,
        "externalIds": [{"value": value, "type": "organization"} for value in external_ids],
        "customSchemas": custom,
    }
    validate_body(DIRECTORY, "User", body)
