"""The roster and the scope IT staff hand a sync run, read into the domain's terms or refused
as an invalid-input problem naming the field at fault.

Apart from :mod:`app.sync.runs` because the roster pull (:mod:`app.sync.pull`) checks a scope
before it downloads anything, without planning a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from app.errors import FieldProblem, InvalidInputError
from app.texts import Text
from sofia_sync.roster import Roster, Scope, load_roster
from sofia_sync.roster_rows import RosterFormatError


def parse_scope(text: str) -> Scope:
    try:
        return Scope.parse(text)
    except ValueError as exc:
        raise InvalidInputError(
            Text(es="El alcance es 'all', 'regional:<código>' o 'centro:<código>'.", en=str(exc)),
            title="Invalid scope",
            fields=[FieldProblem("scope", str(exc))],
        ) from exc


def load(source: Path | BinaryIO) -> Roster:
    try:
        return load_roster(source)
    except RosterFormatError as exc:
        raise InvalidInputError(
            Text(es=f"No se puede leer el reporte ({exc}).", en=str(exc)),
            title="The roster cannot be read",
            fields=[FieldProblem("roster", str(exc))],
        ) from exc
