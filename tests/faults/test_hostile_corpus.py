"""Over a thousand hostile webhooks, each validly signed, posted over one kept-alive connection
to the production server, on SQLite and on PostgreSQL (:mod:`tests.support.hostile_corpus`).

Shown for each store: no 5xx, no transport error and one TCP connection for the whole run
(nothing reset or closed it), every answer the one its family calls for, and nothing half
applied — every 202 stored exactly as decoded, every refusal stored nothing and made no person,
every accepted known event made its person and queued its reconcile. The log of the run holds
no secret, no full document number and no personal email, and no ``unhandled_error``.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import select

from app.db.models import Job, Person
from app.logging_setup import configure_logging
from sofia_sync.contract import UnknownEvent, parse_event
from tests.support.harness import SECRET
from tests.support.hostile_corpus import Case, corpus, decoded
from tests.support.hostile_requests import (
    WEBHOOK_PATH,
    Served,
    client_port,
    hostile_service,
    hostile_stores,
    sent_id,
    signed_headers,
    stored_payload,
)
from tests.support.log_leaks import lines_naming

__all__ = ["hostile_service", "hostile_stores"]

SEED = 20260120
REDELIVERIES = 25


def _person_made(case: Case) -> str | None:
    """The normalised document of the person an accepted ``case`` must have made, if any."""
    try:
        event = parse_event(decoded(case))
    except ValueError:
        return None
    if isinstance(event, UnknownEvent):
        return None
    return event.data.person.normalized_number


def _logged(capture: io.StringIO) -> logging.Handler:
    """uvicorn's own loggers do not propagate to the root: capture them too."""
    handler = logging.StreamHandler(capture)
    logging.getLogger("uvicorn").addHandler(handler)
    return handler


def test_a_thousand_hostile_webhooks_get_no_5xx_no_reset_and_leave_nothing_half_applied(
    hostile_service: Served,
) -> None:
    cases = corpus(SEED)
    assert len(cases) + REDELIVERIES >= 1000
    logs = io.StringIO()
    configure_logging("INFO", stream=logs)
    uvicorn_handler = _logged(logs)
    statuses: Counter[int] = Counter()
    wrong: list[tuple[str, int | None, int]] = []
    transport_errors = 0
    ports: set[int] = set()
    answered: list[tuple[Case, httpx.Response]] = []
    try:
        with httpx.Client(base_url=hostile_service.url, timeout=30) as client:
            for case in cases:
                try:
                    headers = signed_headers(case.body, **case.options)
                    response = client.post(WEBHOOK_PATH, content=case.body, headers=headers)
                except (httpx.TransportError, OSError):
                    transport_errors += 1
                    continue
                ports.add(client_port(response))
                statuses[response.status_code] += 1
                answered.append((case, response))
                if case.expect is not None and response.status_code != case.expect:
                    wrong.append((case.family, case.expect, response.status_code))
            accepted = [(c, r) for c, r in answered if r.status_code == 202]
            for case, first in accepted[:REDELIVERIES]:  # Sofia's retries: same id, same body
                again = client.post(
                    WEBHOOK_PATH,
                    content=case.body,
                    headers=signed_headers(case.body, webhook_id=sent_id(first)),
                )
                assert (again.status_code, again.json()["duplicate"]) == (202, True)
                ports.add(client_port(again))
    finally:
        logging.getLogger("uvicorn").removeHandler(uvicorn_handler)
        configure_logging()

    assert transport_errors == 0
    assert len(ports) == 1, "one kept-alive connection carried the whole corpus"
    assert not [s for s in statuses if s >= 500], statuses
    assert not wrong, Counter(wrong)
    assert statuses[202] >= 250, statuses  # the corpus is not only refusals
    _assert_nothing_half_applied(hostile_service, answered)
    _assert_logs_hold_nothing_personal(logs.getvalue(), cases)


def _assert_nothing_half_applied(served: Served, answered: list[tuple[Case, httpx.Response]]) -> None:
    documents = {case.document for case, _ in answered if case.document}
    made: dict[str, Any] = {}
    for case, response in answered:
        payload = stored_payload(served.services, sent_id(response))
        if response.status_code == 202 and response.json()["duplicate"]:
            assert payload is not None, f"{case.family}: a webhook-id seen before is stored once"
        elif response.status_code == 202:
            assert payload == decoded(case), f"{case.family}: stored exactly as decoded"
            document = _person_made(case)
            if document is not None:
                made[document] = case
        else:
            assert payload is None, f"{case.family}: a {response.status_code} stored the event"
    with served.services.sessions() as session:
        rows = session.execute(
            select(Person.document_number, Person.id).where(Person.document_number.in_(documents))
        )
        people: dict[str, int] = dict(rows.all())
        queued = set(session.scalars(select(Job.person_id).where(Job.person_id.in_(people.values()))))
    assert set(people) == set(made), "exactly the accepted known events made people"
    assert queued == set(people.values()), "and each queued its reconcile"


def _assert_logs_hold_nothing_personal(logged: str, cases: list[Case]) -> None:
    assert "unhandled_error" not in logged, "no input reached the safety net"
    assert SECRET not in logged
    assert SECRET.removeprefix("whsec_") not in logged
    for case in cases:
        if case.document:
            assert lines_naming(logged, case.document) == [], (
                f"{case.family}: a full document number was logged"
            )
            assert f"p{case.document}@example.com" not in logged, (
                f"{case.family}: a personal email was logged"
            )
    assert "webhook_accepted" in logged
