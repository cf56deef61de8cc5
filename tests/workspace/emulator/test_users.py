"""Directory ``users``: insert/get/update/patch with Google's rules, through the real client."""

from __future__ import annotations

import hashlib
import importlib
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.google_bodies import DOMAIN, SOFIA_SCHEMA, expect_error, new_user
from workspace.emulator.control_client import EmulatorControl

PASSWORD = "Temporal-2026-xyz"


@pytest.fixture
def tenant(emulator: EmulatorControl) -> EmulatorControl:
    emulator.seed(org_units=["/Aprendices/Distrito Capital", "/Instructores"], schemas=[SOFIA_SCHEMA])
    return emulator


def complete_user() -> dict[str, Any]:
    """Every field misena sends on ``users.insert``."""
    return {
        "primaryEmail": f"1098765432@{DOMAIN}",
        "name": {"givenName": "José Ñandú", "familyName": "Peña Ávila"},
        "password": PASSWORD,
        "changePasswordAtNextLogin": True,
        "orgUnitPath": "/Aprendices/Distrito Capital",
        "recoveryEmail": "jose.pena@example.com",
        "recoveryPhone": "+573001234567",
        "externalIds": [{"type": "organization", "value": "CC-1098765432"}],
        "phones": [{"type": "mobile", "value": "+573001234567"}],
        "customSchemas": {
            "SofiaPlus": {"documentType": "CC", "documentNumber": "1098765432", "ficha": "2758"}
        },
        "suspended": False,
    }


def assert_has_every_field(user: dict[str, Any]) -> None:
    sent = complete_user()
    assert user["primaryEmail"] == sent["primaryEmail"]
    assert user["name"]["givenName"] == "José Ñandú"
    assert user["name"]["familyName"] == "Peña Ávila"
    assert user["name"]["fullName"] == "José Ñandú Peña Ávila"
    assert user["orgUnitPath"] == "/Aprendices/Distrito Capital"
    assert user["changePasswordAtNextLogin"] is True
    assert user["recoveryEmail"] == "jose.pena@example.com"
    assert user["recoveryPhone"] == "+573001234567"
    assert user["externalIds"] == sent["externalIds"]
    assert user["phones"] == sent["phones"]
    assert user["customSchemas"] == sent["customSchemas"]
    assert user["suspended"] is False
    assert user["isAdmin"] is False
    assert user["kind"] == "admin#directory#user"
    assert user["id"].isdigit()
    assert "password" not in user
    assert "hashFunction" not in user


def test_insert_with_every_field_misena_uses_reads_back_every_field(
    tenant: EmulatorControl, admin_sdk: Any
) -> None:
    created = admin_sdk.users().insert(body=complete_user()).execute()
    assert_has_every_field(created)

    fetched = admin_sdk.users().get(userKey=created["primaryEmail"], projection="full").execute()

    assert_has_every_field(fetched)
    assert fetched["id"] == created["id"]
    assert tenant.password_valid(created["primaryEmail"], PASSWORD)


def test_custom_schemas_only_come_back_with_projection_full(tenant: EmulatorControl, admin_sdk: Any) -> None:
    admin_sdk.users().insert(body=complete_user()).execute()
    key = f"1098765432@{DOMAIN}"

    basic = admin_sdk.users().get(userKey=key).execute()
    custom = admin_sdk.users().get(userKey=key, projection="custom", customFieldMask="SofiaPlus").execute()

    assert "customSchemas" not in basic
    assert custom["customSchemas"]["SofiaPlus"]["documentType"] == "CC"


def test_a_user_is_found_by_primary_address_alias_and_id(tenant: EmulatorControl, admin_sdk: Any) -> None:
    created = admin_sdk.users().insert(body=new_user("ana.gomez")).execute()
    admin_sdk.users().update(userKey=created["id"], body={"primaryEmail": f"ana.gomez2@{DOMAIN}"}).execute()

    for key in (f"ana.gomez2@{DOMAIN}", f"ANA.GOMEZ@{DOMAIN}", created["id"]):
        assert admin_sdk.users().get(userKey=key).execute()["id"] == created["id"], key

    expect_error(admin_sdk.users().get(userKey=f"nadie@{DOMAIN}"), 404, "notFound")


def test_an_existing_primary_address_is_a_duplicate(tenant: EmulatorControl, admin_sdk: Any) -> None:
    admin_sdk.users().insert(body=new_user("repetida")).execute()

    expect_error(admin_sdk.users().insert(body=new_user("repetida")), 409, "duplicate")
    expect_error(admin_sdk.users().insert(body=new_user("REPETIDA")), 409, "duplicate")


