"""The Directory adapter: the :class:`~workspace.ports.Directory` port over the Admin SDK.

Every call goes through :meth:`GoogleDirectory._call`: take a permit from the quota (shared by
every process in the service, so together they stay under Google's limits), execute, classify
any failure — a rate answer also slows the quota down for everyone — and retry the retryable
ones with Google's backoff. Each attempt takes its own permit, because Google counts retries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from pydantic import SecretStr

from workspace.errors import AlreadyExists, NotFound, RateLimited
from workspace.google_quotas import DIRECTORY_QUERIES, USER_CREATES
from workspace.google_session import DIRECTORY_SCOPES, ServiceFactory, execute
from workspace.models import (
    DeletedUser,
    Group,
    GroupMember,
    MemberRole,
    NewUser,
    OrgUnit,
    UserChanges,
    UserPage,
    WorkspaceUser,
)
from workspace.pacing import LocalQuota, QuotaGate
from workspace.retry import RetryPolicy, call_with_retry
from workspace.sign_in_status import SIGN_IN_LIST_FIELDS, SignInStatus
from workspace.snapshot_reader import LIST_FIELDS, PAGE_SIZE, Chain, read_snapshot
from workspace.user_snapshot import Tally, UserSnapshot

T = TypeVar("T")

#: How long after our own insert a 404 means "not visible yet" rather than "gone".
RECENT_CREATE_SECONDS = 120.0
#: What a deleted-user lookup reads of each deleted user: all it needs to pick one and restore it.
DELETED_FIELDS = "nextPageToken,users(id,primaryEmail,deletionTime,orgUnitPath)"


class GoogleDirectory:
    """Users, org units and groups, as the configured super admin (domain-wide delegation)."""

    def __init__(
        self,
        services: ServiceFactory,
        admin_email: str,
        *,
        customer: str = "my_customer",
        retry: RetryPolicy | None = None,
        quota: QuotaGate | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._services = services
        self._admin = admin_email
        self._customer = customer
        self._retry = retry or RetryPolicy()
        self._quota = quota or LocalQuota()
        self._sleep = sleep
        self._recent: dict[str, float] = {}
        self._recent_lock = threading.Lock()

    # -- plumbing -------------------------------------------------------------------------

    def _api(self) -> Any:
        return self._services.service("admin", "directory_v1", self._admin, DIRECTORY_SCOPES)

    def _call(
        self,
        make_request: Callable[[Any], Any],
        *,
        creating: bool = False,
        key: str | None = None,
    ) -> Any:
        buckets = (DIRECTORY_QUERIES, USER_CREATES) if creating else (DIRECTORY_QUERIES,)

        def attempt() -> Any:
            self._quota.take(*buckets)
            try:
                return execute(make_request(self._api()), recently_created=self._is_recent(key))
            except RateLimited as exc:
                self._quota.refused(refused_bucket(exc, creating=creating), exc.retry_after)
                raise

        return call_with_retry(attempt, self._retry, sleep=self._sleep)

    def _remember_created(self, *keys: str) -> None:
        deadline = time.monotonic() + RECENT_CREATE_SECONDS
        with self._recent_lock:
            now = time.monotonic()
            for stale in [k for k, until in self._recent.items() if until < now]:
                del self._recent[stale]
            for key in keys:
                self._recent[key.lower()] = deadline

    def _is_recent(self, key: str | None) -> bool:
        if key is None:
            return False
        with self._recent_lock:
            return self._recent.get(key.lower(), 0.0) > time.monotonic()

    # -- users ----------------------------------------------------------------------------

    def get_user(self, key: str) -> WorkspaceUser | None:
        try:
            found = self._call(lambda api: api.users().get(userKey=key, projection="full"), key=key)
        except NotFound:
            return None
        return WorkspaceUser.model_validate(found)

    def create_user(self, user: NewUser) -> WorkspaceUser:
        created = self._call(
            lambda api: api.users().insert(body=user.to_body()),
            creating=True,
        )
        result = WorkspaceUser.model_validate(created)
        self._remember_created(result.primary_email, result.id)
        return result

    def update_user(self, key: str, changes: UserChanges) -> WorkspaceUser:
        body = changes.model_dump(by_alias=True, exclude_unset=True, mode="json")
        updated = self._call(lambda api: api.users().update(userKey=key, body=body), key=key)
        return WorkspaceUser.model_validate(updated)

    def rename_user(self, key: str, new_primary_email: str) -> WorkspaceUser:
        return self.update_user(key, UserChanges(primary_email=new_primary_email))

    def set_suspended(self, key: str, suspended: bool) -> WorkspaceUser:
        return self.update_user(key, UserChanges(suspended=suspended))

    def set_password(self, key: str, password: SecretStr, *, change_at_next_login: bool = True) -> None:
        body = {
            "password": password.get_secret_value(),
            "changePasswordAtNextLogin": change_at_next_login,
        }
        self._call(lambda api: api.users().update(userKey=key, body=body), key=key)

    def find_deleted_user(
        self, *, user_id: str | None = None, primary_email: str | None = None
    ) -> DeletedUser | None:
        """Google lists deleted users only as a whole (``users.get`` does not see them and
        ``query`` is ignored with ``showDeleted``), so this reads 500 a page, masked to four
        fields: by id it stops at the match (one call while fewer than 500 users are deleted);
        by address it picks the most recently deleted of that address."""
        if (user_id is None) == (primary_email is None):
            raise ValueError("give exactly one of user_id or primary_email")
        wanted = primary_email.casefold() if primary_email is not None else None
        best: DeletedUser | None = None
        token: str | None = None
        while True:
            params: dict[str, Any] = {
                "customer": self._customer,
                "showDeleted": "true",
                "maxResults": PAGE_SIZE,
                "fields": DELETED_FIELDS,
            }
            if token:
                params["pageToken"] = token
            page = self._call(_list_users(params))
            for raw in page.get("users", []):
                found = DeletedUser.model_validate(raw)
                if found.id == user_id:
                    return found
                if found.primary_email.casefold() == wanted and (
                    best is None or (found.deletion_time or "") > (best.deletion_time or "")
                ):
                    best = found
            token = page.get("nextPageToken")
            if not token:
                return best

    def undelete_user(self, user_id: str, org_unit_path: str) -> None:
        body = {"orgUnitPath": org_unit_path}
        # No ``key``: a 404 here means "no such deleted user", never "not visible yet".
        self._call(lambda api: api.users().undelete(userKey=user_id, body=body))
        # Like a new user, a restored one may 404 for a moment on Google's other backends.
        self._remember_created(user_id)

    def list_users_page(
        self, query: str = "", page_token: str | None = None, page_size: int = 500
    ) -> UserPage:
        params: dict[str, Any] = {
            "customer": self._customer,
            "maxResults": page_size,
            "projection": "full",
            "orderBy": "email",
        }
        if query:
            params["query"] = query
        if page_token:
            params["pageToken"] = page_token
        page = self._call(lambda api: api.users().list(**params))
        return UserPage(
            users=[WorkspaceUser.model_validate(u) for u in page.get("users", [])],
            next_page_token=page.get("nextPageToken"),
        )

    def snapshot_users(
        self,
        *,
        custom_schema: str,
        workers: int = 8,
        page_size: int = PAGE_SIZE,
        cancel: threading.Event | None = None,
        tally: Tally | None = None,
    ) -> UserSnapshot:
        """Every user of the tenant, read with ``users.list`` only (see :mod:`workspace.snapshot_reader`).

        Paced and retried like every other call, so a snapshot never trips Google's quota.
        """

        def fetch(chain: Chain, token: str | None) -> dict[str, Any]:
            params: dict[str, Any] = {
                "customer": self._customer,
                "maxResults": page_size,
                "projection": "custom",
                "customFieldMask": custom_schema,
                "orderBy": "email",
                "sortOrder": "DESCENDING" if chain.descending else "ASCENDING",
                "fields": LIST_FIELDS,
            }
            if chain.query:
                params["query"] = chain.query
            if token:
                params["pageToken"] = token
            page: dict[str, Any] = self._call(lambda api: api.users().list(**params))
            return page

        return read_snapshot(fetch, workers=workers, cancel=cancel, tally=tally)

    def iter_sign_in_pages(self, page_size: int = PAGE_SIZE) -> Iterator[list[SignInStatus]]:
        """Every user's sign-in fields, a page at a time in address order (one ``users.list``
        call a page, fields masked to :data:`SIGN_IN_FIELDS`); a caller that stops iterating
        makes no further call."""
        token: str | None = None
        while True:
            params: dict[str, Any] = {
                "customer": self._customer,
                "maxResults": page_size,
                "orderBy": "email",
                "fields": SIGN_IN_LIST_FIELDS,
            }
            if token:
                params["pageToken"] = token
            page = self._call(_list_users(params))
            yield [SignInStatus.of(user) for user in page.get("users", [])]
            token = page.get("nextPageToken")
            if not token:
                return

    def iter_users(self, query: str = "", page_size: int = 500) -> Iterator[WorkspaceUser]:
        token: str | None = None
        while True:
            page = self.list_users_page(query, token, page_size)
            yield from page.users
            token = page.next_page_token
            if not token:
                return

    # -- org units ------------------------------------------------------------------------

    def get_org_unit(self, path: str) -> OrgUnit | None:
        relative = path.strip("/")
        if not relative:
            relative = "/"
        try:
            found = self._call(
                lambda api: api.orgunits().get(customerId=self._customer, orgUnitPath=relative)
            )
        except NotFound:
            return None
        return OrgUnit.model_validate(found)

    def create_org_unit(self, name: str, parent_path: str = "/") -> OrgUnit:
        body = {"name": name, "parentOrgUnitPath": parent_path}
        created = self._call(lambda api: api.orgunits().insert(customerId=self._customer, body=body))
        return OrgUnit.model_validate(created)

    def ensure_org_unit(self, path: str) -> OrgUnit:
        parts = [p for p in path.strip("/").split("/") if p]
        unit = self.get_org_unit("/" + "/".join(parts))
        if unit is not None:
            return unit
        parent = "/"
        for depth, name in enumerate(parts):
            current = "/" + "/".join(parts[: depth + 1])
            unit = self.get_org_unit(current)
            if unit is None:
                try:
                    unit = self.create_org_unit(name, parent)
                except AlreadyExists:
                    unit = self.get_org_unit(current)
            parent = current
        if unit is None:
            raise NotFound(f"org unit {path} could not be created", status=404)
        return unit

    # -- groups ---------------------------------------------------------------------------

    def get_group(self, key: str) -> Group | None:
        try:
            found = self._call(lambda api: api.groups().get(groupKey=key))
        except NotFound:
            return None
        return Group.model_validate(found)

    def create_group(self, email: str, name: str, description: str = "") -> Group:
        body = {"email": email, "name": name, "description": description}
        return Group.model_validate(self._call(lambda api: api.groups().insert(body=body)))

    def add_member(self, group_key: str, email: str, role: MemberRole = "MEMBER") -> bool:
        body = {"email": email, "role": role}
        try:
            self._call(lambda api: api.members().insert(groupKey=group_key, body=body), key=email)
        except AlreadyExists:
            return False
        return True

    def remove_member(self, group_key: str, email: str) -> bool:
        try:
            self._call(lambda api: api.members().delete(groupKey=group_key, memberKey=email))
        except NotFound:
            return False
        return True

    def get_member(self, group_key: str, email: str) -> GroupMember | None:
        # No ``key``: a 404 here means "not a member", not "the user is not visible yet".
        try:
            found = self._call(lambda api: api.members().get(groupKey=group_key, memberKey=email))
        except NotFound:
            return None
        return GroupMember.model_validate(found)

    def set_member_role(self, group_key: str, email: str, role: MemberRole) -> GroupMember:
        body = {"role": role}
        updated = self._call(lambda api: api.members().patch(groupKey=group_key, memberKey=email, body=body))
        return GroupMember.model_validate(updated)

    def is_member(self, group_key: str, email: str) -> bool:
        answer = self._call(lambda api: api.members().hasMember(groupKey=group_key, memberKey=email))
        return bool(answer.get("isMember"))

    def iter_members(self, group_key: str) -> Iterator[GroupMember]:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"groupKey": group_key, "maxResults": 200}
            if token:
                params["pageToken"] = token
            page = self._call(_list_members(params))
            for member in page.get("members", []):
                yield GroupMember.model_validate(member)
            token = page.get("nextPageToken")
            if not token:
                return


def _list_users(params: dict[str, Any]) -> Callable[[Any], Any]:
    """Bind this page's parameters now, not when the retry loop calls back."""
    return lambda api: api.users().list(**params)


def _list_members(params: dict[str, Any]) -> Callable[[Any], Any]:
    """Bind this page's parameters now, not when the retry loop calls back."""
    return lambda api: api.members().list(**params)


def refused_bucket(error: RateLimited, *, creating: bool) -> str:
    """Which limit a rate answer is about: Google says ``userRateLimitExceeded`` for the
    project's queries a minute; any other rate answer to an insert is the domain's creations."""
    if creating and error.reason != "userRateLimitExceeded":
        return USER_CREATES
    return DIRECTORY_QUERIES
