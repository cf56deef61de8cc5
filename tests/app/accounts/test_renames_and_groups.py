"""Document changes (TI → CC) and ficha groups, end to end through the emulator."""

from __future__ import annotations

from datetime import timedelta

from tests.support.events import enrolled, person, person_updated, roles_changed, status_changed
from tests.support.harness import Harness

OLD = "1098765432@misena.edu.co"
NEW = "1000123456@misena.edu.co"
FICHA = "ficha-2758392@misena.edu.co"
ADULT = person("1.000.123.456", "CC", first_names="MARÍA JOSÉ")


def test_ti_to_cc_keeps_one_account_with_the_old_address_as_alias(harness: Harness) -> None:
    start = harness.clock() - timedelta(days=10)
    harness.deliver(enrolled(start))
    created = harness.get_user(OLD)
    assert created is not None
    harness.deliver(person_updated(start + timedelta(days=1), who=ADULT, previous=("TI", "1.098.765.432")))

    renamed = harness.get_user(NEW)
    assert renamed is not None
    assert renamed["id"] == created["id"], "the same account, renamed"
    assert OLD in renamed.get("aliases", [])
    by_alias = harness.get_user(OLD)
    assert by_alias is not None
    assert by_alias["primaryEmail"] == NEW
    assert renamed["orgUnitPath"] == created["orgUnitPath"]
    assert harness.members(FICHA) == {NEW: "MEMBER"}
    assert {"value": "CC-1000123456", "type": "organization"} in renamed["externalIds"]
    assert renamed["customSchemas"]["SofiaPlus"]["documentType"] == "CC"
    assert harness.emulator.calls("directory.users.insert", 200) == 1
    assert len(harness.deliveries("CC:1000123456")) == 1, "no new credentials for a rename"


def test_a_late_event_under_the_old_document_reaches_the_renamed_person(harness: Harness) -> None:
    start = harness.clock() - timedelta(days=10)
    harness.deliver(enrolled(start))
    harness.deliver(person_updated(start + timedelta(days=2), who=ADULT, previous=("TI", "1.098.765.432")))
    harness.deliver(status_changed(start + timedelta(days=1), "APLAZADO"))  # sent before, arrives after
    assert harness.get_user(NEW) is not None
    assert harness.emulator.calls("directory.users.insert", 200) == 1
    record = harness.person("CC:1000123456").record
    assert record["document_type"] == "CC"
    assert [e["status"] for e in record["enrollments"]] == ["APLAZADO"]


def test_events_under_the_new_document_before_the_change_merge_into_one_person(harness: Harness) -> None:
    start = harness.clock() - timedelta(days=10)
    harness.deliver(enrolled(start))
    # Sofia enrolls the CC in a second ficha, then (late) reports the document change.
    harness.post(enrolled(start + timedelta(days=2), ficha="3100200", who=ADULT))
    harness.post(person_updated(start + timedelta(days=1), who=ADULT, previous=("TI", "1.098.765.432")))
    harness.drain()
    account = harness.get_user(NEW)
    assert account is not None
    assert OLD in account.get("aliases", [])
    assert harness.emulator.calls("directory.users.insert", 200) == 1
    fichas = {f["value"] for f in account["customSchemas"]["SofiaPlus"]["fichas"]}
    assert fichas == {"2758392", "3100200"}
    assert harness.members("ficha-3100200@misena.edu.co") == {NEW: "MEMBER"}


def test_ficha_groups_follow_enrollments_and_instructor_links(harness: Harness) -> None:
    start = harness.clock() - timedelta(days=10)
    harness.deliver(enrolled(start), enrolled(start, ficha="3100200"))
    assert harness.members(FICHA) == {OLD: "MEMBER"}
    assert harness.members("ficha-3100200@misena.edu.co") == {OLD: "MEMBER"}

    harness.deliver(status_changed(start + timedelta(days=1), "CANCELADO", ficha="3100200"))
    assert harness.members("ficha-3100200@misena.edu.co") == {}, "removed when the enrollment ends"
    assert harness.members(FICHA) == {OLD: "MEMBER"}

    teacher = person("79 845 123", "CC", first_names="CARLOS ANDRÉS", last_names="GÓMEZ")
    harness.deliver(
        roles_changed(start + timedelta(days=2), ["INSTRUCTOR"], [], who=teacher, fichas=["2758392"])
    )
    assert harness.members(FICHA) == {OLD: "MEMBER", "79845123@misena.edu.co": "MANAGER"}

    harness.deliver(roles_changed(start + timedelta(days=3), [], ["INSTRUCTOR"], who=teacher))
    assert harness.members(FICHA) == {OLD: "MEMBER"}, "a former instructor manages no ficha"


def test_an_apprentice_who_becomes_the_fichas_instructor_is_promoted_to_manager(harness: Harness) -> None:
    start = harness.clock() - timedelta(days=10)
    harness.deliver(enrolled(start))
    harness.deliver(
        roles_changed(start + timedelta(days=1), ["APRENDIZ", "INSTRUCTOR"], ["APRENDIZ"], fichas=["2758392"])
    )
    assert harness.members(FICHA) == {OLD: "MANAGER"}
    account = harness.get_user(OLD)
    assert account is not None
    assert account["orgUnitPath"] == "/Instructores/Distrito Capital"
