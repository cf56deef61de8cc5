from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.credentials.passwords import ALPHABET, DIGITS, LOWER, UPPER, generate_password

LOOK_ALIKES = set("0O1lI5S2Z8B")


@settings(max_examples=300)
@given(st.integers())
def test_every_password_is_valid_for_workspace_and_readable(seed: int) -> None:
    password = generate_password().get_secret_value()
    symbols = password.replace("-", "")
    assert 8 <= len(password) <= 100
    assert len(symbols) == 16
    assert set(symbols) <= set(ALPHABET)
    assert not LOOK_ALIKES & set(symbols)
    assert any(c in UPPER for c in symbols)
    assert any(c in LOWER for c in symbols)
    assert any(c in DIGITS for c in symbols)
    assert [len(group) for group in password.split("-")] == [4, 4, 4, 4]


def test_passwords_do_not_repeat() -> None:
    assert len({generate_password().get_secret_value() for _ in range(2000)}) == 2000


def test_the_secret_stays_out_of_repr() -> None:
    password = generate_password()
    assert password.get_secret_value() not in repr(password)
    assert password.get_secret_value() not in str(password)
