"""A message the domain says, in English, with its values apart: :class:`Message`. Pure.

The domain cannot reach the catalogues (they are ``app``'s, and ``sofia_sync`` never imports
``app``), yet what it says — a roster refused, a plan refused — reaches SENA's staff in Spanish.
So it says each thing once, as an English msgid with named ``{fields}`` and the values beside
it; ``app.texts.Text`` translates the msgid from the ``misena`` catalogue and only then fills
the fields, so a translation can move them. A value may itself be a :class:`Message` (a cause
inside a refusal), translated the same way. ``pybabel`` extracts the msgids (``-k Message``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["Message", "MessageError", "message_of"]


class Message:
    """An English ``message`` with named ``{fields}``, filled from ``params`` when rendered."""

    __slots__ = ("message", "params")

    def __init__(self, message: str, /, **params: object) -> None:
        self.message = message
        self.params: Mapping[str, object] = params

    @classmethod
    def verbatim(cls, text: str) -> Message:
        """A message with no translation (a library's English): its braces are not fields."""
        return cls(text.replace("{", "{{").replace("}", "}}"))

    @classmethod
    def joined(cls, parts: list[Message]) -> Message:
        """``parts`` one after another, separated by "; " (in every language)."""
        result = parts[0]
        for part in parts[1:]:
            result = cls("{first}; {then}", first=result, then=part)
        return result

    @property
    def en(self) -> str:
        """The message in English: the msgid with its fields filled."""
        return self.render(lambda message: message)

    def render(self, translate: Callable[[str], str]) -> str:
        """The message through ``translate`` (msgid → the msgid in a language), fields filled
        after translation; a field holding a :class:`Message` is rendered the same way."""
        if not self.message:  # "" is gettext's catalogue header, never a message
            return ""
        values = {
            name: value.render(translate) if isinstance(value, Message) else value
            for name, value in self.params.items()
        }
        return translate(self.message).format(**values)

    def __str__(self) -> str:
        return self.en

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def __eq__(self, other: object) -> bool:
        """Two messages are equal when they say the same (in English), however composed."""
        if not isinstance(other, Message):
            return NotImplemented
        return self.en == other.en

    def __hash__(self) -> int:
        return hash(self.en)


class MessageError(ValueError):
    """A refusal the domain explains with a :class:`Message`; a ``ValueError``, so pydantic
    validators may raise it (the message then travels in the validation error's context)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.en)
        self.message = message


def message_of(error: BaseException) -> Message:
    """What ``error`` says: its :class:`Message`, or its text as is for any other error."""
    if isinstance(error, MessageError):
        return error.message
    return Message.verbatim(str(error))
