"""What can go wrong in a feature, as types the features raise and each front end renders.

Features (people, accounts, credentials, staff, sync, jobs, db) raise a :class:`MisenaError`
subclass and know nothing of HTTP or terminals. The API (:mod:`app.http.problems`) maps each
class to one status and answers RFC 9457 problem+json with the English text; the CLI
(:mod:`app.cli.plumbing`) maps each class to one exit code and prints the Spanish text. A new
kind of failure is a new class here and one line in each of those two maps.

Field errors name the offending input as a dotted path (``errors[].field`` in the API) and
never echo its value, which may hold a document number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app.texts import Text


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One input to fix: where (a dotted path) and why (English, as the API shows it)."""

    field: str
    message: str


class MisenaError(Exception):
    """Base of every refusal a person or client is told about.

    ``text`` is the message (``None`` when the field errors say it all); ``title`` overrides
    the class's short English title in the API; ``bilingual`` puts both languages in the API's
    ``detail`` (English, then Spanish), for refusals IT staff read off the API as well.
    """

    title = "Error"

    def __init__(
        self,
        text: Text | None = None,
        *,
        title: str | None = None,
        fields: Sequence[FieldProblem] = (),
        bilingual: bool = False,
    ) -> None:
        super().__init__(text.en if text else (title or self.title))
        self.text = text
        if title is not None:
            self.title = title
        self.fields = tuple(fields)
        self.bilingual = bilingual


class NotFoundError(MisenaError):
    """The thing named (a person, job, run, token) does not exist."""

    title = "Not found"


class ConflictError(MisenaError):
    """The action does not fit the current state; nothing was changed."""

    title = "Conflict"


class InvalidInputError(MisenaError):
    """The input breaks a rule; ``fields`` names what to fix."""

    title = "Invalid input"


class InvalidPageTokenError(InvalidInputError):
    """A page token this service did not issue: a bad request rather than a bad field value."""

    title = "Invalid page token"


class UnauthenticatedError(MisenaError):
    """No valid credentials; ``scheme`` is the one wanted (``Bearer``), if the client should be told."""

    title = "Unauthorized"

    def __init__(self, text: Text, *, title: str | None = None, scheme: str | None = None) -> None:
        super().__init__(text, title=title)
        self.scheme = scheme


class ForbiddenError(MisenaError):
    """Valid credentials without the permission the action needs."""

    title = "Forbidden"


class TooLargeError(MisenaError):
    """The input is over its size limit."""

    title = "Payload too large"


class UnsupportedMediaError(MisenaError):
    """The input is not in a format misena reads."""

    title = "Unsupported media type"


class UpstreamError(MisenaError):
    """Google or Sofia Plus failed, or answered something unusable."""

    title = "Upstream failed"


class UnavailableError(MisenaError):
    """A dependency (the database, Google) cannot be reached right now; retrying later may work."""

    title = "Service unavailable"


def field_problems(errors: Iterable[Any], *, skip_prefix: Sequence[str] = ()) -> list[FieldProblem]:
    """Pydantic errors → named fields; messages only, never the input values."""
    result = []
    for error in errors:
        if error.get("type") == "json_invalid":  # its loc is ("body", <character offset>)
            result.append(FieldProblem("body", str(error.get("msg", ""))))
            continue
        loc = [str(part) for part in error.get("loc", ())]
        while loc and loc[0] in skip_prefix:
            loc.pop(0)
        # Discriminated unions put the tag in the path (data -> 'enrollment.created' -> ...).
        loc = [part for part in loc if "." not in part or not part[0].isalpha()]
        result.append(FieldProblem(".".join(loc) or "body", str(error.get("msg", ""))))
    return result


#: What a missing thing is called in Spanish, after "No hay".
_NONE_ES = {
    "person": "ninguna persona",
    "job": "ningún trabajo",
    "held suspension": "ninguna suspensión retenida",
    "token": "ningún token",
}


def not_found(what: str) -> NotFoundError:
    """Nothing of kind ``what`` (person, job, held suspension, token) has the id asked for."""
    return NotFoundError(Text(es=f"No hay {_NONE_ES[what]} con ese id.", en=f"No {what} with that id."))
