"""RFC 9457 problem details: every 4xx/5xx the API answers, in one shape.

Features raise the domain errors of :mod:`app.errors`; :func:`misena_error_handler` is the one
place that turns them into answers — the status by class (:data:`STATUS`), the text as
``detail`` — so a feature never chooses an HTTP status. :class:`ProblemError` remains for the
refusals only the HTTP layer makes (request size, headers, validation).

Every message is a catalogue msgid (:class:`~app.texts.Text`): the answer is in English unless
the request's ``Accept-Language`` prefers Spanish (``es``, ``es-CO``…, by q-value:
:func:`app.i18n.negotiate`), for ``title``, ``detail`` and each field's ``message`` alike, and
says which in ``Content-Language``.

Errors name the offending field (``errors[].field`` as a dotted path) so Sofia Plus and IT staff
can fix the input; they never echo the submitted values, which may hold document numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import (
    ConflictError,
    FieldProblem,
    ForbiddenError,
    InvalidInputError,
    InvalidPageTokenError,
    MisenaError,
    NotFoundError,
    TooLargeError,
    UnauthenticatedError,
    UnavailableError,
    UnsupportedMediaError,
    UpstreamError,
    field_problems,
)
from app.i18n import negotiate
from app.texts import Said, Text

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """An HTTP-only refusal (body or header limits, validation) inside :mod:`app.http`;
    features raise :class:`app.errors.MisenaError` instead."""

    def __init__(
        self,
        status: int,
        title: Text,
        detail: Text | None = None,
        errors: Sequence[FieldProblem] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(title.en)
        self.status, self.title, self.detail, self.errors = status, title, detail, tuple(errors)
        self.headers = headers

    def problem(self, language: str = "en") -> Problem:
        return _problem(self.status, self.title, self.detail, self.errors, language)


def problem_response(
    problem: Problem, headers: dict[str, str] | None = None, *, language: str = "en"
) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers={**(headers or {}), "Content-Language": language},
    )


def language_of(request: Request) -> str:
    """The language the client asked to be answered in (English unless it prefers Spanish)."""
    return negotiate(request.headers.get("accept-language"))


def _fields(problems: Iterable[FieldProblem], language: str) -> list[FieldError]:
    return [FieldError(field=p.field, message=p.message.in_language(language)) for p in problems]


def _problem(
    status: int, title: Text, detail: Said | None, fields: Sequence[FieldProblem], language: str
) -> Problem:
    return Problem(
        status=status,
        title=title.in_language(language),
        detail=detail.in_language(language) if detail is not None else None,
        errors=_fields(fields, language) or None,
    )


#: The status of each domain error; the most specific class listed in an error's MRO wins.
STATUS: dict[type[MisenaError], int] = {
    InvalidPageTokenError: 400,
    UnauthenticatedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    TooLargeError: 413,
    UnsupportedMediaError: 415,
    InvalidInputError: 422,
    UpstreamError: 502,
    UnavailableError: 503,
}


def status_of(exc: MisenaError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def misena_problem(exc: MisenaError, language: str = "en") -> Problem:
    """The problem a domain error answers with, in ``language``: the class's status and
    title, the error's text as ``detail``, and the fields to fix."""
    return _problem(status_of(exc), exc.title, exc.text, exc.fields, language)


_BREAKS_CONTRACT = Text("The request breaks the contract")


def validation_problem(exc: ValidationError | RequestValidationError, language: str = "en") -> Problem:
    return _problem(
        422,
        _BREAKS_CONTRACT,
        Text("See errors for the fields to fix."),
        field_problems(exc.errors(), skip_prefix=("body", "query", "path", "header")),
        language,
    )


async def problem_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)  # noqa: S101 - registered for ProblemError only
    language = language_of(request)
    return problem_response(exc.problem(language), exc.headers, language=language)


async def misena_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, MisenaError):  # registered for MisenaError only
        raise exc
    headers = None
    if isinstance(exc, UnauthenticatedError) and exc.scheme is not None:
        headers = {"WWW-Authenticate": exc.scheme}
    language = language_of(request)
    return problem_response(misena_problem(exc, language), headers, language=language)


async def request_validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    language = language_of(request)
    return problem_response(validation_problem(exc, language), language=language)


#: FastAPI's 400 for a JSON body it cannot read at all (not UTF-8, nested too deep).
_UNREADABLE_BODY = "There was an error parsing the body"


async def http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    language = language_of(request)
    if exc.status_code == 400 and exc.detail == _UNREADABLE_BODY:
        # Malformed JSON is already a 422 naming the body; unreadable JSON is the same mistake.
        unreadable = _problem(
            422,
            _BREAKS_CONTRACT,
            Text("The body is not valid JSON."),
            [FieldProblem("body", Text("not valid UTF-8 JSON"))],
            language,
        )
        return problem_response(unreadable, language=language)
    # Starlette's own reasons (404 Not Found, 405 Method Not Allowed) are HTTP's English.
    return problem_response(Problem(status=exc.status_code, title=str(exc.detail)))
