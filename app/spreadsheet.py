"""Tables as files IT staff open in a spreadsheet, or programs read: one writer for every export
(a bulk plan, the activation report).

By default the file is what Excel opens as it is on a Spanish-locale Windows: ``;``-separated
(Excel takes ``,`` as the decimal separator there), UTF-8 with a byte-order mark (without it
Excel reads ``Muñoz`` as ``MuÃ±oz``), Spanish column headers from the catalogue, and a cell that
a spreadsheet would run as a formula (a name starting with ``=``) defused. ``csv`` is plain CSV
for programs: ``,``-separated, no BOM, English headers and the stored codes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import StrEnum
from typing import TypeVar

from app.texts import Text

BOM = "\ufeff"
#: How many rows go into one chunk of the streamed answer.
ROWS_PER_CHUNK = 500
Row = TypeVar("Row")
#: A column: its header (a msgid, Spanish in the Excel file) and how a row fills it in a language.
Column = tuple[Text, Callable[[Row, str], str]]


class ExportFormat(StrEnum):
    EXCEL = "excel"
    CSV = "csv"

    @property
    def language(self) -> str:
        """Excel's file is for people (Spanish); plain CSV is for programs (English, codes)."""
        return "es" if self is ExportFormat.EXCEL else "en"


def table_chunks(
    items: Iterable[Row], columns: Sequence[Column[Row]], export: ExportFormat
) -> Iterator[bytes]:
    """The file, streamed in chunks of :data:`ROWS_PER_CHUNK` rows."""
    excel = export is ExportFormat.EXCEL
    language = export.language
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel else ",")
    buffer.write(BOM if excel else "")
    writer.writerow([header.in_language(language) for header, _ in columns])
    for count, item in enumerate(items, start=1):
        cells = [cell(item, language) for _, cell in columns]
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
