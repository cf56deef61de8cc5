"""The searchable copies of a person's record kept on their row (names folded for search,
personal email, where they study), refreshed wherever the record changes, in the same
transaction — so searches and the activation report's ``GROUP BY`` read columns, not JSON."""

from __future__ import annotations

from app.db.models import Person, column_length
from sofia_sync.ownership import loose_name
from sofia_sync.person import EnrollmentRecord, PersonRecord


def search_form(text: str) -> str:
    """What a name is compared as: no accents, no case, single spaces (``María`` → ``maria``)."""
    return loose_name(text)


#: ``people.search_name``'s size. Names are at most 60 characters each, but folding case may
#: lengthen them (``ﬃ`` → ``ffi``), and PostgreSQL refuses a longer value where SQLite keeps it.
SEARCH_NAME_LENGTH = column_length(Person.__table__.c.search_name)


def search_columns(record: PersonRecord) -> dict[str, str | None]:
    """The copies' column values for ``record``: the one place they are derived."""
    folded = search_form(f"{record.first_names} {record.last_names}")
    place = latest_enrollment(record)
    return {
        "search_name": folded[:SEARCH_NAME_LENGTH].rstrip(),
        "personal_email": record.personal_email.lower() if record.personal_email else None,
        "regional_code": place.regional_code if place else None,
        "regional_name": place.regional_name if place else None,
        "centro_code": place.centro_code if place else None,
        "centro_name": place.centro_name if place else None,
        "ficha": place.ficha if place else None,
    }


def index_person(person: Person, record: PersonRecord) -> None:
    for column, value in search_columns(record).items():
        setattr(person, column, value)


def latest_enrollment(record: PersonRecord) -> EnrollmentRecord | None:
    """Where a person is counted in the activation report: the enrollment that started last
    (then the higher ficha), whatever its status — a person who finished one ficha and started
    another is counted in the new one; a graduate stays in their last."""
    return max(record.enrollments, key=lambda e: (e.start_date, e.ficha), default=None)
