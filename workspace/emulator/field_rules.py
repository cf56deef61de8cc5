"""Google's server-side rules for Directory user bodies that the discovery document cannot express.

The discovery schema says ``password`` is a string; Google additionally wants 8 to 100 ASCII
characters, a known ``hashFunction`` and a hash of the right shape. These rules run after
:func:`~workspace.emulator.body_validation.validate_body`, so types are already right, but every
check still tolerates a wrong type (refusing it) rather than crashing.

``None`` means "clear the field" in a Directory patch. Clearing is refused for what a user cannot
be without (primary address, given and family names) and allowed for the optional fields.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from workspace.emulator.errors import invalid

MAX_NAME_LENGTH = 60
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 100

INVALID_PRIMARY_EMAIL = "Invalid Input: primary_user_email"
INVALID_RECOVERY_EMAIL = "Invalid Input: recovery_email"
INVALID_RECOVERY_PHONE = "Invalid Input: recovery_phone"
INVALID_HASH_FUNCTION = "Invalid Input: hash_function"
INVALID_PASSWORD = "Invalid Password"  # noqa: S105 - Google's error message, not a secret
#: Google's answer for an org unit it cannot resolve; a relative path is one it cannot resolve.
INVALID_ORG_UNIT = "Invalid Input: INVALID_OU_ID"

#: Google's spelling of each hash function, keyed by its case-folded form.
HASH_FUNCTIONS: Mapping[str, str] = {"md5": "MD5", "sha-1": "SHA-1", "crypt": "crypt"}

_NAME_FORBIDDEN = frozenset("=<>")
_HEX = "[0-9a-fA-F]"
_HASH_SHAPES: Mapping[str, re.Pattern[str]] = {
    "MD5": re.compile(f"{_HEX}{{32}}"),
    "SHA-1": re.compile(f"{_HEX}{{40}}"),
}
_CRYPT_ALPHABET = "[./0-9A-Za-z]"
#: Google's ``crypt`` takes what the C library makes: DES, MD5 ($1$), SHA-256 ($5$), SHA-512 ($6$).
_CRYPT_SHAPES = (
    re.compile(f"{_CRYPT_ALPHABET}{{13}}"),
    re.compile(rf"\$1\${_CRYPT_ALPHABET}{{1,8}}\${_CRYPT_ALPHABET}{{22}}"),
    re.compile(rf"\$5\$(rounds=[0-9]+\$)?{_CRYPT_ALPHABET}{{1,16}}\${_CRYPT_ALPHABET}{{43}}"),
    re.compile(rf"\$6\$(rounds=[0-9]+\$)?{_CRYPT_ALPHABET}{{1,16}}\${_CRYPT_ALPHABET}{{86}}"),
)

#: Google Workspace usernames: letters, digits, ``-``, ``_``, ``'`` and non-leading,
#: non-trailing, non-consecutive ``.`` — no ``+``, no accents.
_USERNAME = re.compile(r"(?!\.)(?!.*\.\.)[A-Za-z0-9_'\-.]{1,64}(?<!\.)")
#: Any mailbox a recovery address may be: RFC 5322 dot-atom local part, at most 64 characters.
_LOCAL_PART = re.compile(r"(?!.{65})[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP_LEVEL = r"([A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
_DOMAIN = re.compile(rf"(?!.{{254}})({_LABEL}\.)+{_TOP_LEVEL}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def check_user_fields(body: Mapping[str, Any], *, creating: bool) -> None:
    """Refuse a user body (insert when ``creating``, else update/patch) as Google would.

    Checks run in a fixed order so a body with several problems always gets the same message:
    primary address, names, password and hash, recovery address, recovery phone, org unit.
    """
    _check_primary_email(body, creating=creating)
    _check_names(body, creating=creating)
    _check_password(body, creating=creating)
    _check_optional(body, "recoveryEmail", _is_valid_address, INVALID_RECOVERY_EMAIL)
    _check_optional(body, "recoveryPhone", _is_e164, INVALID_RECOVERY_PHONE)
    _check_org_unit_path(body)


def _check_primary_email(body: Mapping[str, Any], *, creating: bool) -> None:
    if "primaryEmail" not in body and not creating:
        return
    if not _is_primary_address(body.get("primaryEmail")):
        raise invalid(INVALID_PRIMARY_EMAIL)


def _check_names(body: Mapping[str, Any], *, creating: bool) -> None:
    if "name" not in body and not creating:
        return
    name = body.get("name")
    if not isinstance(name, Mapping):
        raise invalid("Invalid Given/Family Name: GivenName")
    for key, label in (("givenName", "GivenName"), ("familyName", "FamilyName")):
        if (creating or key in name) and not _is_valid_name(name.get(key)):
            raise invalid(f"Invalid Given/Family Name: {label}")


def _is_valid_name(value: object) -> bool:
    """Letters of any script, accents, spaces, apostrophes, hyphens and dots are fine."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_LENGTH:
        return False
    return not any(c in _NAME_FORBIDDEN or unicodedata.category(c) == "Cc" for c in value)


