"""Whether each user has signed in yet, as the Directory shows it on the user.

Google has no "first sign-in" field; it has three that change at the first sign-in:
``lastLoginTime`` (``1970-01-01T00:00:00.000Z`` until then), ``agreedToTerms`` (true once the
terms are accepted, at the first sign-in) and ``changePasswordAtNextLogin`` (cleared when the
temporary password is replaced). A user has signed in when ``lastLoginTime`` is past the
epoch; the other two are kept for what a follow-up may want to tell apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: The fields a sign-in check reads of each user: everything else stays on the wire.
SIGN_IN_FIELDS = "primaryEmail,lastLoginTime,agreedToTerms,changePasswordAtNextLogin"
SIGN_IN_LIST_FIELDS = f"nextPageToken,users({SIGN_IN_FIELDS})"
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SignInStatus:
    primary_email: str
    #: when the user last signed in; ``None``: never
    last_login_at: datetime | None
    agreed_to_terms: bool
    change_password_at_next_login: bool

    @classmethod
    def of(cls, user: Mapping[str, Any]) -> SignInStatus:
        return cls(
            primary_email=str(user["primaryEmail"]).lower(),
            last_login_at=_login_time(user.get("lastLoginTime")),
            agreed_to_terms=bool(user.get("agreedToTerms", False)),
            change_password_at_next_login=bool(user.get("changePasswordAtNextLogin", False)),
        )


def _login_time(value: Any) -> datetime | None:
    """Google's RFC 3339 timestamp; the epoch (or nothing) means the user never signed in."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    return moment if moment > _NEVER else None
