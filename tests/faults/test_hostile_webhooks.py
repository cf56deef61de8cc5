"""Hostile webhooks, each *validly signed*, on SQLite and PostgreSQL, through the production
server: whatever can never be stored or acted on is a 4xx naming the field (Sofia Plus
retries anything else forever) and stores nothing; what a real Sofia Plus sends — accents, ñ,
emoji, right-to-left marks, long names — is accepted and stored exactly as sent.

Each refusal here was a 500 on main (on PostgreSQL at least), or an acknowledged event whose
reconcile could never succeed.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import select

from app.db.models import Person
from app.logging_setup import configure_logging
from sofia_sync.normalize import MAX_NAME_LENGTH
from tests.support.harness import SECRET
from tests.support.hostile_corpus import STRING_FIELDS
from tests.support.hostile_requests import (
    EPOCH,
    Served,
    client_port,
    encode,
    example,
    hostile_service,
    hostile_stores,
    jobs_of,
    post_signed,
    sent_id,
    stored_payload,
)
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer

__all__ = ["hostile_service", "hostile_stores"]


def unknown(data: Any, kind: str = "sofia.future_event") -> dict[str, Any]:
    return {"type": kind, "occurred_at": EPOCH, "data": data}


def with_value(event: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``event`` with the field at dotted ``path`` set to ``value``."""
    *parents, last = path.split(".")
    node: Any = event
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    return event


def field_value(event: dict[str, Any], path: str) -> Any:
    node: Any = event
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def document_of(event: dict[str, Any]) -> str:
    return str(event["data"]["person"]["document_number"])


def test_json_nested_1000_levels_is_422_naming_the_body(hostile_service: Served) -> None:
    body = b'{"type": "x", "occurred_at": "%s", "data": {"a": %s%s}}' % (
        EPOCH.encode(),
        b"[" * 1000,
        b"]" * 1000,
    )
    hostile_service.assert_refused(post_signed(hostile_service.client, body), 422, "body")


def test_nesting_up_to_the_limit_is_accepted(hostile_service: Served) -> None:
    nested: Any = "fondo"
    for _ in range(30):  # 30 inside data, data and the envelope: 32 levels
        nested = [nested]
    event = unknown({"a": nested})
    response = post_signed(hostile_service.client, encode(event))
    assert response.status_code == 202, response.text
    assert stored_payload(hostile_service.services, sent_id(response)) == event


@pytest.mark.parametrize(
    "number",
    [b"9" * 5000, b"-" + b"1" * 101, b"1e400", b"-1e400", b"NaN", b"Infinity", b"-Infinity"],
    ids=["5000-digits", "101-digits", "1e400", "-1e400", "NaN", "Infinity", "-Infinity"],
)
def test_numbers_python_or_json_cannot_hold_are_422_naming_the_body(
    hostile_service: Served, number: bytes
) -> None:
    body = b'{"type": "x", "occurred_at": "%s", "data": {"a": %s}}' % (EPOCH.encode(), number)
    hostile_service.assert_refused(post_signed(hostile_service.client, body), 422, "body")


def test_a_webhook_id_over_200_characters_is_422_naming_it(hostile_service: Served) -> None:
    event = example()
    body = encode(event)
    refused = post_signed(hostile_service.client, body, webhook_id="m" * 201)
    hostile_service.assert_refused(refused, 422, "webhook-id", document_of(event))
    accepted = post_signed(
        hostile_service.client, body, webhook_id=f"{sent_id(refused)[:-1]}{document_of(event)}"[-200:]
    )
    assert accepted.status_code == 202, accepted.text
    assert stored_payload(hostile_service.services, sent_id(accepted)) == event


def test_a_webhook_id_with_a_control_character_is_422_naming_it(hostile_service: Served) -> None:
    event = example()
    # Header bytes are read as latin-1: 0x85 is NEL, a C1 control character.
    response = post_signed(hostile_service.client, encode(event), webhook_id="msg\x85x")
    hostile_service.assert_refused(response, 422, "webhook-id", document_of(event))


