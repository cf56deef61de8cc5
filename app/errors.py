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

from app.field_messages import field_message
from app.texts import Said, Text


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One input to fix: where (a dotted path) and why (a message in any language)."""

    field: str
    message: Text


class MisenaError(Exception):
    """Base of every refusal a person or client is told about.

    ``text`` is the message (``None`` when the field errors say it all); ``title`` overrides
    the class's short title in the API.
    """

    title = Text("Error")

    def __init__(
        self,
        text: Said | None = None,
        *,
        title: Text | None = None,
        fields: Sequence[FieldProblem] = (),
    ) -> None:
        super().__init__(text.en if text else (title or self.title).en)
        self.text = text
        if title is not None:
            self.title = title
        self.fields = tuple(fields)


class NotFoundError(MisenaError):
    """The thing named (a person, job, run, token) does not exist."""

    title = Text("Not found")


class ConflictError(MisenaError):
    """The action does not fit the current state; nothing was changed."""

    title = Text("Conflict")


class InvalidInputError(MisenaError):
    """The input breaks a rule; ``fields`` names what to fix."""

    title = Text("Invalid input")


class InvalidPageTokenError(InvalidInputError):
    """A page token this service did not issue: a bad request rather than a bad field value."""

    title = Text("Invalid page token")


class UnauthenticatedError(MisenaError):
    """No valid credentials; ``scheme`` is the one wanted (``Bearer``), if the client should be told."""

    title = Text("Unauthorized")

    def __init__(self, text: Text, *, title: Text | None = None, scheme: str | None = None) -> None:
        super().__init__(text, title=title)
        self.scheme = scheme


class ForbiddenError(MisenaError):
    """Valid credentials without the permission the action needs."""

    title = Text("Forbidden")


class TooLargeError(MisenaError):
    """The input is over its size limit."""

    title = Text("Payload too large")


class UnsupportedMediaError(MisenaError):
    """The input is not in a format misena reads."""

    title = Text("Unsupported media type")


class UpstreamError(MisenaError):
    """Google or Sofia Plus failed, or answered something unusable."""

    title = Text("Upstream failed")


class UnavailableError(MisenaError):
    """A dependency (the database, Google) cannot be reached right now; retrying later may work."""

    title = Text("Service unavailable")


def field_problems(errors: Iterable[Any], *, skip_prefix: Sequence[str] = ()) -> list[FieldProblem]:
    """Pydantic errors → named fields; messages only, never the input values."""
    result = []
    for error in errors:
        if error.get("type") == "json_invalid":  # its loc is ("body", <character offset>)
            result.append(FieldProblem("body", field_message(error)))
            continue
        loc = [str(part) for part in error.get("loc", ())]
        while loc and loc[0] in skip_prefix:
            loc.pop(0)
        # Discriminated unions put the tag in the path (data -> 'enrollment.created' -> ...).
        loc = [part for part in loc if "." not in part or not part[0].isalpha()]
        result.append(FieldProblem(".".join(loc) or "body", field_message(error)))
    return result


#: What IT staff look up by id, and what the answer says when there is none.
_NOT_FOUND = {
    "person": Text("No person with that id."),
    "job": Text("No job with that id."),
    "held suspension": Text("No held suspension with that id."),
    "token": Text("No token with that id."),
}


#: A document number that names nobody misena knows.
NO_SUCH_DOCUMENT = Text("No person has that document.")


def not_found(what: str) -> NotFoundError:
    """Nothing of kind ``what`` (person, job, held suspension, token) has the id asked for."""
    return NotFoundError(_NOT_FOUND[what])