def _check_password(body: Mapping[str, Any], *, creating: bool) -> None:
    hash_function = _hash_function_of(body)
    password = body.get("password")
    if password is None and not creating:
        return
    if not isinstance(password, str):
        raise invalid(INVALID_PASSWORD)
    valid = _is_plain_password(password) if hash_function is None else _is_hash(hash_function, password)
    if not valid:
        raise invalid(INVALID_PASSWORD)


def _hash_function_of(body: Mapping[str, Any]) -> str | None:
    """Google's spelling of the body's ``hashFunction``, accepted in any letter case."""
    value = body.get("hashFunction")
    if value is None:
        return None
    canonical = HASH_FUNCTIONS.get(value.casefold()) if isinstance(value, str) else None
    if canonical is None:
        raise invalid(INVALID_HASH_FUNCTION)
    return canonical


def _is_plain_password(password: str) -> bool:
    """Google documents passwords as 8 to 100 ASCII characters."""
    return MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH and password.isascii()


def _is_hash(hash_function: str, password: str) -> bool:
    shape = _HASH_SHAPES.get(hash_function)
    if shape is not None:
        return shape.fullmatch(password) is not None
    return any(crypt_shape.fullmatch(password) for crypt_shape in _CRYPT_SHAPES)


def _check_optional(body: Mapping[str, Any], key: str, is_valid: Callable[[str], bool], message: str) -> None:
    """Optional fields: absent, ``None`` or ``""`` all clear the field, anything else must parse."""
    value = body.get(key)
    if value is None or value == "":
        return
    if not isinstance(value, str) or not is_valid(value):
        raise invalid(message)


def _check_org_unit_path(body: Mapping[str, Any]) -> None:
    value = body.get("orgUnitPath")
    if value is None:
        return
    if not isinstance(value, str) or not value.startswith("/"):
        raise invalid(INVALID_ORG_UNIT)


def _split_address(value: object) -> tuple[str, str] | None:
    if not isinstance(value, str) or value.count("@") != 1:
        return None
    local, domain = value.split("@")
    return local, domain


def _is_primary_address(value: object) -> bool:
    parts = _split_address(value)
    return (
        parts is not None
        and _USERNAME.fullmatch(parts[0]) is not None
        and _DOMAIN.fullmatch(parts[1]) is not None
    )


def _is_valid_address(value: str) -> bool:
    parts = _split_address(value)
    return (
        parts is not None
        and _LOCAL_PART.fullmatch(parts[0]) is not None
        and _DOMAIN.fullmatch(parts[1]) is not None
    )


def _is_e164(value: str) -> bool:
    return _E164.fullmatch(value) is not None


def check_password_matches(stored_password: str, hash_function: str | None, candidate: str) -> bool:
    """Whether ``candidate`` is the password stored as ``stored_password`` (maybe hashed).

    ``hash_function`` is the one the user was created with, in any letter case; an unknown one
    is a bug in the caller (bodies are checked on the way in), hence ``ValueError``.
    """
    if hash_function is None:
        return _same(stored_password, candidate)
    canonical = HASH_FUNCTIONS.get(hash_function.casefold())
    if canonical == "crypt":
        return _crypt_matches(stored_password, candidate)
    if canonical == "MD5":
        digest = hashlib.md5(candidate.encode(), usedforsecurity=False).hexdigest()
    elif canonical == "SHA-1":
        digest = hashlib.sha1(candidate.encode(), usedforsecurity=False).hexdigest()
    else:
        raise ValueError(f"unknown hash function {hash_function!r}")
    return _same(digest, stored_password.lower())


def _crypt_matches(stored_password: str, candidate: str) -> bool:
    hashed = _crypt_module().crypt(candidate, stored_password)
    return isinstance(hashed, str) and _same(hashed, stored_password)


def _same(left: str, right: str) -> bool:
    """Constant-time comparison; on bytes because ``compare_digest`` refuses non-ASCII ``str``."""
    return hmac.compare_digest(left.encode(), right.encode())


def _crypt_module() -> ModuleType:
    """The stdlib ``crypt`` (deprecated in 3.11, gone in 3.13), imported only when needed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return importlib.import_module("crypt")
        except ImportError as exc:
            raise RuntimeError(
                "checking a 'crypt' password needs the stdlib crypt module "
                "(Python < 3.13 on a platform with crypt(3))"
            ) from exc
