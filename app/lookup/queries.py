"""Finding people and assembling the whole picture of one: shared by the IT staff API
(``/v1/people``) and the ``misena accounts`` command line, so both answer the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, cast, or_, select
from sqlalchemy.orm import Session

from app.accounts.follow_up import FollowUpPolicy, person_follow_up
from app.accounts.schemas import FollowUpOut, HoldOut
from app.credentials.schemas import DeliveryOut
from app.db.models import AuditEvent, CredentialDelivery, Job, Person, SuspensionHold
from app.db.paging import Page, fetch_page
from app.db.states import AccountStatus
from app.errors import FieldProblem, InvalidInputError, not_found
from app.jobs.schemas import JobOut
from app.lookup.schemas import PersonDetail, PersonSummary, WorkspaceState
from app.people import repository as people
from app.people.index import search_form
from app.people.repository import escape_like
from app.settings import Settings
from app.staff.schemas import AuditOut
from app.texts import Text
from sofia_sync.policy import desired_account, staff_suspension

#: How many jobs, deliveries, holds and audit entries the detail shows, newest first.
HISTORY = 50


@dataclass(frozen=True)
class PeopleFilter:
    """What the caller knows; every given field must match (``None`` or empty: any)."""

    document: str | None = None
    email: str | None = None
    name: str | None = None
    ficha: str | None = None
    state: AccountStatus | None = None


def _like(text: str) -> str:
    return f"%{escape_like(text)}%"


def people_query(filters: PeopleFilter) -> Select[Any]:
    statement = select(Person)
    record_text = cast(Person.record, String)
    if filters.document:
        try:
            ids = people.document_ids(filters.document)
        except ValueError as exc:
            raise InvalidInputError(
                Text("The document is a number (1098765432) or type:number (TI:1098765432)."),
                fields=[
                    FieldProblem(
                        "document", Text("Expected a number, or a type and a number: TI:1098765432.")
                    )
                ],
            ) from exc
        statement = statement.where(Person.id.in_(ids))
    if filters.email:
        pattern = _like(filters.email.strip().lower())
        statement = statement.where(
            or_(
                Person.primary_email.like(pattern, escape="\\"),
                Person.personal_email.like(pattern, escape="\\"),
            )
        )
    if filters.name:
        statement = statement.where(Person.search_name.like(_like(search_form(filters.name)), escape="\\"))
    if filters.ficha:
        statement = statement.where(record_text.like(_like(f'"ficha": "{filters.ficha}"'), escape="\\"))
    if filters.state:
        statement = statement.where(Person.account_status == filters.state)
    return statement


def search_people(
    session: Session, filters: PeopleFilter, page_token: str | None, limit: int
) -> Page[Person]:
    """One page of the people matching ``filters``, newest first (``ProblemError`` 400 for a
    page token this service did not issue)."""
    return fetch_page(session, people_query(filters), Person.id, page_token, limit)


def person_detail(session: Session, settings: Settings, now: datetime, person_id: int) -> PersonDetail:
    """Everything about one person: the record, the account the policy wants for them at
    ``now``, what misena knows of the account, and their recent jobs, credential deliveries
    (never a password), follow-up, held suspensions and audit trail. ``ProblemError`` 404 if unknown."""
    person = people.get(session, person_id)
    if person is None:
        raise not_found("person")
    record = people.record_of(person)
    staff = staff_suspension(person.staff_suspended, person.staff_reason)
    desired = desired_account(record, settings.policy, now, staff=staff)
    return PersonDetail(
        **PersonSummary.of(person).model_dump(),
        record=person.record,
        desired=desired.model_dump(mode="json") if desired else None,
        first_signed_in_at=person.first_signed_in_at,
        follow_up=FollowUpOut.of(person_follow_up(session, person, FollowUpPolicy.of(settings))),
        workspace=WorkspaceState(
            primary_email=person.primary_email,
            google_user_id=person.google_user_id,
            suspended_by_misena=person.suspended_by_misena,
            suspension_reason=person.suspension_reason,
            suspended_at=person.suspended_at,
            group_memberships=person.group_memberships,
            next_review_at=person.next_review_at,
        ),
        jobs=[JobOut.of(j) for j in _recent(session, Job, person_id)],
        deliveries=[DeliveryOut.of(d) for d in _recent(session, CredentialDelivery, person_id)],
        holds=[HoldOut.of(h) for h in _recent(session, SuspensionHold, person_id)],
        audit=[AuditOut.of(a) for a in _recent(session, AuditEvent, person_id)],
    )


def _recent(session: Session, model: Any, person_id: int) -> list[Any]:
    return list(
        session.scalars(
            select(model).where(model.person_id == person_id).order_by(model.id.desc()).limit(HISTORY)
        )
    )
