"""RFC 9457 problem details: every 4xx/5xx the API answers, in one shape.

Features raise the domain errors of :mod:`app.errors`; :func:`misena_error_handler` is the one
place that turns them into answers — the status by class (:data:`STATUS`), the English text as
``detail`` — so a feature never chooses an HTTP status. :class:`ProblemError` remains for the
refusals only the HTTP layer makes (request size, headers, validation).

Errors name the offending field (``errors[].field`` as a dotted path) so Sofia Plus and IT staff
can fix the input; they never echo the submitted values, which may hold document numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

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
        title: str,
        detail: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.problem = Problem(status=status, title=title, detail=detail, errors=errors)
        self.headers = headers


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def field_errors(errors: Iterable[Any], *, skip_prefix: Sequence[str] = ()) -> list[FieldError]:
    """Pydantic errors → named fields; messages only, never the input values."""
    return _fields(field_problems(errors, skip_prefix=skip_prefix))


def _fields(problems: Iterable[FieldProblem]) -> list[FieldError]:
    return [FieldError(field=p.field, message=p.message) for p in problems]


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


def misena_problem(exc: MisenaError) -> Problem:
    """The problem a domain error answers with: English ``detail`` (both languages if the error
    asks), the class's status and title, and the fields to fix."""
    detail = None
    if exc.text is not None:
        detail = exc.text.both() if exc.bilingual else exc.text.en
    return Problem(status=status_of(exc), title=exc.title, detail=detail, errors=_fields(exc.fields) or None)


def validation_problem(exc: ValidationError | RequestValidationError) -> Problem:
    return Problem(
        status=422,
        title="The request breaks the contract",
        detail="See errors for the fields to fix.",
        errors=field_errors(exc.errors(), skip_prefix=("body", "query", "path", "header")),
    )


async def problem_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)  # noqa: S101 - registered for ProblemError only
    return problem_response(exc.problem, exc.headers)


async def misena_error_handler(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, MisenaError):  # registered for MisenaError only
        raise exc
    headers = None
    if isinstance(exc, UnauthenticatedError) and exc.scheme is not None:
        headers = {"WWW-Authenticate": exc.scheme}
    return problem_response(misena_problem(exc), headers)


async def request_validation_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    return problem_response(validation_problem(exc))


#: FastAPI's 400 for a JSON body it cannot read at all (not UTF-8, nested too deep).
_UNREADABLE_BODY = "There was an error parsing the body"


async def http_exception_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    if exc.status_code == 400 and exc.detail == _UNREADABLE_BODY:
        # Malformed JSON is already a 422 naming the body; unreadable JSON is the same mistake.
        return problem_response(
            Problem(
                status=422,
                title="The request breaks the contract",
                detail="The body is not valid JSON.",
                errors=[FieldError(field="body", message="not valid UTF-8 JSON")],
            )
        )
    return problem_response(Problem(status=exc.status_code, title=str(exc.detail)))
