"""A bulk plan as a spreadsheet IT staff review before applying it.

By default the file is what Excel opens as it is on a Spanish-locale Windows: ``;``-separated
(Excel takes ``,`` as the decimal separator there), UTF-8 with a byte-order mark (without it
Excel reads ``Muñoz`` as ``MuÃ±oz``), Spanish column headers and Spanish actions and reasons
from the catalogue. ``csv`` is plain CSV for programs: ``,``-separated, no BOM, English headers
and the stored action codes. Either way the document is masked, never whole, and a cell that
a spreadsheet would run as a formula (a name starting with ``=``) is defused in the Excel file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum

from app.db.models import SyncItem
from app.texts import Text

BOM = "\ufeff"
#: How many rows go into one chunk of the streamed answer.
ROWS_PER_CHUNK = 500


class ExportFormat(StrEnum):
    EXCEL = "excel"
    CSV = "csv"


#: The stored codes as IT staff read them in the Excel file.
ACTIONS = {
    "create": Text("create"),
    "rename": Text("rename"),
    "suspend": Text("suspend"),
    "grace": Text("in grace"),
    "reactivate": Text("reactivate"),
    "move": Text("move"),
    "update": Text("update"),
    "groups": Text("ficha groups"),
    "left_alone": Text("left alone"),
    "unchanged": Text("unchanged"),
}
SOURCES = {"roster": Text("in the roster"), "absent": Text("absent from the roster")}
STATES = {"pending": Text("pending"), "applied": Text("applied"), "skipped": Text("skipped")}


#: Each column: its header (a msgid, Spanish in the Excel file) and how a row fills it.
_COLUMNS: tuple[tuple[Text, Callable[[SyncItem, str], str]], ...] = (
    (Text("Names"), lambda item, _: item.first_names or ""),
    (Text("Surnames"), lambda item, _: item.last_names or ""),
    (Text("Document"), lambda item, _: item.document or ""),
    (Text("Action"), lambda item, language: _word(ACTIONS, item.action, language)),
    (Text("Reason"), lambda item, language: (item.detail_es if language == "es" else None) or item.detail),
    (Text("Source"), lambda item, language: _word(SOURCES, item.source, language)),
    (Text("State"), lambda item, language: _word(STATES, item.state, language)),
)


def _word(words: dict[str, Text], code: str, language: str) -> str:
    text = words.get(str(code))
    return text.in_language(language) if text is not None and language == "es" else str(code)


def plan_chunks(items: Iterable[SyncItem], export: ExportFormat) -> Iterator[bytes]:
    """The file, streamed in chunks of :data:`ROWS_PER_CHUNK` rows."""
    excel = export is ExportFormat.EXCEL
    language = "es" if excel else "en"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel else ",")
    buffer.write(BOM if excel else "")
    writer.writerow([header.in_language(language) for header, _ in _COLUMNS])
    for count, item in enumerate(items, start=1):
        cells = [cell(item, language) for _, cell in _COLUMNS]
        writer.writerow([_defused(value) for value in cells] if excel else cells)
        if count % ROWS_PER_CHUNK == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _defused(value: str) -> str:
    """A cell Excel would evaluate (``=``, ``+``, ``-``, ``@``) shown as text instead."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")
