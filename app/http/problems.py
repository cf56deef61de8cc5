"""RFC 9457 problem details: every 4xx/5xx the API answers, in one shape.

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
    """Raise anywhere in a request to answer with this problem."""

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
    result = []
    for error in errors:
        if error.get("type") == "json_invalid":  # its loc is ("body", <character offset>)
            result.append(FieldError(field="body", message=str(error.get("msg", ""))))
            continue
        loc = [str(part) for part in error.get("loc", ())]
        while loc and loc[0] in skip_prefix:
            loc.pop(0)
        # Discriminated unions put the tag in the path (data -> 'enrollment.created' -> ...).
        loc = [part for part in loc if "." not in part or not part[0].isalpha()]
        result.append(FieldError(field=".".join(loc) or "body", message=str(error.get("msg", ""))))
    return result


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
