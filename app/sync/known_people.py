"""misena's people as a bulk plan reads them: every record, streamed, with what the reconcile
weighs besides the record (exclusion, IT staff's suspension, a suspension the circuit breaker
held), so that the plan's preview is what the reconcile will do."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from app.db.models import Person, SuspensionHold
from app.db.states import HoldState
from app.people import repository as people
from sofia_sync.bulk_plan import KnownPerson
from sofia_sync.held_suspensions import LatestHold
from sofia_sync.policy import staff_suspension


def known_people(session: Session) -> Iterator[tuple[str, KnownPerson]]:
    """Every person misena holds, streamed from the database a few thousand at a time, with
    what the reconcile will weigh besides their record: IT staff's suspension and the latest
    decision on a suspension the circuit breaker held (few people have one: read first)."""
    holds = _latest_holds(session)
    rows = session.execute(
        select(
            Person.id,
            Person.person_key,
            # as JSON text: pydantic parses it far faster than it validates decoded Python
            cast(Person.record, Text),
            Person.excluded,
            Person.suspended_by_misena,
            Person.group_memberships,
            Person.google_user_id,
            Person.staff_suspended,
            Person.staff_reason,
        ).execution_options(yield_per=2000)
    )
    for person_id, key, record, excluded, by_misena, groups, user_id, staff, staff_reason in rows:
        yield (
            key,
            KnownPerson(
                people.record_from_json(record),
                excluded,
                by_misena,
                groups,
                user_id,
                staff=staff_suspension(staff, staff_reason),
                hold=holds.get(person_id),
            ),
        )


def _latest_holds(session: Session) -> dict[int, LatestHold]:
    """Each person's latest hold that is not obsolete, as :mod:`app.accounts.brake` reads it."""
    rows = session.execute(
        select(SuspensionHold.person_id, SuspensionHold.state, SuspensionHold.reason)
        .where(SuspensionHold.state != HoldState.OBSOLETE)
        .order_by(SuspensionHold.id)
    )
    return {person_id: LatestHold(state, reason) for person_id, state, reason in rows}
