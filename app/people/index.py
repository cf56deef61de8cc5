"""The searchable copies of a person's record kept on their row (names folded for search,
personal email), refreshed wherever the record changes, in the same transaction."""

from __future__ import annotations

from app.db.models import Person, column_length
from sofia_sync.ownership import loose_name
from sofia_sync.person import PersonRecord


def search_form(text: str) -> str:
    """What a name is compared as: no accents, no case, single spaces (``María`` → ``maria``)."""
    return loose_name(text)


#: ``people.search_name``'s size. Names are at most 60 characters each, but folding case may
#: lengthen them (``ﬃ`` → ``ffi``), and PostgreSQL refuses a longer value where SQLite keeps it.
SEARCH_NAME_LENGTH = column_length(Person.__table__.c.search_name)


def search_columns(record: PersonRecord) -> dict[str, str | None]:
    """The copies' column values for ``record``: the one place they are derived."""
    folded = search_form(f"{record.first_names} {record.last_names}")
    return {
        "search_name": folded[:SEARCH_NAME_LENGTH].rstrip(),
        "personal_email": record.personal_email.lower() if record.personal_email else None,
    }


def index_person(person: Person, record: PersonRecord) -> None:
    for column, value in search_columns(record).items():
        setattr(person, column, value)
