"""The domain errors and their two renderings: a status for the API, an exit code for the CLI."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

import pytest
from fastapi import Request

from app import errors
from app.cli.plumbing import EXIT_CODES, exit_code
from app.errors import (
    ConflictError,
    FieldProblem,
    InvalidPageTokenError,
    MisenaError,
    NotFoundError,
    UnauthenticatedError,
    UpstreamError,
)
from app.http.problems import STATUS, misena_error_handler, misena_problem, status_of
from app.texts import Text

TEXT = Text(es="No hay ninguna persona con ese id.", en="No person with that id.")


def _classes() -> list[type[MisenaError]]:
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, MisenaError) and value is not MisenaError
    ]


def test_a_text_cannot_be_built_by_position() -> None:
    with pytest.raises(TypeError):
        cast(Any, Text)("hola", "hello")
    assert Text(en="hello", es="hola") == Text(es="hola", en="hello")


def test_every_domain_error_has_its_own_status_and_an_exit_code() -> None:
    for cls in _classes():
        assert cls in STATUS, f"{cls.__name__} has no HTTP status"
        mapped = [c for c in cls.__mro__ if c in EXIT_CODES]
        assert mapped, f"{cls.__name__} has no exit code (nor does a class it refines)"


def test_a_subclass_takes_the_most_specific_status_and_code() -> None:
    token = InvalidPageTokenError(TEXT)
    assert status_of(token) == 400, "not the 422 of InvalidInputError"
    assert exit_code(token)[0] == 2
    assert status_of(MisenaError(TEXT)) == 500
    assert exit_code(MisenaError(TEXT))[0] == 1


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (NotFoundError(TEXT), 404, 3),
        (ConflictError(TEXT), 409, 4),
        (UpstreamError(TEXT), 502, 5),
        (errors.UnavailableError(TEXT), 503, 6),
    ],
)
def test_each_class_maps_to_one_status_and_one_exit_code(error: MisenaError, status: int, code: int) -> None:
    assert status_of(error) == status
    assert exit_code(error)[0] == code


def test_the_api_gets_english_and_only_asked_for_both_languages() -> None:
    assert misena_problem(NotFoundError(TEXT)).detail == "No person with that id."
    both = misena_problem(ConflictError(TEXT, title="The plan was refused", bilingual=True))
    assert both.detail == "No person with that id. / No hay ninguna persona con ese id."
    assert both.title == "The plan was refused"
    assert ConflictError(TEXT).title == "Conflict", "a title given to one error is not the class's"


def test_fields_without_text_answer_with_errors_and_no_detail() -> None:
    problem = misena_problem(errors.InvalidInputError(title="Bad", fields=[FieldProblem("scope", "bad")]))
    assert problem.model_dump(exclude_none=True) == {
        "type": "about:blank",
        "title": "Bad",
        "status": 422,
        "errors": [{"field": "scope", "message": "bad"}],
    }


def test_an_unauthenticated_caller_is_told_the_scheme_only_when_there_is_one() -> None:
    request = cast(Request, None)
    bearer = asyncio.run(misena_error_handler(request, UnauthenticatedError(TEXT, scheme="Bearer")))
    assert bearer.status_code == 401
    assert bearer.headers["www-authenticate"] == "Bearer"
    assert bearer.media_type == "application/problem+json"
    assert json.loads(bytes(bearer.body))["detail"] == "No person with that id."
    signature = asyncio.run(misena_error_handler(request, UnauthenticatedError(TEXT)))
    assert "www-authenticate" not in signature.headers