def test_an_existing_alias_is_a_duplicate(tenant: EmulatorControl, admin_sdk: Any) -> None:
    created = admin_sdk.users().insert(body=new_user("antes")).execute()
    admin_sdk.users().patch(userKey=created["id"], body={"primaryEmail": f"despues@{DOMAIN}"}).execute()

    expect_error(admin_sdk.users().insert(body=new_user("antes")), 409, "duplicate")


def _name(given: str) -> dict[str, str]:
    return {"givenName": given, "familyName": "Gómez"}


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"orgUnitPath": "/NoExiste"}, id="missing-org-unit"),
        pytest.param({"recoveryPhone": "3001234567"}, id="recovery-phone-not-e164"),
        pytest.param({"recoveryPhone": "+57 300 123 4567"}, id="recovery-phone-spaces"),
        pytest.param({"name": _name("A" * 61)}, id="name-over-60"),
        pytest.param({"name": _name("Ana <b>")}, id="name-with-lt"),
        pytest.param({"name": _name("Ana=Maria")}, id="name-with-eq"),
        pytest.param({"password": "Abc-123"}, id="password-7"),
        pytest.param({"password": "A" * 101}, id="password-101"),
        pytest.param({"nickname": "Anita"}, id="unknown-field"),
        pytest.param(
            {"name": {"givenName": "Ana", "familyName": "Gómez", "middleName": "M"}},
            id="unknown-field-in-name",
        ),
        pytest.param({"suspended": "yes"}, id="wrong-type-boolean"),
        pytest.param({"phones": {"value": "+573001234567"}}, id="wrong-type-array"),
        pytest.param({"primaryEmail": "ana@otro-dominio.com"}, id="foreign-domain"),
        pytest.param({"hashFunction": "SHA-256"}, id="unknown-hash-function"),
    ],
)
def test_an_invalid_insert_is_refused(
    tenant: EmulatorControl, admin_sdk: Any, changes: dict[str, Any]
) -> None:
    expect_error(admin_sdk.users().insert(body=new_user("invalida", **changes)), 400, "invalid")

    assert tenant.calls("directory.users.insert", 200) == 0


@pytest.mark.parametrize("missing", ["primaryEmail", "name", "password"])
def test_an_insert_without_a_required_field_is_refused(
    tenant: EmulatorControl, admin_sdk: Any, missing: str
) -> None:
    body = new_user("incompleta")
    del body[missing]

    expect_error(admin_sdk.users().insert(body=body), 400, "invalid")


def test_password_lengths_8_and_100_are_accepted(tenant: EmulatorControl, admin_sdk: Any) -> None:
    admin_sdk.users().insert(body=new_user("corta", password="Abc-1234")).execute()
    admin_sdk.users().insert(body=new_user("larga", password="x" * 100)).execute()

    assert tenant.password_valid(f"corta@{DOMAIN}", "Abc-1234")
    assert tenant.password_valid(f"larga@{DOMAIN}", "x" * 100)


def _crypt_sha512(password: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        crypt = importlib.import_module("crypt")
    hashed: str = crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))
    assert hashed.startswith("$6$")
    return hashed


