"""Typed shapes of what misena sends to and reads from the Directory API.

Field names are Pythonic; aliases are Google's camelCase, so ``model_dump(by_alias=True)``
is exactly a request body and ``model_validate`` reads a response.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic.alias_generators import to_camel

MemberRole = Literal["OWNER", "MANAGER", "MEMBER"]


class GoogleModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_body(self) -> dict[str, Any]:
        """The JSON Google expects: camelCase, and no field we did not set."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class UserName(GoogleModel):
    given_name: str
    family_name: str
    full_name: str | None = None


class ExternalId(GoogleModel):
    value: str
    type: str = "organization"
    custom_type: str | None = None


class Phone(GoogleModel):
    value: str
    type: str = "mobile"
    primary: bool | None = None


class WorkspaceUser(GoogleModel):
    """A user as read back from Google (only the fields misena looks at)."""

    id: str
    primary_email: str
    name: UserName
    org_unit_path: str = "/"
    suspended: bool = False
    suspension_reason: str | None = None
    archived: bool = False
    is_admin: bool = False
    change_password_at_next_login: bool = False
    recovery_email: str | None = None
    recovery_phone: str | None = None
    external_ids: list[ExternalId] = Field(default_factory=list)
    phones: list[Phone] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    custom_schemas: dict[str, dict[str, Any]] = Field(default_factory=dict)
    creation_time: str | None = None


class DeletedUser(GoogleModel):
    """A user deleted in Google that Google still keeps (about 20 days): restorable by its id."""

    id: str
    primary_email: str
    deletion_time: str | None = None
    org_unit_path: str | None = None


class NewUser(GoogleModel):
    """Everything a new account gets, sent in one ``users.insert`` (no insert-then-patch)."""

    primary_email: str
    name: UserName
    password: SecretStr
    change_password_at_next_login: bool = True
    org_unit_path: str = "/"
    recovery_email: str | None = None
    recovery_phone: str | None = None
    external_ids: list[ExternalId] = Field(default_factory=list)
    phones: list[Phone] = Field(default_factory=list)
    custom_schemas: dict[str, dict[str, Any]] = Field(default_factory=dict)
    suspended: bool = False

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        body["password"] = self.password.get_secret_value()
        for empty in ("externalIds", "phones", "customSchemas"):
            if not body.get(empty):
                body.pop(empty, None)
        return body

    def __repr__(self) -> str:  # the password stays out of reprs and logs
        return f"NewUser(primary_email={self.primary_email!r}, org_unit_path={self.org_unit_path!r})"


class UserChanges(GoogleModel):
    """A partial update: only the fields set here are sent; Google keeps the rest."""

    name: UserName | None = None
    org_unit_path: str | None = None
    suspended: bool | None = None
    recovery_email: str | None = None
    recovery_phone: str | None = None
    external_ids: list[ExternalId] | None = None
    phones: list[Phone] | None = None
    custom_schemas: dict[str, dict[str, Any]] | None = None
    primary_email: str | None = None

    def is_empty(self) -> bool:
        return not self.model_fields_set


class OrgUnit(GoogleModel):
    name: str
    org_unit_path: str
    org_unit_id: str | None = None
    parent_org_unit_path: str | None = None
    description: str | None = None


class Group(GoogleModel):
    id: str
    email: str
    name: str
    description: str | None = None
    direct_members_count: int | None = None


class GroupMember(GoogleModel):
    email: str
    role: MemberRole = "MEMBER"
    type: str = "USER"
    id: str | None = None
    status: str | None = None


class UserPage(BaseModel):
    users: list[WorkspaceUser]
    next_page_token: str | None = None
