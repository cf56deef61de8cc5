"""One check's verdict and the whole report, as the CLI prints it and ``--json`` gives it.

Each verdict says what was found (``message``) and, when something is to be done, exactly what
(``hint``), both :class:`~app.texts.Text` so the IT person reads Spanish and the log English.
A warning is a pass with something to know (the seats Google does not tell); only a failure
makes the report fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.logging_setup import get_logger
from app.texts import Text

log = get_logger(__name__)


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    #: not run, because a check it depends on failed (``message`` says which)
    SKIPPED = "skipped"


class Area(StrEnum):
    """What a failure is about, which decides the command's exit code (``app.cli.doctor``)."""

    GOOGLE = "google"
    SETTINGS = "settings"
    DATABASE = "database"


@dataclass(frozen=True)
class Verdict:
    name: str
    area: Area
    status: Status
    message: Text
    hint: Text | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "area": str(self.area),
            "status": str(self.status),
            "message": self.message.es,
            "hint": self.hint.es if self.hint is not None else None,
        }

    def logged(self) -> Verdict:
        """Log the verdict in English (one line per check) and return it."""
        level = log.warning if self.status in (Status.FAIL, Status.WARN) else log.info
        level(
            "doctor_check",
            check=self.name,
            status=str(self.status),
            detail=self.message.en,
            hint=self.hint.en if self.hint is not None else None,
        )
        return self


def skipped(name: str, area: Area, because: str) -> Verdict:
    return Verdict(name, area, Status.SKIPPED, Text("Not checked: {check} failed.", check=because))


def google_failed(name: str, exc: Exception) -> Verdict:
    """A probe Google answered otherwise than any check expects (a 5xx, a rate limit): say so."""
    return Verdict(
        name,
        Area.GOOGLE,
        Status.FAIL,
        Text("Google answered: {error}", error=str(exc)),
        Text("Run misena doctor again; if it repeats, see Google's status page (www.google.com/appsstatus)."),
    )


@dataclass(frozen=True)
class Report:
    verdicts: tuple[Verdict, ...]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.status is Status.FAIL)

    def as_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "checks": [v.as_json() for v in self.verdicts]}
