"""The Sofia Plus webhook contract (``contracts/sofia-plus-events.md``) as pydantic models.

Validation answers one question: can misena act on this event? So a payload is refused only
for what would make the account impossible or wrong — an unknown document type, a document
number that cannot be a username, names with no letters, missing enrollment data. Personal
email and mobile phone are kept as Sofia sent them even when unusable: the account must
still be created, and :mod:`sofia_sync.person` normalises them (to ``None`` if need be).

Unknown fields are ignored so Sofia can add data before we read it, and unknown event types
parse to :class:`UnknownEvent` so they can be stored and acknowledged. Errors hide the input
values (``hide_input_in_errors``): they would otherwise echo document numbers into logs.
Render ``ValidationError.errors(include_input=False)`` for the same reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from sofia_sync.contract_examples import EVENT_EXAMPLES
from sofia_sync.enums import DocumentType, EnrollmentStatus, EventType, Modality, Role
from sofia_sync.normalize import normalize_document, spanish_name

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
    "UnknownEvent",
    "parse_event",
    "parse_person_key",
    "person_key",
]

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


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
    document_number: NonBlank

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
    first_names: NonBlank
    last_names: NonBlank
    personal_email: str | None = None
    mobile_phone: str | None = None
    birth_date: date | None = None

    @field_validator("first_names", "last_names")
    @classmethod
    def _has_a_usable_name(cls, value: str) -> str:
        spanish_name(value)  # raises ValueError when no letter would remain for Google
        return value


class Program(ContractModel):
    code: NonBlank
    version: str
    name: NonBlank
    level: str


class Place(ContractModel):
    """A centro de formación or a regional."""

    code: NonBlank
    name: NonBlank


class EnrollmentPayload(ContractModel):
    ficha: NonBlank
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
    roles: list[str]
    previous_roles: list[str] = Field(default_factory=list)
    fichas: list[NonBlank] = Field(
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

    occurred_at: AwareDatetime


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

    type: NonBlank
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