def _sha1(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest()


def _md5(password: str) -> str:
    return hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()


@pytest.mark.parametrize(
    ("hash_function", "digest"),
    [("SHA-1", _sha1), ("MD5", _md5), ("crypt", _crypt_sha512)],
)
def test_a_hashed_password_is_accepted_and_checks_against_the_clear_one(
    tenant: EmulatorControl,
    admin_sdk: Any,
    hash_function: str,
    digest: Callable[[str], str],
) -> None:
    body = new_user("hash", password=digest("Clave-Segura-2026"), hashFunction=hash_function)

    created = admin_sdk.users().insert(body=body).execute()

    assert "password" not in created
    assert "hashFunction" not in created
    assert tenant.password_valid(f"hash@{DOMAIN}", "Clave-Segura-2026")
    assert not tenant.password_valid(f"hash@{DOMAIN}", "Clave-Segura-2027")


def test_a_hash_of_the_wrong_shape_is_refused(tenant: EmulatorControl, admin_sdk: Any) -> None:
    body = new_user("hash", password="not-a-sha1-digest", hashFunction="SHA-1")

    expect_error(admin_sdk.users().insert(body=body), 400, "invalid")


@pytest.mark.parametrize("verb", ["update", "patch"])
def test_update_and_patch_keep_absent_fields(tenant: EmulatorControl, admin_sdk: Any, verb: str) -> None:
    created = admin_sdk.users().insert(body=complete_user()).execute()
    write = getattr(admin_sdk.users(), verb)

    write(
        userKey=created["id"],
        body={
            "orgUnitPath": "/Instructores",
            "phones": [{"type": "work", "value": "+576015461500"}],
            "name": {"givenName": "José"},
            "customSchemas": {"SofiaPlus": {"ficha": "2900"}},
        },
    ).execute()
    after = admin_sdk.users().get(userKey=created["id"], projection="full").execute()

    assert after["orgUnitPath"] == "/Instructores"
    assert after["phones"] == [{"type": "work", "value": "+576015461500"}]
    assert after["name"]["givenName"] == "José"
    assert after["name"]["familyName"] == "Peña Ávila"
    assert after["customSchemas"]["SofiaPlus"] == {
        "documentType": "CC",
        "documentNumber": "1098765432",
        "ficha": "2900",
    }
    for kept in ("recoveryEmail", "recoveryPhone", "externalIds", "changePasswordAtNextLogin"):
        assert after[kept] == created[kept], kept
    assert tenant.password_valid(created["primaryEmail"], PASSWORD)


def test_null_clears_an_optional_field(tenant: EmulatorControl, admin_sdk: Any) -> None:
    created = admin_sdk.users().insert(body=complete_user()).execute()

    admin_sdk.users().patch(userKey=created["id"], body={"recoveryPhone": None}).execute()

    after = admin_sdk.users().get(userKey=created["id"]).execute()
    assert "recoveryPhone" not in after
    assert after["recoveryEmail"] == "jose.pena@example.com"


def test_a_new_password_replaces_the_old_one(tenant: EmulatorControl, admin_sdk: Any) -> None:
    created = admin_sdk.users().insert(body=new_user("clave")).execute()

    admin_sdk.users().patch(userKey=created["id"], body={"password": "Otra-Clave-2026"}).execute()

    assert tenant.password_valid(f"clave@{DOMAIN}", "Otra-Clave-2026")
    assert not tenant.password_valid(f"clave@{DOMAIN}", PASSWORD)


def test_an_invalid_update_is_refused_and_changes_nothing(tenant: EmulatorControl, admin_sdk: Any) -> None:
    created = admin_sdk.users().insert(body=complete_user()).execute()

    for body in (
        {"recoveryPhone": "300"},
        {"orgUnitPath": "/NoExiste"},
        {"password": "corta"},
        {"suspended": "yes"},
    ):
        expect_error(admin_sdk.users().patch(userKey=created["id"], body=body), 400, "invalid")

    after = admin_sdk.users().get(userKey=created["id"]).execute()
    assert after["recoveryPhone"] == "+573001234567"
    assert after["orgUnitPath"] == "/Aprendices/Distrito Capital"
    assert after["suspended"] is False
    expect_error(admin_sdk.users().patch(userKey=f"nadie@{DOMAIN}", body={}), 404, "notFound")


def test_a_rename_keeps_the_old_address_as_an_alias(tenant: EmulatorControl, admin_sdk: Any) -> None:
    created = admin_sdk.users().insert(body=new_user("1098765432")).execute()

    renamed = (
        admin_sdk.users()
        .update(userKey=f"1098765432@{DOMAIN}", body={"primaryEmail": f"52123456@{DOMAIN}"})
        .execute()
    )

    assert renamed["primaryEmail"] == f"52123456@{DOMAIN}"
    assert renamed["aliases"] == [f"1098765432@{DOMAIN}"]
    for address in (f"52123456@{DOMAIN}", f"1098765432@{DOMAIN}"):
        answer = admin_sdk.users().get(userKey=address).execute()
        assert (answer["id"], answer["primaryEmail"]) == (created["id"], f"52123456@{DOMAIN}")


def test_a_rename_onto_a_taken_address_is_a_duplicate(tenant: EmulatorControl, admin_sdk: Any) -> None:
    admin_sdk.users().insert(body=new_user("uno")).execute()
    admin_sdk.users().insert(body=new_user("dos")).execute()

    expect_error(
        admin_sdk.users().patch(userKey=f"dos@{DOMAIN}", body={"primaryEmail": f"uno@{DOMAIN}"}),
        409,
        "duplicate",
    )


def test_suspending_sets_suspended_and_the_reason(tenant: EmulatorControl, admin_sdk: Any) -> None:
    created = admin_sdk.users().insert(body=new_user("suspendida")).execute()
    assert "suspensionReason" not in created

    suspended = admin_sdk.users().patch(userKey=created["id"], body={"suspended": True}).execute()
    fetched = admin_sdk.users().get(userKey=created["id"]).execute()
    restored = admin_sdk.users().patch(userKey=created["id"], body={"suspended": False}).execute()

    assert (suspended["suspended"], suspended["suspensionReason"]) == (True, "ADMIN")
    assert (fetched["suspended"], fetched["suspensionReason"]) == (True, "ADMIN")
    assert restored["suspended"] is False
    assert "suspensionReason" not in restored
