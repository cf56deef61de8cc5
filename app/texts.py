"""One shape for a message a person reads: :class:`Text`, an English msgid whose other
languages come from the ``misena`` catalogue (:mod:`app.i18n`).

A message is written once, in English, where it is said — ``Text("No sync run with that id.")``
or ``Text("… {count} …", count=n)`` — and ``pybabel`` extracts it (``-k Text``, see the
Makefile's ``EXTRACT``). Placeholders are named ``{fields}``, filled *after* translation so the
Spanish can put them where Spanish wants them. Spanish is for SENA's people (IT staff at a
terminal, coordinators, emails); English is the API's default and the logs'. A message the
domain says (:class:`sofia_sync.messages.Message`, which cannot reach the catalogue) becomes a
``Text`` with :meth:`Text.of`, so both are translated by the one rule here.
"""

from __future__ import annotations

from app.i18n import STAFF_LANGUAGE, translate
from sofia_sync.messages import Message


class Text(Message):
    """A message in English (the msgid) and, through the catalogue, in any language misena speaks."""

    __slots__ = ()

    @classmethod
    def of(cls, message: Message) -> Text:
        """The domain's ``message`` as a text app can translate (its params kept)."""
        if isinstance(message, Text):
            return message
        return cls(message.message, **message.params)

    @classmethod
    def verbatim(cls, text: str) -> Text:
        """A message that has no translation (a library's English, an upstream's answer)."""
        return cls.of(Message.verbatim(text))

    def in_language(self, language: str) -> str:
        """The message in ``language`` (``en``, ``es``), its fields filled after translation."""
        return self.render(lambda message: translate(message, language))

    @property
    def es(self) -> str:
        """The message as a SENA person reads it."""
        return self.in_language(STAFF_LANGUAGE)


class Rendered:
    """A message translated from the catalogue when it was said and stored so, in each language
    (a sync run's refusal, which the run keeps as it was worded): shown again as stored."""

    __slots__ = ("en", "es")

    def __init__(self, *, en: str, es: str) -> None:
        self.en = en
        self.es = es

    @classmethod
    def of(cls, text: Text) -> Rendered:
        return cls(en=text.en, es=text.es)

    def in_language(self, language: str) -> str:
        return self.es if language == STAFF_LANGUAGE else self.en

    def __str__(self) -> str:
        return self.en


#: Anything an error or a page says to a person: a msgid to translate, or one already translated.
Said = Text | Rendered
