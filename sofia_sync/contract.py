"""The Sofia Plus webhook contract (``docs/sofia-plus-contract.md``) as pydantic models.

Validation answers one question: can misena act on this event? So a payload is refused only
for what would make the account impossible or wrong — an unknown document type, a document
number that cannot be a username, names with no letters, missing enrollment data. Personal
email and mobile phone are kept as Sofia sent them even when unusable: the account must
still be created, and :mod:`sofia_sync.person` normalises them (to ``None`` if need be).

Unknown fields are ignored so Sofia can add data before we read it, and unknown event types
parse to :class:`UnknownEvent` so they can be stored and acknowledged. Errors hide the input
values (``hide_input_in_errors``): they would otherwise echo document numbers into logs.
Render ``ValidationError.errors(include_input=False)`` for the same reason.

Every string is :class:`~sofia_sync.storable.StoredText`: bounded by the column it (or its
derived form) is stored in, with no control character — the same answer on SQLite and
PostgreSQL, so nothing Sofia would retry forever is acknowledged on one store and a 500 on the
other. Timestamps must leave room for the grace periods computed from them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from sofia_sync.contract_examples import EVENT_EXAMPLES
from sofia_sync.enums import DocumentType, EnrollmentStatus, EventType, Modality, Role
from sofia_sync.messages import Message, MessageError
from sofia_sync.normalize import normalize_document, spanish_name
from sofia_sync.storable import StorableInstant, StoredText

__all__ = [
    "EVENT_EXAMPLES",
    "DocumentRef",
    "DocumentType",
    "EnrollmentCreated",
    "EnrollmentCreatedData",
    "EnrollmentPayload",
    "EnrollmentStatus",
    "EnrollmentStatusChanged",
    "EnrollmentStatusChangedData",
    "Event",
    "EventType",
    "KnownEvent",
    "Modality",
    "PersonPayload",
    "PersonUpdated",
    "PersonUpdatedData",
    "Place",
    "Program",
    "Role",
    "RolesChanged",
    "RolesChangedData",
    "StoredText",
    "UnknownEvent",
    "parse_event",
    "parse_person_key",
    "person_key",
]

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

#: ``webhook_events.event_type`` (``String(100)``); a test holds the two equal.
MAX_EVENT_TYPE_LENGTH = 100
#: A name's search form goes to ``people.search_name`` (``String(300)``); Google's 60-character
#: limit is applied when the display form is made (:func:`~sofia_sync.normalize.spanish_name`).
MAX_NAMES_FIELD_LENGTH = 300
#: ``people.personal_email`` (``String(320)``), the longest address RFC 5321 allows.
MAX_EMAIL_LENGTH = 320
#: Codes, versions, levels, roles, phones, raw document numbers: short by nature; 64 leaves
#: room for separators and never reaches a column's limit.
MAX_CODE_LENGTH = 64
#: Program, centro and regional names (Google's org unit names are derived from them).
MAX_LABEL_LENGTH = 300

Name = Annotated[NonBlank, StoredText(MAX_NAMES_FIELD_LENGTH)]
Code = Annotated[NonBlank, StoredText(MAX_CODE_LENGTH)]
OptionalCode = Annotated[str, StoredText(MAX_CODE_LENGTH)]
Label = Annotated[NonBlank, StoredText(MAX_LABEL_LENGTH)]
#: A ficha names a Google Group (``ficha-{ficha}@domain``): letters, digits and hyphens only,
#: as the ``/v1`` ficha filter accepts, or the group could never be created and every
#: reconcile of the person would fail.
_FICHA = re.compile(r"[0-9A-Za-z-]+")


def _names_a_group(ficha: str) -> str:
    if _FICHA.fullmatch(ficha) is None:
        raise MessageError(Message("may only hold letters, digits and hyphens (it names a Google Group)"))
    return ficha


Ficha = Annotated[
    NonBlank,
    StoredText(20),
    AfterValidator(_names_a_group),
    Field(json_schema_extra={"pattern": f"^{_FICHA.pattern}$"}),
]

#: Earliest and latest ``occurred_at`` accepted. Sofia Plus did not exist before 1990, and the
#: grace periods computed from an instant near year 9999 overflow Python's dates.
EARLIEST_EVENT = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_EVENT = datetime(2999, 12, 31, tzinfo=UTC)


def _plausible_instant(value: datetime) -> datetime:
    if not EARLIEST_EVENT <= value.astimezone(UTC) <= LATEST_EVENT:
        raise MessageError(Message("is outside the years 1990 to 2999"))
    return value


Instant = Annotated[StorableInstant, AfterValidator(_plausible_instant)]


class ContractModel(BaseModel):
    """Immutable, stripped, forward-compatible, and silent about input values in errors."""

    model_config = ConfigDict(
        extra="ignore", str_strip_whitespace=True, frozen=True, hide_input_in_errors=True
    )


def person_key(document_type: DocumentType | str, normalized_number: str) -> str:
    """The stable identity of a person across misena: ``"CC:1023456789"``."""
    return f"{DocumentType(document_type).value}:{normalized_number}"


def parse_person_key(key: str) -> tuple[DocumentType, str]:
    """The inverse of :func:`person_key`; ``ValueError`` for anything else."""
    document_type, colon, number = key.partition(":")
    if not colon or not number:
        raise ValueError("not a person key")
    return DocumentType(document_type), number


class DocumentRef(ContractModel):
    """A document as Sofia sends it; the number may carry separators (``1.023.456.789``)."""

    document_type: DocumentType
    document_number: Code

    @field_validator("document_number")
    @classmethod
    def _usable_as_username(cls, value: str, info: ValidationInfo) -> str:
        """Refused here, with the field named, rather than failing later in the worker."""
        document_type = info.data.get("document_type")
        if document_type is not None:  # otherwise its own error is already reported
            normalize_document(document_type, value)
        return value

    @property
    def normalized_number(self) -> str:
        return normalize_document(self.document_type, self.document_number)

    @property
    def key(self) -> str:
        return person_key(self.document_type, self.normalized_number)


class PersonPayload(DocumentRef):
    first_names: Name
    last_names: Name
    personal_email: Annotated[str, StoredText(MAX_EMAIL_LENGTH)] | None = None
    mobile_phone: OptionalCode | None = None
    birth_date: date | None = None

    @field_validator("first_names", "last_names")
    @classmethod
    def _has_a_usable_name(cls, value: str) -> str:
        spanish_name(value)  # raises ValueError when no letter would remain for Google
        return value


class Program(ContractModel):
    code: Code
    version: OptionalCode
    name: Label
    level: OptionalCode


class Place(ContractModel):
    """A centro de formación or a regional."""

    code: Code
    name: Label


class EnrollmentPayload(ContractModel):
    ficha: Ficha
    program: Program
    centro: Place
    regional: Place
    modality: Modality
    status: EnrollmentStatus
    start_date: date
    end_date: date


class EnrollmentCreatedData(ContractModel):
    person: PersonPayload
    enrollment: EnrollmentPayload


class EnrollmentStatusChangedData(ContractModel):
    person: PersonPayload
    enrollment: EnrollmentPayload
    previous_status: EnrollmentStatus | None = None


class RolesChangedData(ContractModel):
    person: PersonPayload
    roles: list[OptionalCode]
    previous_roles: list[OptionalCode] = Field(default_factory=list)
    fichas: list[Ficha] = Field(
        default_factory=list,
        description=(
            "Extension to the contract, optional: the fichas an instructor is linked to. "
            "Instructors become MANAGERs of those fichas' groups. Part of the roles snapshot: "
            "the newest event's list replaces older ones."
        ),
    )

    def known_roles(self) -> frozenset[Role]:
        """The roles misena acts on; ``ADMINISTRATIVO`` and the like are ignored."""
        return _known(self.roles)

    def previous_known_roles(self) -> frozenset[Role]:
        return _known(self.previous_roles)


def _known(roles: list[str]) -> frozenset[Role]:
    names = {role.strip().upper() for role in roles}
    return frozenset(role for role in Role if role.value in names)


class PersonUpdatedData(ContractModel):
    person: PersonPayload
    previous_document: DocumentRef | None = None


class EventEnvelope(ContractModel):
    """What every event has; ``occurred_at`` must carry its offset (Sofia runs at -05:00)."""

    occurred_at: Instant


class EnrollmentCreated(EventEnvelope):
    type: Literal["enrollment.created"] = "enrollment.created"
    data: EnrollmentCreatedData


class EnrollmentStatusChanged(EventEnvelope):
    type: Literal["enrollment.status_changed"] = "enrollment.status_changed"
    data: EnrollmentStatusChangedData


class RolesChanged(EventEnvelope):
    type: Literal["person.roles_changed"] = "person.roles_changed"
    data: RolesChangedData


class PersonUpdated(EventEnvelope):
    type: Literal["person.updated"] = "person.updated"
    data: PersonUpdatedData


class UnknownEvent(EventEnvelope):
    """An event type misena does not know yet: stored and acknowledged, never acted on."""

    type: Annotated[NonBlank, StoredText(MAX_EVENT_TYPE_LENGTH)]
    data: dict[str, Any]


KnownEvent: TypeAlias = EnrollmentCreated | EnrollmentStatusChanged | RolesChanged | PersonUpdated
#: The known events as a pydantic discriminated union (for OpenAPI schemas and TypeAdapter).
Event: TypeAlias = Annotated[KnownEvent, Field(discriminator="type")]

_MODELS: dict[str, type[KnownEvent]] = {
    EventType.ENROLLMENT_CREATED: EnrollmentCreated,
    EventType.ENROLLMENT_STATUS_CHANGED: EnrollmentStatusChanged,
    EventType.PERSON_ROLES_CHANGED: RolesChanged,
    EventType.PERSON_UPDATED: PersonUpdated,
}


def parse_event(payload: object) -> Event | UnknownEvent:
    """A decoded JSON body → its event, or ``pydantic.ValidationError``.

    Dispatching on ``type`` here (rather than through the discriminated union) keeps error
    locations rooted at the envelope — ``("data", "person", "document_number")`` — which is
    what the 422 problem document shows Sofia's developers.
    """
    if not isinstance(payload, Mapping):
        return UnknownEvent.model_validate(payload)  # refused: "should be a valid dictionary"
    raw_type = payload.get("type")
    event_type = raw_type.strip() if isinstance(raw_type, str) else None
    model = _MODELS.get(event_type) if event_type is not None else None
    if model is None:
        return UnknownEvent.model_validate(payload)
    return model.model_validate({**payload, "type": event_type})
