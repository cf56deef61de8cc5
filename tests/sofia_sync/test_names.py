"""Spanish display names: Sofia's UPPERCASE → what a reader expects, within Google's rules."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sofia_sync.normalize import MAX_NAME_LENGTH, spanish_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("MARÍA JOSÉ", "María José"),
        ("PEÑA DE LA TORRE", "Peña de la Torre"),
        ("NUÑEZ", "Nuñez"),
        ("MARÍA DEL PILAR", "María del Pilar"),
        ("JUAN DE LOS SANTOS", "Juan de los Santos"),
        ("DE LA HOZ", "De la Hoz"),  # a particle opening the name is capitalised
        ("Y ESCOBAR", "Y Escobar"),
        ("LUIS Y ANA", "Luis y Ana"),
        ("VAN DER BERG", "Van Der Berg"),
        ("CARLOS VON BRAUN", "Carlos von Braun"),
        ("DA SILVA", "Da Silva"),
        ("PEDRO DA SILVA", "Pedro da Silva"),
        ("O'NEILL", "O'Neill"),
        ("O\u00b4NEILL", "O'Neill"),  # the acute accent people type for an apostrophe
        ("O\u2019NEILL", "O'Neill"),
        ("D'ALESSANDRO", "D'Alessandro"),
        ("GARCÍA-MÁRQUEZ", "García-Márquez"),
        ("GARCÍA--MÁRQUEZ", "García-Márquez"),
        ("MA. DEL PILAR", "Ma. del Pilar"),
        ("  maría   josé  ", "María José"),
        ("mArÍa\tJOSÉ\n", "María José"),
        ("ÁNGEL", "Ángel"),
        ("ÑUSTES", "Ñustes"),
        ("MARI\u0301A", "María"),  # decomposed accents are composed (NFC)
        ("JOSÉ123", "José"),
        ("ANA_MARÍA", "Ana María"),
        ("JUAN <PÉREZ>", "Juan Pérez"),
        ("LUIS=GÓMEZ", "Luis Gómez"),
        ("ANA\x00MARÍA", "Ana María"),
        ("- JUAN -", "Juan"),
        ("'ANA'", "Ana"),
        ("PÉREZ,", "Pérez"),
        ("STRAẞE", "Straße"),  # one character stays one character
        ("NGUYỄN VĂN", "Nguyễn Văn"),
        ("ΑΛΈΞΑΝΔΡΟΣ", "Αλέξανδρος"),
    ],
)
def test_spanish_name(raw: str, expected: str) -> None:
    assert spanish_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "123", "<>=", "---", "'.,", "\u0301\u0301", "\x00\x01"])
def test_spanish_name_refuses_nothing_usable(raw: str) -> None:
    with pytest.raises(ValueError, match="no letters"):
        spanish_name(raw)


def test_long_names_are_cut_at_a_word_boundary() -> None:
    # Nine "María" and "de los" fill exactly 60 characters; "Ángeles" does not fit, and a
    # name ending in "de los" reads as a mistake, so the particles go too.
    name = spanish_name("MARÍA " * 9 + "DE LOS ÁNGELES CONCEPCIÓN")
    assert name == " ".join(["María"] * 9)


def test_cut_never_leaves_a_trailing_particle() -> None:
    name = spanish_name("ANA " * 14 + "DE LA CRUZ")  # 55 characters of "Ana", then "de" fits
    assert name == " ".join(["Ana"] * 14)


def test_a_name_that_fits_keeps_its_final_particle() -> None:
    assert spanish_name("JUAN DE") == "Juan de"


def test_one_word_longer_than_google_allows_is_cut_hard() -> None:
    name = spanish_name("A" * 59 + "-BCDEF")
    assert name == "A" + "a" * 58
    assert len(spanish_name("X" * 200)) == MAX_NAME_LENGTH


def _allowed(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM" or char in " '-.,"


@given(st.text())
@example("İSTANBUL")
@example("\u0131STANBUL")  # dotless i
@example("ǆEMAL")
@example("\u017fAN")  # long s
@example("A\u0345B")
@example("ﬁN")
@example("x" * 59 + "'Ab")
@settings(max_examples=1000)
def test_spanish_name_is_idempotent_and_fits_google(raw: str) -> None:
    try:
        name = spanish_name(raw)
    except ValueError:
        assert not any(c.isalpha() and c != "\u02bc" for c in raw)  # U+02BC is an apostrophe
        return
    assert spanish_name(name) == name
    assert 0 < len(name) <= MAX_NAME_LENGTH
    assert name == name.strip()
    assert "  " not in name
    assert all(_allowed(c) for c in name)
    assert unicodedata.is_normalized("NFC", name)


@given(st.lists(st.sampled_from(["MARÍA", "JOSÉ", "DE", "LA", "PEÑA", "O'NEILL", "Y"]), min_size=1))
def test_names_of_realistic_words(words: list[str]) -> None:
    name = spanish_name(" ".join(words))
    assert spanish_name(name) == name
    assert name[0].isupper()
    assert len(name) <= MAX_NAME_LENGTH
