"""The domain errors and their two renderings: a status for the API, an exit code for the CLI."""

from __future__ import annotations

import asyncio
import json

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
from sofia_sync.messages import Message

TEXT = Text("No person with that id.")


def _request(accept_language: str | None = None) -> Request:
    headers = [] if accept_language is None else [(b"accept-language", accept_language.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def _classes() -> list[type[MisenaError]]:
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, MisenaError) and value is not MisenaError
    ]


def test_a_text_is_its_english_msgid_and_its_spanish_comes_from_the_catalogue() -> None:
    assert TEXT.en == "No person with that id."
    assert TEXT.es == "No hay ninguna persona con ese id."
    moved = Text("Only pending jobs can be cancelled; this one is {state}.", state="dead")
    assert moved.en == "Only pending jobs can be cancelled; this one is dead."
    assert moved.es == "Solo se cancelan trabajos pendientes; este está dead."


def test_a_domain_message_is_translated_with_its_fields_and_causes() -> None:
    """sofia_sync says it in English with its values apart; app translates it, a cause too."""
    cause = Message("not a date (expected 2026-01-20 or 20/01/2026)")
    text = Text.of(Message("{column}: {problem}", column="FECHA_INICIO", problem=cause))
    assert text.en == "FECHA_INICIO: not a date (expected 2026-01-20 or 20/01/2026)"
    assert text.es == "FECHA_INICIO: no es una fecha (se espera 2026-01-20 o 20/01/2026)"


def test_a_message_without_translation_keeps_its_braces() -> None:
    assert Text.verbatim("pattern '^[0-9]{3}$'").es == "pattern '^[0-9]{3}$'"


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


def test_the_api_gets_english_unless_it_asks_for_spanish() -> None:
    assert misena_problem(NotFoundError(TEXT)).detail == "No person with that id."
    assert misena_problem(NotFoundError(TEXT)).title == "Not found"
    spanish = misena_problem(ConflictError(TEXT, title=Text("The plan was refused")), "es")
    assert spanish.detail == "No hay ninguna persona con ese id."
    assert spanish.title == "El plan fue rechazado"
    assert ConflictError(TEXT).title == Text("Conflict"), "a title given to one error is not the class's"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("es", "es"),
        ("es-CO", "es"),
        ("es-co;q=0.8, en;q=0.5", "es"),
        ("en;q=0.9, es", "es"),
        ("es;q=0.4, en;q=0.8", "en"),
        ("fr, de;q=0.9", "en"),
        ("es;q=0", "en"),
        ("fr, es;q=0.1", "es"),
        ("es;q=bogus", "en"),
    ],
)
def test_the_answer_language_follows_accept_language_and_its_q_values(
    header: str | None, language: str
) -> None:
    answer = asyncio.run(misena_error_handler(_request(header), NotFoundError(TEXT)))
    assert answer.headers["content-language"] == language
    detail = json.loads(bytes(answer.body))["detail"]
    assert detail == ("No hay ninguna persona con ese id." if language == "es" else "No person with that id.")


def test_fields_without_text_answer_with_errors_and_no_detail() -> None:
    empty = FieldProblem("scope", Text("is empty"))
    refusal = errors.InvalidInputError(title=Text("Invalid scope"), fields=[empty])
    problem = misena_problem(refusal, "es")
    assert problem.model_dump(exclude_none=True) == {
        "type": "about:blank",
        "title": "Alcance no válido",
        "status": 422,
        "errors": [{"field": "scope", "message": "está vacío"}],
    }


def test_an_unauthenticated_caller_is_told_the_scheme_only_when_there_is_one() -> None:
    request = _request()
    bearer = asyncio.run(misena_error_handler(request, UnauthenticatedError(TEXT, scheme="Bearer")))
    assert bearer.status_code == 401
    assert bearer.headers["www-authenticate"] == "Bearer"
    assert bearer.media_type == "application/problem+json"
    assert json.loads(bytes(bearer.body))["detail"] == "No person with that id."
    signature = asyncio.run(misena_error_handler(request, UnauthenticatedError(TEXT)))
    assert "www-authenticate" not in signature.headers
