"""The activation report: per regional, centro or ficha, how many people got their credentials,
signed in, are still pending, were reminded, are flagged for the help desk, or whose credentials
could not be delivered — for ``GET /v1/reports/activation`` and ``misena report activation``.

One query: people joined to the follow-up's per-person summary of their deliveries
(:func:`app.accounts.follow_up.contacts`, the same reading the follow-up decides by), grouped
by the place columns kept on each person's row (:mod:`app.people.index`: their latest
enrollment). Each person is counted once, in one group; the counts of a group mean:

* ``delivered``: a credentials email reached them; ``signed_in`` + ``pending`` = ``delivered``;
* ``reminded``: they got at least one reminder (whether they signed in since or not);
* ``flagged``: flagged for the help desk and still not signed in (a later sign-in takes them
  out of it, though their row keeps when they were flagged);
* ``delivery_failed``: their latest settled credentials email was refused for good.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import and_, case, func, not_, select
from sqlalchemy.orm import Session

from app.accounts.follow_up import contacts
from app.db.models import Person
from app.spreadsheet import Column
from app.texts import Text


class GroupBy(StrEnum):
    REGIONAL = "regional"
    CENTRO = "centro"
    FICHA = "ficha"


@dataclass(frozen=True)
class ActivationFilter:
    """Codes the groups must be in (``None``: any)."""

    regional: str | None = None
    centro: str | None = None
    ficha: str | None = None


class ActivationCounts(BaseModel):
    people: int = Field(description="People in the group, with or without credentials.")
    delivered: int = Field(description="A credentials email reached them.")
    signed_in: int = Field(description="Delivered and signed in.")
    pending: int = Field(description="Delivered and not signed in yet.")
    reminded: int = Field(description="Got at least one reminder.")
    flagged: int = Field(description="Flagged for the help desk and still not signed in.")
    delivery_failed: int = Field(description="Their latest credentials email was refused for good.")


class ActivationGroup(ActivationCounts):
    code: str | None = Field(description="The regional's, centro's or ficha's code; null: no enrollment.")
    name: str | None = Field(description="The regional's or centro's name (null for a ficha).")


class ActivationReport(BaseModel):
    group_by: GroupBy
    groups: list[ActivationGroup]
    total: ActivationCounts


_KEYS: dict[GroupBy, tuple[Any, Any]] = {
    GroupBy.REGIONAL: (Person.regional_code, Person.regional_name),
    GroupBy.CENTRO: (Person.centro_code, Person.centro_name),
    GroupBy.FICHA: (Person.ficha, None),
}
COUNTS = tuple(ActivationCounts.model_fields)


def activation_report(session: Session, group_by: GroupBy, filters: ActivationFilter) -> ActivationReport:
    c = contacts()
    key, name = _KEYS[group_by]
    delivered = c.c.delivered > 0
    signed_in = Person.first_signed_in_at.is_not(None)

    def tally(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    statement = (
        select(
            key.label("code"),
            (func.max(name) if name is not None else key).label("name"),
            func.count(Person.id).label("people"),
            tally(delivered).label("delivered"),
            tally(and_(delivered, signed_in)).label("signed_in"),
            tally(and_(delivered, not_(signed_in))).label("pending"),
            tally(c.c.reminders_sent > 0).label("reminded"),
            tally(and_(Person.flagged_at.is_not(None), not_(signed_in))).label("flagged"),
            tally(c.c.last_failed_id > func.coalesce(c.c.last_sent_id, 0)).label("delivery_failed"),
        )
        .outerjoin(c, c.c.person_id == Person.id)
        .group_by(key)
        .order_by(key)
    )
    for column, wanted in (
        (Person.regional_code, filters.regional),
        (Person.centro_code, filters.centro),
        (Person.ficha, filters.ficha),
    ):
        if wanted:
            statement = statement.where(column == wanted)
    groups = [
        ActivationGroup(
            code=row.code,
            name=row.name if name is not None else None,
            **{count: int(getattr(row, count)) for count in COUNTS},
        )
        for row in session.execute(statement)
    ]
    total = ActivationCounts(**{count: sum(getattr(g, count) for g in groups) for count in COUNTS})
    return ActivationReport(group_by=group_by, groups=groups, total=total)


#: The group's label in the file's first header.
GROUP_HEADERS = {
    GroupBy.REGIONAL: Text("Regional"),
    GroupBy.CENTRO: Text("Centro"),
    GroupBy.FICHA: Text("Ficha"),
}
_COUNT_HEADERS = {
    "people": Text("People"),
    "delivered": Text("Credentials delivered"),
    "signed_in": Text("Signed in"),
    "pending": Text("Pending"),
    "reminded": Text("Reminded"),
    "flagged": Text("Flagged for the help desk"),
    "delivery_failed": Text("Delivery failed"),
}


def report_columns(group_by: GroupBy) -> list[Column[ActivationGroup]]:
    """The export's columns: the group's code (and name, but for fichas), then each count."""
    columns: list[Column[ActivationGroup]] = [(GROUP_HEADERS[group_by], lambda group, _: group.code or "")]
    if group_by is not GroupBy.FICHA:
        columns.append((Text("Name"), lambda group, _: group.name or ""))
    columns += [(header, _count_cell(count)) for count, header in _COUNT_HEADERS.items()]
    return columns


def _count_cell(count: str) -> Callable[[ActivationGroup, str], str]:
    return lambda group, _: str(getattr(group, count))
