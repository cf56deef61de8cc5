"""Display names as a Colombian reader expects them, within what Google accepts.

Sofia Plus mostly stores names in UPPERCASE (``PEÑA DE LA TORRE``). Accounts should read
``Peña de la Torre``: every word capitalised except the Spanish particles, accents and ñ kept.
Google refuses ``<``, ``>``, ``=`` and control characters and caps each name at 60
characters, so anything that is not a letter, a combining mark, a space or one of ``' - . ,``
is dropped here rather than letting the account creation fail later.

The function is idempotent (its output is a fixed point), which the reconciliation relies on:
re-deriving a name from a stored display form never produces a spurious change.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from sofia_sync.messages import Message, MessageError

MAX_NAME_LENGTH = 60

#: Lower-case unless they open the name: "María del Pilar", but "De la Hoz Juan" keeps "De".
PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "e", "da", "di", "van", "von"})

#: Typographic apostrophes and the acute accent (U+00B4) people type instead of ``'``.
_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'", "\u02bc": "'"}
_PUNCTUATION = "'-.,"
#: A word never starts with punctuation; it may end with an abbreviation's dot (``Ma.``).
_TRAILING_JUNK = "-',"


@lru_cache(maxsize=65_536)
def spanish_name(raw: str) -> str:
    """Sofia's spelling of *nombres* or *apellidos* → the display form for Google.

    Cached: names repeat (a roster of 100,000 people has a few thousand distinct ones), and
    every event and roster row asks for the same few again.

    Raises ``ValueError`` when nothing usable (no letter at all) remains.
    """
    text = _allowed_characters(unicodedata.normalize("NFC", raw))
    words = [word for word in (_tidy_word(w) for w in text.split()) if word]
    cased = [_case_word(word, first=index == 0) for index, word in enumerate(words)]
    result = _truncate(cased)
    if not result:
        raise MessageError(Message("the name has no letters"))
    return result


def _allowed_characters(text: str) -> str:
    """Keep letters, marks that sit on a letter, and name punctuation; the rest becomes space.

    A space (rather than nothing) keeps ``ANA_MARÍA`` from being glued into one word.
    """
    kept: list[str] = []
    for original in text:
        char = _APOSTROPHES.get(original, original)
        kept.append(char if _allowed(char, kept[-1] if kept else " ") else " ")
    return "".join(kept)


def _allowed(char: str, previous: str) -> bool:
    category = unicodedata.category(char)
    if category.startswith("L") or char in _PUNCTUATION:
        return True
    return category.startswith("M") and _is_letter_or_mark(previous)


def _is_letter_or_mark(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM"


def _tidy_word(word: str) -> str:
    """Drop stray punctuation: doubled hyphens, leading ``-'.,``, trailing ``-',``."""
    word = "-".join(part for part in word.split("-") if part)
    word = word.lstrip(_PUNCTUATION).rstrip(_TRAILING_JUNK)
    return word if any(char.isalpha() for char in word) else ""


def _case_word(word: str, *, first: bool) -> str:
    lowered = word.lower()
    if not first and lowered in PARTICLES:
        return lowered
    out: list[str] = []
    capitalise_next = True
    for char in lowered:
        if capitalise_next and char.isalpha():
            out.append(_upper(char))
            capitalise_next = False
        else:
            out.append(char)
            capitalise_next = capitalise_next or char in _PUNCTUATION
    return unicodedata.normalize("NFC", "".join(out))


def _upper(char: str) -> str:
    """Upper case when it is one character (``ß`` would become ``SS`` and grow the name)."""
    upper = char.upper()
    return upper if len(upper) == 1 else char


def _truncate(words: list[str]) -> str:
    """Google's 60 characters, cut at a word boundary when possible."""
    joined = " ".join(words)
    if len(joined) <= MAX_NAME_LENGTH:
        return joined
    kept: list[str] = []
    for word in words:
        if len(" ".join([*kept, word])) > MAX_NAME_LENGTH:
            break
        kept.append(word)
    while len(kept) > 1 and kept[-1] in PARTICLES:
        kept.pop()  # "Juan de" reads as a mistake; "Juan" does not
    if kept:
        return " ".join(kept)
    return words[0][:MAX_NAME_LENGTH].rstrip(_TRAILING_JUNK)
