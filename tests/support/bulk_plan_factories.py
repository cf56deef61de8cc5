"""Builders for the bulk sync plan's tests: roster people, their webhook equivalents, Faker
rosters read back through the importer, and Directory accounts as the planner would see them."""

from __future__ import annotations

import io
import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from pydantic import SecretStr

from sofia_sync.bulk_plan import KnownPerson
from sofia_sync.contract import (
    EnrollmentPayload,
    EnrollmentStatus,
    EnrollmentStatusChanged,
    Event,
    PersonPayload,
    PersonUpdated,
    Role,
    RolesChanged,
)
from sofia_sync.directory_snapshot import Snapshot
from sofia_sync.person import PersonRecord
from sofia_sync.planner import to_new_user
from sofia_sync.policy import DesiredAccount, PolicySettings, desired_account
from sofia_sync.roster import Roster, RosterPerson, load_roster
from sofia_sync.roster_records import roster_record
from tests.support import event_strategies as strategies
from tests.support.record_factories import AT
from tests.support.roster_files import CENTROS, Row, csv_bytes, fake_rows
from workspace.models import WorkspaceUser

#: The instant the roster was exported.
EXPORTED_AT = AT
#: When misena last heard of the people it already knew (before the export).
BEFORE = EXPORTED_AT - timedelta(days=1)
#: A webhook Sofia sent after the export.
AFTER = EXPORTED_AT + timedelta(hours=3)
#: The planning clock: no grace period (30 days) has run out for anything dated above.
NOW = EXPORTED_AT + timedelta(days=1)

SETTINGS = PolicySettings()
PASSWORD = SecretStr("Kx7-mQ2r-Tz9w")

DISTRITO = ("11", "Distrito Capital")
CUNDINAMARCA = ("25", "Cundinamarca")
FINANCIEROS = ("9229", "Centro de Servicios Financieros")
INDUSTRIAL = ("9401", "Centro de Gestión Industrial")
BIOTECNOLOGIA = ("9202", "Centro de Biotecnología Agropecuaria")


def person_payload(
    number: str = "1098765432",
    document_type: str = "CC",
    first_names: str = "MARÍA JOSÉ",
    last_names: str = "PEÑA DE LA TORRE",
    personal_email: str | None = "majo.pena@example.com",
    mobile_phone: str | None = "300 123 4567",
    birth_date: date | None = None,
) -> PersonPayload:
    return PersonPayload(
        document_type=document_type,
        document_number=number,
        first_names=first_names,
        last_names=last_names,
        personal_email=personal_email,
        mobile_phone=mobile_phone,
        birth_date=birth_date,
    )


def enrollment_payload(
    ficha: str = "2758392",
    status: EnrollmentStatus = EnrollmentStatus.EN_FORMACION,
    regional: tuple[str, str] = DISTRITO,
    centro: tuple[str, str] = FINANCIEROS,
    start: date = date(2025, 7, 14),
) -> EnrollmentPayload:
    return EnrollmentPayload.model_validate(
        {
            "ficha": ficha,
            "program": {
                "code": "228118",
                "version": "1",
                "name": "Análisis y Desarrollo de Software",
                "level": "TECNOLOGO",
            },
            "centro": {"code": centro[0], "name": centro[1]},
            "regional": {"code": regional[0], "name": regional[1]},
            "modality": "PRESENCIAL",
            "status": status,
            "start_date": start,
            "end_date": start + timedelta(days=730),
        }
    )


def roster_person(
    person: PersonPayload | None = None,
    *enrollments: EnrollmentPayload,
    instructor: bool = False,
    instructor_fichas: Iterable[str] = (),
    instructor_places: Iterable[tuple[str, str]] = (),
) -> RosterPerson:
    """What the importer makes of a person's rows; ``instructor_places``: (regional, centro)
    codes written on their instructor rows."""
    fichas = frozenset(instructor_fichas)
    places = list(instructor_places)
    roles = ({Role.APRENDIZ} if enrollments else set()) | ({Role.INSTRUCTOR} if instructor else set())
    return RosterPerson(
        person=person or person_payload(),
        roles=frozenset(roles),
        enrollments=tuple(sorted(enrollments, key=lambda e: e.ficha)),
        instructor_fichas=fichas if instructor else frozenset(),
        regional_codes=frozenset({e.regional.code for e in enrollments} | {r for r, _ in places}),
        centro_codes=frozenset({e.centro.code for e in enrollments} | {c for _, c in places}),
        lines=(2,),
    )


# --- webhook events ------------------------------------------------------------------------


def enrollment_event(person: PersonPayload, enrollment: EnrollmentPayload, at: datetime) -> Event:
    return EnrollmentStatusChanged.model_validate(
        {"occurred_at": at, "data": {"person": person.model_dump(), "enrollment": enrollment.model_dump()}}
    )


