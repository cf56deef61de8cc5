"""Temporary passwords: from ``secrets``, easy to read aloud, valid for Workspace.

No look-alike characters (0/O, 1/l/I, 5/S, 2/Z, 8/B), groups of four separated by hyphens so a
person can copy it from a phone screen, and every character class present so a strong-password
policy at Google accepts it. 16 symbols from a 46-character alphabet carry about 88 bits.
"""

from __future__ import annotations

import secrets

from pydantic import SecretStr

UPPER = "ACDEFGHJKLMNPQRTUVWXY"
LOWER = "abcdefghijkmnpqrstuvwxyz"
DIGITS = "34679"
ALPHABET = UPPER + LOWER + DIGITS
GROUPS = 4
GROUP_SIZE = 4


def generate_password() -> SecretStr:
    while True:
        symbols = [secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_SIZE)]
        if (
            any(c in UPPER for c in symbols)
            and any(c in LOWER for c in symbols)
            and any(c in DIGITS for c in symbols)
        ):
            break
    groups = ["".join(symbols[i : i + GROUP_SIZE]) for i in range(0, len(symbols), GROUP_SIZE)]
    return SecretStr("-".join(groups))
