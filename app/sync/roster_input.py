"""The roster and the scope IT staff hand a sync run, read into the domain's terms or refused
as an invalid-input problem naming the field at fault — in the words of the catalogue, so SENA's
staff read why in Spanish (the domain says it in English, :class:`sofia_sync.messages.Message`).

Apart from :mod:`app.sync.runs` because the roster pull (:mod:`app.sync.pull`) checks a scope
before it downloads anything, without planning a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

from app.errors import FieldProblem, InvalidInputError
from app.texts import Text
from sofia_sync.messages import message_of
from sofia_sync.roster import Roster, Scope, load_roster
from sofia_sync.roster_rows import RosterFormatError


def parse_scope(text: str) -> Scope:
    try:
        return Scope.parse(text)
    except ValueError as exc:
        message = Text.of(message_of(exc))
        raise InvalidInputError(
            message, title=Text("Invalid scope"), fields=[FieldProblem("scope", message)]
        ) from exc


def load(source: Path | BinaryIO) -> Roster:
    try:
        return load_roster(source)
    except RosterFormatError as exc:
        message = Text.of(exc.message)
        raise InvalidInputError(
            message,
            title=Text("The roster cannot be read"),
            fields=[FieldProblem("roster", message)],
        ) from exc


def roster_error_entry(line: int, message: Text, kept: bool) -> dict[str, Any]:
    """A bad row as a sync run keeps it: its reason worded in each language when planned."""
    return {"line": line, "reason": message.en, "reason_es": message.es, "kept": kept}
