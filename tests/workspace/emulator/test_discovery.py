"""The emulator reads Google's own discovery documents, as bundled with the client library."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from workspace.emulator.discovery import (
    APIS,
    MethodInfo,
    has_schema,
    load_document,
    method,
    schema,
)

DIRECTORY_USER = "https://www.googleapis.com/auth/admin.directory.user"
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"


def _all_method_ids(resource: Mapping[str, Any]) -> Iterator[str]:
    for raw in resource.get("methods", {}).values():
        yield raw["id"]
    for child in resource.get("resources", {}).values():
        yield from _all_method_ids(child)


@pytest.mark.parametrize(
    ("api", "name", "version"),
    [("admin.directory_v1", "admin", "directory_v1"), ("gmail.v1", "gmail", "v1")],
)
def test_load_document_reads_the_bundled_document(api: Any, name: str, version: str) -> None:
    document = load_document(api)
    assert document["name"] == name
    assert document["version"] == version
    assert document["schemas"]


def test_load_document_is_read_once() -> None:
    assert load_document("gmail.v1") is load_document("gmail.v1")


def test_load_document_refuses_an_unknown_api() -> None:
    with pytest.raises(ValueError, match="unknown API"):
        load_document("drive.v3")


def test_users_insert() -> None:
    info = method("admin.directory_v1", "directory.users.insert")
    assert info == MethodInfo(
        id="directory.users.insert",
        http_method="POST",
        path="admin/directory/v1/users",
        scopes=frozenset({DIRECTORY_USER}),
        request_schema="User",
        response_schema="User",
    )


def test_members_has_member_has_no_request_body() -> None:
    info = method("admin.directory_v1", "directory.members.hasMember")
    assert info.http_method == "GET"
    assert info.path == "admin/directory/v1/groups/{groupKey}/hasMember/{memberKey}"
    assert info.request_schema is None
    assert info.response_schema == "MembersHasMember"
    assert "https://www.googleapis.com/auth/admin.directory.group" in info.scopes


def test_gmail_send() -> None:
    info = method("gmail.v1", "gmail.users.messages.send")
    assert info.http_method == "POST"
    assert info.path == "gmail/v1/users/{userId}/messages/send"
    assert GMAIL_SEND in info.scopes
    assert info.request_schema == "Message"


def test_methods_of_nested_resources_are_found() -> None:
    info = method("gmail.v1", "gmail.users.messages.attachments.get")
    assert info.response_schema == "MessagePartBody"


def test_method_without_body_or_response() -> None:
    info = method("admin.directory_v1", "directory.users.delete")
    assert info.http_method == "DELETE"
    assert info.request_schema is None
    assert info.response_schema is None


@pytest.mark.parametrize("api", APIS)
def test_every_method_of_the_document_is_indexed(api: Any) -> None:
    ids = list(_all_method_ids(load_document(api)))
    assert ids
    for method_id in ids:
        assert method(api, method_id).id == method_id


def test_unknown_method_is_a_key_error() -> None:
    with pytest.raises(KeyError, match=r"directory\.users\.frobnicate"):
        method("admin.directory_v1", "directory.users.frobnicate")


def test_method_ids_are_per_api() -> None:
    with pytest.raises(KeyError):
        method("gmail.v1", "directory.users.insert")


def test_method_info_is_immutable() -> None:
    info = method("admin.directory_v1", "directory.users.get")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.path = "elsewhere"  # type: ignore[misc]


def test_schema() -> None:
    user = schema("admin.directory_v1", "User")
    assert user["id"] == "User"
    assert "primaryEmail" in user["properties"]
    assert "raw" in schema("gmail.v1", "Message")["properties"]


def test_unknown_schema_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="Nope"):
        schema("admin.directory_v1", "Nope")


def test_has_schema() -> None:
    assert has_schema("admin.directory_v1", "UserEmail")
    assert not has_schema("gmail.v1", "UserEmail")
