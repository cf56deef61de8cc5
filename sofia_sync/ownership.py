"""Whose account is this? The question the planner asks before it touches anything.

misena manages an account only when it is sure the account is the person's:

1. administrators, and accounts in the configured exclusions (addresses or org units), are
   never managed — an excluded account is not a conflict, and its reason names the setting
   that excludes it (never the address), so IT staff know where to look;
2. an account *linked* to Sofia Plus — an ``externalIds`` entry of our type, or a
   ``documentNumber`` in our custom schema — is managed only if every link names this
   person (their current document or one they had before a document change);
3. an account with *no link at all* (created by hand before misena, or by an earlier tool) is
   adopted only if it is found under the very address we want (not through an alias) and its
   given and family names equal ours ignoring case and accents (``Maria Jose`` is
   ``María José``); anything else might be a namesake's or a service account, and is refused.

The reasons are shown to IT staff and logged, so they never contain a document number.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from sofia_sync.contract import DocumentType
from sofia_sync.policy import DesiredAccount, external_id
from workspace.models import WorkspaceUser

#: The settings that exclude accounts, as IT staff set them (environment variables).
EXCLUDED_ACCOUNTS_SETTING = "MISENA_POLICY__EXCLUDED_ACCOUNTS"
EXCLUDED_ORG_UNITS_SETTING = "MISENA_POLICY__EXCLUDED_ORG_UNITS"


@dataclass(frozen=True)
class Ownership:
    managed: bool
    reason: str
    #: The setting that excludes the account, when that is why it is not managed.
    excluded_by: str | None = None


def our_documents(desired: DesiredAccount) -> frozenset[tuple[DocumentType, str]]:
    """The person's current document and the ones they had before."""
    return frozenset({(desired.document_type, desired.document_number), *desired.former_documents})


def our_external_ids(desired: DesiredAccount) -> frozenset[str]:
    """Our ``externalIds`` values for this person, case-folded for comparison."""
    return frozenset(external_id(kind, number).casefold() for kind, number in our_documents(desired))


def ownership(desired: DesiredAccount, actual: WorkspaceUser) -> Ownership:
    if actual.is_admin:
        return Ownership(False, "an administrator account is never managed by misena")
    setting = excluded_by(desired, actual)
    if setting is not None:
        return Ownership(False, f"excluded from misena's management by configuration ({setting})", setting)
    link_ids = [e.value for e in actual.external_ids if e.type == desired.external_id_type]
    ours = our_external_ids(desired)
    if any(value.casefold() not in ours for value in link_ids):
        return Ownership(False, "its externalIds tie it to another Sofia Plus person")
    schema_link = _schema_document(actual.custom_schemas.get(desired.custom_schema))
    if schema_link is not None and not _is_ours(schema_link, desired):
        return Ownership(False, "its Sofia Plus custom schema names another person")
    if link_ids or schema_link is not None:
        return Ownership(True, "linked to this Sofia Plus person")
    return _adoption(desired, actual)


def excluded_by(desired: DesiredAccount, actual: WorkspaceUser) -> str | None:
    """The setting that excludes the account (its address or an alias, else its org unit)."""
    addresses = {actual.primary_email.casefold(), *(alias.casefold() for alias in actual.aliases)}
    if addresses & desired.excluded_accounts:
        return EXCLUDED_ACCOUNTS_SETTING
    path = actual.org_unit_path.casefold().rstrip("/") or "/"
    units = desired.excluded_org_units
    if any(path == unit or path.startswith(unit.rstrip("/") + "/") for unit in units):
        return EXCLUDED_ORG_UNITS_SETTING
    return None


def _schema_document(values: dict[str, Any] | None) -> tuple[str | None, str] | None:
    """``(documentType, documentNumber)`` from the custom schema, if it names a document."""
    if not values or not values.get("documentNumber"):
        return None
    kind = values.get("documentType")
    return (str(kind) if kind else None, str(values["documentNumber"]))


def _is_ours(link: tuple[str | None, str], desired: DesiredAccount) -> bool:
    kind, number = link
    for our_kind, our_number in our_documents(desired):
        if number.casefold() == our_number.casefold() and kind in (None, our_kind.value):
            return True
    return False


def _adoption(desired: DesiredAccount, actual: WorkspaceUser) -> Ownership:
    if actual.primary_email.casefold() != desired.primary_email.casefold():
        return Ownership(False, "the address is an alias of an account with no Sofia Plus link")
    same_names = loose_name(actual.name.given_name) == loose_name(desired.given_name) and (
        loose_name(actual.name.family_name) == loose_name(desired.family_name)
    )
    if not same_names:
        return Ownership(False, "an account with no Sofia Plus link and other names holds it")
    return Ownership(True, "adopted: no Sofia Plus link, same address and names")


def loose_name(name: str) -> str:
    """A name for comparison only: no accents, no case, single spaces."""
    decomposed = unicodedata.normalize("NFD", name)
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(bare.casefold().split())