@pytest.mark.parametrize("kind", ["t" * 101, "sofia.\x00event"], ids=["101-characters", "NUL"])
def test_a_type_that_cannot_be_stored_is_422_naming_it(hostile_service: Served, kind: str) -> None:
    hostile_service.assert_refused(
        post_signed(hostile_service.client, encode(unknown({}, kind))), 422, "type"
    )


#: Every string of an enrolment, each given a NUL in turn.
CREATED_FIELDS = STRING_FIELDS["enrollment.created"]


@pytest.mark.parametrize("field", CREATED_FIELDS)
def test_nul_in_any_string_is_422_naming_it(hostile_service: Served, field: str) -> None:
    event = example()
    document = document_of(event)
    value = str(field_value(event, field))
    response = post_signed(
        hostile_service.client, encode(with_value(event, field, value[:2] + "\x00" + value[2:]))
    )
    hostile_service.assert_refused(response, 422, field, document)


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("person.roles_changed", "data.roles.0"),
        ("person.roles_changed", "data.fichas.0"),
        ("person.updated", "data.previous_document.document_number"),
    ],
)
def test_nul_in_the_other_events_strings_is_422_naming_it(
    hostile_service: Served, kind: str, field: str
) -> None:
    event = example(kind)
    event["data"].setdefault("fichas", ["2758392"])
    response = post_signed(hostile_service.client, encode(with_value(event, field, "1\x002")))
    hostile_service.assert_refused(response, 422, field, document_of(event))


@pytest.mark.parametrize("control", ["\x01", "\x1b", "\x7f", "\x9b"], ids=["SOH", "ESC", "DEL", "CSI"])
def test_control_characters_in_a_name_are_422_naming_it(hostile_service: Served, control: str) -> None:
    event = with_value(example(), "data.person.first_names", f"MARÍA{control}JOSÉ")
    response = post_signed(hostile_service.client, encode(event))
    hostile_service.assert_refused(response, 422, "data.person.first_names", document_of(event))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"nota": "a\x00b"}, "data.nota"),
        ({"lista": [1, {"x": "\x00"}]}, "data.lista.1.x"),
        ({"nota": "\ud800"}, "data.nota"),
        ({"nota": "\udc00\ud800"}, "data.nota"),  # a pair in the wrong order is two lone halves
        ({"\ud83d": 1}, "data.<key>"),
    ],
    ids=["nul", "nul-deep", "high-surrogate", "reversed-pair", "surrogate-key"],
)
def test_nul_and_lone_surrogates_anywhere_are_422_naming_the_path(
    hostile_service: Served, data: dict[str, Any], field: str
) -> None:
    body = encode(unknown(data), ascii_only=True)  # the only way to send a lone surrogate
    hostile_service.assert_refused(post_signed(hostile_service.client, body), 422, field)


def test_a_surrogate_pair_written_as_escapes_is_one_character_and_accepted(hostile_service: Served) -> None:
    event = with_value(example(), "data.person.first_names", "MARÍA 😀")
    body = encode(event, ascii_only=True)
    assert b"\\ud83d\\ude00" in body
    response = post_signed(hostile_service.client, body)
    assert response.status_code == 202, response.text
    assert stored_payload(hostile_service.services, sent_id(response)) == event


@pytest.mark.parametrize(
    "instant",
    [
        "9999-12-31T23:00:00-05:00",
        "0001-01-01T00:00:00+05:00",
        "9999-12-30T00:00:00Z",
        "1969-07-20T20:17:00Z",
    ],
    ids=["no-utc-form-late", "no-utc-form-early", "grace-overflows", "before-sofia-plus"],
)
def test_an_instant_misena_cannot_compute_with_is_422_naming_occurred_at(
    hostile_service: Served, instant: str
) -> None:
    event = with_value(example(), "occurred_at", instant)
    response = post_signed(hostile_service.client, encode(event))
    hostile_service.assert_refused(response, 422, "occurred_at", document_of(event))


