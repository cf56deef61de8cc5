"""One shape for a message a person reads in two languages: :class:`Text`.

Spanish is for SENA's people (IT staff at a terminal, coordinators); English is for the API's
``detail`` and for operators reading logs. Both are given by name — ``Text(es=..., en=...)``,
never by position — because the old shapes took the pair in opposite orders (English first in
one place, Spanish first in the next), and a swapped pair type-checks as well as a right one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class Text:
    """A message in Spanish and in English; keyword-only so no call site can swap them."""

    es: str
    en: str

    def both(self) -> str:
        """English, then Spanish: for an answer read by integrators and IT staff alike."""
        return f"{self.en} / {self.es}"
