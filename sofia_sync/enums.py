"""The closed vocabularies of the Sofia Plus contract.

They live apart from :mod:`sofia_sync.contract` so that :mod:`sofia_sync.normalize` can use
them while the contract models use the normalisers to validate, without an import cycle.
:mod:`sofia_sync.contract` re-exports every one of them; import them from there.
"""

from __future__ import annotations

from enum import StrEnum


class DocumentType(StrEnum):
    """Colombian identity documents Sofia Plus registers people with."""

    CC = "CC"  # cédula de ciudadanía
    TI = "TI"  # tarjeta de identidad (minors)
    CE = "CE"  # cédula de extranjería
    PEP = "PEP"  # permiso especial de permanencia
    PPT = "PPT"  # permiso por protección temporal
    PA = "PA"  # pasaporte


class EnrollmentStatus(StrEnum):
    EN_FORMACION = "EN_FORMACION"
    CONDICIONADO = "CONDICIONADO"
    APLAZADO = "APLAZADO"
    TRASLADADO = "TRASLADADO"
    POR_CERTIFICAR = "POR_CERTIFICAR"
    CERTIFICADO = "CERTIFICADO"
    CANCELADO = "CANCELADO"
    RETIRO_VOLUNTARIO = "RETIRO_VOLUNTARIO"


class Role(StrEnum):
    """The Sofia Plus roles misena acts on; any other role is ignored."""

    APRENDIZ = "APRENDIZ"
    INSTRUCTOR = "INSTRUCTOR"


class Modality(StrEnum):
    PRESENCIAL = "PRESENCIAL"
    VIRTUAL = "VIRTUAL"
    A_DISTANCIA = "A_DISTANCIA"


class EventType(StrEnum):
    """The webhook event types misena understands (others are stored, not acted on)."""

    ENROLLMENT_CREATED = "enrollment.created"
    ENROLLMENT_STATUS_CHANGED = "enrollment.status_changed"
    PERSON_ROLES_CHANGED = "person.roles_changed"
    PERSON_UPDATED = "person.updated"