@pytest.mark.parametrize("ficha", ["27 58392", "2758392@x", "1" * 21], ids=["space", "at-sign", "21-chars"])
def test_a_ficha_that_cannot_name_a_google_group_is_422(hostile_service: Served, ficha: str) -> None:
    event = with_value(example(), "data.enrollment.ficha", ficha)
    response = post_signed(hostile_service.client, encode(event))
    hostile_service.assert_refused(response, 422, "data.enrollment.ficha", document_of(event))


def test_a_10000_character_name_is_422_naming_it(hostile_service: Served) -> None:
    event = with_value(example(), "data.person.last_names", "PEÑA " * 2000)
    response = post_signed(hostile_service.client, encode(event))
    hostile_service.assert_refused(response, 422, "data.person.last_names", document_of(event))


#: What a real Sofia Plus may send; all of it must be accepted, stored as sent, and provisioned.
REAL_NAMES = [
    ("MARÍA JOSÉ", "PEÑA DE LA TORRE"),
    ("ÑANDÚ ÁLVARO", "MUÑOZ ÜBER"),
    ("JOSÉ\u200f", "\u200f\u0627\u0644\u062d\u0633\u064a\u0646\u064a"),  # RTL marks, Arabic script
    ("ANA 👩\u200d👩\u200d👧", "GÓMEZ 🌻"),  # emoji with zero-width joiners
    ("MARI\u0301A", "N\u0303UN\u0303EZ"),  # combining accents
    ("ANA\u00a0LUCÍA", "O'NEILL-RUIZ"),  # no-break space, apostrophe, hyphen
    ("ANA\tLUCÍA", "RUIZ\nDÍAZ"),  # a spreadsheet cell on two lines
    ("MARÍA " * 50, "PEÑA " * 60),  # 300 characters: cut to Google's 60 at a word
    ("\ufb03" * 70, "\ufb03" * 70),  # "ﬃ" folds to "ffi": the search form is longer than the name
]


def test_real_names_are_accepted_stored_as_sent_and_get_an_account(
    hostile_service: Served,
    tenant: EmulatorControl,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
) -> None:
    """Also: what intake and the worker log about these people holds no full document number,
    no personal email and no secret."""
    documents = []
    logs = io.StringIO()
    configure_logging("DEBUG", stream=logs)
    try:
        for first, last in REAL_NAMES:
            event = example()
            event["data"]["person"].update(first_names=first, last_names=last)
            response = post_signed(hostile_service.client, encode(event))
            assert response.status_code == 202, response.text
            assert stored_payload(hostile_service.services, sent_id(response)) == event, (
                "stored exactly as sent"
            )
            documents.append(document_of(event))
        harness = hostile_service.harness(tenant, emulator_server, key_info)
        harness.drain()
    finally:
        configure_logging()
    for document in documents:
        jobs = jobs_of(hostile_service.services, document)
        assert {state for _, state, _ in jobs} == {"done"}, f"no job fails for a name: {jobs}"
        user = harness.get_user(f"{document}@misena.edu.co")
        assert user is not None
        assert 0 < len(user["name"]["givenName"]) <= MAX_NAME_LENGTH
        assert 0 < len(user["name"]["familyName"]) <= MAX_NAME_LENGTH
        with hostile_service.services.sessions() as session:
            query = select(Person.search_name).where(Person.document_number == document)
            search_name = session.scalars(query).one()
        assert search_name is not None
        assert 0 < len(search_name) <= 300
    logged = logs.getvalue()
    assert "account_created" in logged
    assert not [d for d in documents if d in logged], "full document numbers were logged"
    assert "majo.pena@example.com" not in logged
    assert SECRET not in logged


def test_a_refused_event_leaves_the_connection_usable(hostile_service: Served) -> None:
    first = post_signed(hostile_service.client, b'{"a": ' + b"9" * 5000 + b"}")
    second = post_signed(hostile_service.client, encode(example()))
    assert (first.status_code, second.status_code) == (422, 202)
    assert client_port(first) == client_port(second), "both answers came over one kept-alive connection"
