"""One way to find a person's account, for the reconcile (asking Google) and the bulk plan
(asking its snapshot): the recorded Google id, then the address they should have, then the
addresses of their former documents."""

from __future__ import annotations

from sofia_sync.account_lookup import account_keys, find_account
from sofia_sync.contract import DocumentType
from sofia_sync.policy import DesiredAccount
from tests.support.bulk_plan_factories import (
    account,
    desired,
    known_from,
    person_payload,
    roster_person,
    snapshot,
)
from workspace.models import WorkspaceUser

FORMER = frozenset({(DocumentType.TI, "1000000002"), (DocumentType.PPT, "ab12345")})


def _wanted() -> DesiredAccount:
    record = known_from(roster_person(person_payload("1098765432"), instructor=True))
    return desired(record).model_copy(update={"former_documents": FORMER})


def test_the_keys_are_tried_id_first_then_the_address_then_former_documents() -> None:
    assert account_keys(_wanted(), "42", "MiSENA.edu.co") == [
        "42",
        "1098765432@misena.edu.co",
        "ab12345@misena.edu.co",  # former documents in order: PPT before TI
        "1000000002@misena.edu.co",
    ]
    assert account_keys(_wanted(), None, "misena.edu.co")[0] == "1098765432@misena.edu.co"


def test_the_first_key_that_answers_is_the_account() -> None:
    wanted = _wanted()
    asked: list[str] = []
    former = account(wanted, "7", primary_email="1000000002@misena.edu.co")

    def lookup(key: str) -> WorkspaceUser | None:
        asked.append(key)
        return former if key == former.primary_email else None

    assert find_account(lookup, wanted, "42", "misena.edu.co") == former
    assert asked == ["42", "1098765432@misena.edu.co", "ab12345@misena.edu.co", "1000000002@misena.edu.co"]
    assert find_account(lambda key: None, wanted, None, "misena.edu.co") is None


def test_the_snapshot_answers_as_the_directory_does_by_id_or_by_address() -> None:
    wanted = _wanted()
    renamed = account(wanted, "7", primary_email="someone.else@misena.edu.co")
    users = snapshot(renamed)

    def found(user: WorkspaceUser | None) -> tuple[str, str] | None:
        return (user.id, user.primary_email) if user is not None else None

    assert found(users.get("7")) == ("7", "someone.else@misena.edu.co")
    assert found(users.get("SOMEONE.ELSE@misena.edu.co")) == ("7", "someone.else@misena.edu.co")
    assert found(find_account(users.get, wanted, "7", "misena.edu.co")) == ("7", "someone.else@misena.edu.co")
    assert find_account(users.get, wanted, None, "misena.edu.co") is None
