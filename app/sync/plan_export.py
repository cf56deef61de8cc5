"""A bulk plan as a spreadsheet IT staff review before applying it (written by
:mod:`app.spreadsheet`): in the Excel file, Spanish actions and reasons from the catalogue; in
plain CSV, the stored action codes. Either way the document is masked, never whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from app.db.models import SyncItem
from app.spreadsheet import Column, ExportFormat, table_chunks
from app.texts import Text

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
_COLUMNS: tuple[Column[SyncItem], ...] = (
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
    """The file, streamed in chunks."""
    return table_chunks(items, _COLUMNS, export)
