"""Hypothesis strategies for Sofia Plus events about one person, and for Google accounts.

Values come from small pools on purpose: collisions (same instant, same ficha, the same
event twice) are exactly the cases the ordering rules have to get right.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import strategies as st

from sofia_sync.contract import (
    DocumentRef,
    EnrollmentCreated,
    EnrollmentCreatedData,
    EnrollmentPayload,
    EnrollmentStatus,
    EnrollmentStatusChanged,
    EnrollmentStatusChangedData,
    Event,
    Modality,
    PersonPayload,
    PersonUpdated,
    PersonUpdatedData,
    Place,
    Program,
    RolesChanged,
    RolesChangedData,
)

BOGOTA = timezone(timedelta(hours=-5))
BASE = datetime(2026, 1, 20, 8, 0, tzinfo=BOGOTA)

#: A minor's TI and the CC that replaces it (same NUIP), the usual document change.
DOCUMENTS = [("TI", "1.098.765.432"), ("CC", "1098765432")]

instants = st.integers(min_value=0, max_value=12).map(lambda minutes: BASE + timedelta(minutes=minutes))
#: The same instant written with different offsets must be the same instant.
occurred_ats = st.builds(
    lambda at, offset: at.astimezone(timezone(timedelta(hours=offset))),
    instants,
    st.sampled_from([-5, 0, 1]),
)

people = st.builds(
    lambda document, first, last, email, phone, birth: PersonPayload(
        document_type=document[0],
        document_number=document[1],
        first_names=first,
        last_names=last,
        personal_email=email,
        mobile_phone=phone,
        birth_date=birth,
    ),
    st.sampled_from(DOCUMENTS),
    st.sampled_from(["MARÍA JOSÉ", "MARIA JOSE", "María José"]),
    st.sampled_from(["PEÑA DE LA TORRE", "PEÑA TORRES"]),
    st.sampled_from([None, "majo.pena@example.com", "MAJO@EXAMPLE.COM", "no-es-correo"]),
    st.sampled_from([None, "300 123 4567", "+57 315 987 6543", "601 234 5678"]),
    st.sampled_from([None, date(2009, 3, 14), date(2008, 3, 14)]),
)

places = {
    "regional": [Place(code="11", name="Distrito Capital"), Place(code="5", name="Antioquia")],
    "centro": [
        Place(code="9229", name="Centro de Servicios Financieros"),
        Place(code="9206", name="Centro de Tecnología de la Manufactura Avanzada"),
    ],
}

enrollments = st.builds(
    lambda ficha, regional, centro, modality, status, start: EnrollmentPayload(
        ficha=ficha,
        program=Program(
            code="228118", version="1", name="Análisis y Desarrollo de Software", level="TECNOLOGO"
        ),
        centro=centro,
        regional=regional,
        modality=modality,
        status=status,
        start_date=start,
        end_date=start + timedelta(days=730),
    ),
    st.sampled_from(["2758392", "2758393", "2901111"]),
    st.sampled_from(places["regional"]),
    st.sampled_from(places["centro"]),
    st.sampled_from(list(Modality)),
    st.sampled_from(list(EnrollmentStatus)),
    st.sampled_from([date(2026, 1, 20), date(2025, 7, 14)]),
)

role_lists = st.lists(st.sampled_from(["APRENDIZ", "INSTRUCTOR", "ADMINISTRATIVO"]), max_size=3)


def _created(at: datetime, person: PersonPayload, enrollment: EnrollmentPayload) -> Event:
    data = EnrollmentCreatedData(person=person, enrollment=enrollment)
    return EnrollmentCreated(occurred_at=at, data=data)


def _status_changed(at: datetime, person: PersonPayload, enrollment: EnrollmentPayload) -> Event:
    data = EnrollmentStatusChangedData(person=person, enrollment=enrollment, previous_status=None)
    return EnrollmentStatusChanged(occurred_at=at, data=data)


def _roles_changed(at: datetime, person: PersonPayload, roles: list[str]) -> Event:
    return RolesChanged(occurred_at=at, data=RolesChangedData(person=person, roles=roles))


def _updated(at: datetime, person: PersonPayload, renamed: bool) -> Event:
    previous = None
    if renamed:
        other = next(d for d in DOCUMENTS if d[0] != person.document_type.value)
        previous = DocumentRef(document_type=other[0], document_number=other[1])
    return PersonUpdated(occurred_at=at, data=PersonUpdatedData(person=person, previous_document=previous))


events = st.one_of(
    st.builds(_created, occurred_ats, people, enrollments),
    st.builds(_status_changed, occurred_ats, people, enrollments),
    st.builds(_roles_changed, occurred_ats, people, role_lists),
    st.builds(_updated, occurred_ats, people, st.booleans()),
)

#: Fichas an instructor may be linked to; one of them is also an enrollment ficha above.
instructor_ficha_lists = st.lists(st.sampled_from(["2758392", "2901111", "3100200"]), max_size=2)


def _roles_changed_in_full(
    at: datetime, person: PersonPayload, roles: list[str], previous: list[str], fichas: list[str]
) -> Event:
    data = RolesChangedData(person=person, roles=roles, previous_roles=previous, fichas=fichas)
    return RolesChanged(occurred_at=at, data=data)


#: ``events`` plus roles changes that carry ``previous_roles`` and instructor ``fichas``.
full_events = st.one_of(
    events,
    st.builds(_roles_changed_in_full, occurred_ats, people, role_lists, role_lists, instructor_ficha_lists),
)