def roles_event(
    person: PersonPayload,
    roles: Iterable[Role | str],
    at: datetime,
    fichas: Iterable[str] = (),
    previous: Iterable[Role | str] = (),
) -> Event:
    return RolesChanged.model_validate(
        {
            "occurred_at": at,
            "data": {
                "person": person.model_dump(),
                "roles": [str(role) for role in roles],
                "previous_roles": [str(role) for role in previous],
                "fichas": sorted(fichas),
            },
        }
    )


def updated_event(person: PersonPayload, at: datetime) -> Event:
    return PersonUpdated.model_validate({"occurred_at": at, "data": {"person": person.model_dump()}})


def equivalent_events(person: RosterPerson, at: datetime) -> list[Event]:
    """What Sofia's webhooks say of the same facts: a status change per enrollment, and the
    roles (with the instructor fichas)."""
    events = [enrollment_event(person.person, enrollment, at) for enrollment in person.enrollments]
    events.append(roles_event(person.person, sorted(person.roles), at, person.instructor_fichas))
    return events


# --- Faker rosters -------------------------------------------------------------------------


def faker_rows(count: int, seed: int, *, instructors: float = 0.2) -> list[Row]:
    """:func:`fake_rows`, plus what instructors' rows carry: some instructors get the fichas
    (and centro, regional) they teach, and some apprentices are instructors too."""
    rng = random.Random(seed)
    rows: list[Row] = []
    for row in fake_rows(count, seed, instructors=instructors):
        if str(row.get("role", "")).upper() == "INSTRUCTOR" and rng.random() < 0.7:
            for _ in range(rng.choice([1, 2])):
                rows.append({**row, **_instructor_place(rng)})
            continue
        rows.append(row)
        if str(row.get("role", "")).upper() != "INSTRUCTOR" and rng.random() < 0.1:
            person = {name: row[name] for name in list(row)[:6]}
            rows.append({**person, "role": "Instructor", **_instructor_place(rng)})
    return rows


def _instructor_place(rng: random.Random) -> Row:
    centro_code, _, regional_code, _ = rng.choice(CENTROS)
    return {
        "ficha": str(rng.randrange(3_000_000, 3_000_040)),
        "centro_code": centro_code,
        "regional_code": regional_code,
    }


def faker_roster(count: int, seed: int, *, instructors: float = 0.2) -> Roster:
    """A Faker ``es_CO`` roster written as CSV and read back by the importer."""
    roster = load_roster(io.BytesIO(csv_bytes(faker_rows(count, seed, instructors=instructors))))
    assert not roster.errors
    return roster


# --- the Directory -------------------------------------------------------------------------


def desired(record: PersonRecord, now: datetime = NOW, settings: PolicySettings = SETTINGS) -> DesiredAccount:
    account = desired_account(record, settings, now)
    assert account is not None
    return account


def account(wanted: DesiredAccount, user_id: str = "1", **fields: Any) -> WorkspaceUser:
    """The account Google holds after misena created ``wanted`` (``users.insert`` of
    :func:`to_new_user`), with ``fields`` changed."""
    body = to_new_user(wanted, PASSWORD).to_body()
    body.pop("password")
    body["name"]["fullName"] = f"{body['name']['givenName']} {body['name']['familyName']}"
    user = WorkspaceUser.model_validate({**body, "id": user_id, "primaryEmail": wanted.primary_email.lower()})
    return user.model_copy(update=fields)


def memberships(wanted: DesiredAccount) -> dict[str, str]:
    """The ficha group memberships misena records once it applied ``wanted``'s groups."""
    return {group.email: group.role for group in wanted.groups}


def snapshot(*users: WorkspaceUser, settings: PolicySettings = SETTINGS) -> Snapshot:
    return Snapshot.of(users, settings.custom_schema, settings.external_id_type)


def managed(record: PersonRecord, user_id: str, **known: Any) -> tuple[KnownPerson, WorkspaceUser]:
    """A person misena manages, in step with their account: (what misena holds, the account)."""
    wanted = desired(record)
    fields: dict[str, Any] = {"group_memberships": memberships(wanted), "google_user_id": user_id}
    return KnownPerson(record, **{**fields, **known}), account(wanted, user_id)


def known_from(person: RosterPerson, at: datetime = BEFORE) -> PersonRecord:
    """What misena holds when an earlier roster (or Sofia's webhooks) told it the same facts."""
    return roster_record(person, at)


# --- hypothesis ----------------------------------------------------------------------------


@st.composite
def roster_people(draw: st.DrawFn) -> RosterPerson:
    """Roster people over the same small pools as :mod:`.strategies`' events, so a person's
    history and their roster entry collide on fichas, documents and instants."""
    person = draw(strategies.people)
    enrollments = draw(st.lists(strategies.enrollments, max_size=3, unique_by=lambda e: e.ficha))
    instructor = draw(st.booleans()) or not enrollments
    fichas = draw(strategies.instructor_ficha_lists)
    return roster_person(person, *enrollments, instructor=instructor, instructor_fichas=fichas)
