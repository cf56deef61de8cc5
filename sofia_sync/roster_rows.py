"""What reading a roster produces, row by row: a usable :class:`RosterRow`, a :class:`RosterError`
for a row refused (or kept with a warning), or :class:`RosterFormatError` for a file that is no
roster at all. Pure.

Apart from the reader so that the header matching, the cell parsing, the decoding and the
folding into people can all speak of the same rows and errors without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeAlias

from sofia_sync.contract import ContractModel, EnrollmentPayload, PersonPayload, Role
from sofia_sync.messages import Message, MessageError

__all__ = ["Cell", "RosterError", "RosterFormatError", "RosterRow"]

#: One cell as the file gives it: text from CSV; numbers, dates and booleans too from XLSX.
Cell: TypeAlias = str | int | float | date | datetime | bool | None


class RosterFormatError(MessageError):
    """The file as a whole cannot be read as a roster (missing columns, unknown encoding...)."""


@dataclass(frozen=True)
class RosterError:
    """A row that was refused, or (``kept``) a problem in a row that was still used.

    ``line`` is the physical line (the CSV line or the sheet row; the header is line 1 when it
    is the first line). ``message`` names the column as written in the file and never carries
    the value; app translates it for IT staff. ``person_key`` is the key of the row's person
    when the document was readable: the planner must not take that person's absence from the
    roster at face value.
    """

    line: int
    message: Message
    person_key: str | None = field(default=None, repr=False)
    kept: bool = False

    @property
    def reason(self) -> str:
        """The reason in English."""
        return self.message.en


class RosterRow(ContractModel):
    """One usable row: a person, the role the row is about, and the row's ficha.

    ``enrollment`` is the full enrollment of an apprentice row. An instructor row may leave
    the enrollment columns empty or fill only some (the ficha, the centro, the regional it
    belongs to); ``ficha``, ``centro_code`` and ``regional_code`` hold those as written, and
    for an apprentice row they repeat the enrollment's.
    """

    line: int
    person: PersonPayload
    role: Role
    enrollment: EnrollmentPayload | None = None
    ficha: str | None = None
    centro_code: str | None = None
    regional_code: str | None = None

    @property
    def key(self) -> str:
        return self.person.key
