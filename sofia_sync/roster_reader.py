"""Reading a roster file — CSV or XLSX, told apart by content — as a stream of
:class:`~sofia_sync.roster_rows.RosterRow` objects, bad rows collected as errors. Not pure: it
opens files.

Streaming. Memory grows with the number of people (the aggregation) and of bad rows, not
with the size of the file: CSV is read in fixed-size chunks, decoded incrementally
(:mod:`sofia_sync.roster_encoding`) and split into physical lines for :mod:`csv`; XLSX is read
with openpyxl's ``read_only`` mode (its shared strings table — one entry per distinct text —
is the only part held whole). Apart from the folding into people
(:func:`sofia_sync.roster.roster_people`), which consumes any iterable of rows.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, TypeAlias

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from sofia_sync.messages import Message, message_of
from sofia_sync.roster_columns import map_headers
from sofia_sync.roster_encoding import Decoder, DecodingError, detect_delimiter, physical_lines
from sofia_sync.roster_row_parser import RowParser
from sofia_sync.roster_rows import Cell, RosterError, RosterFormatError, RosterRow
from sofia_sync.roster_values import cell_text

__all__ = ["CHUNK_SIZE", "RosterReader", "Source", "open_roster"]

#: Bytes read from the file at a time.
CHUNK_SIZE = 64 * 1024

Source: TypeAlias = str | os.PathLike[str] | IO[bytes]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"


_EMPTY = Message("the roster is empty")
_TOO_MANY_CELLS = Message("the row has more cells than the header (a delimiter inside a value?)")


def _mixed(line: int, error: DecodingError) -> Message:
    return Message("line {line}: {error}; save it again as CSV UTF-8", line=line, error=error.message)


class RosterReader:
    """A roster being read: iterate it once for its good rows; bad ones land in ``errors``.

    Use as a context manager (or call :meth:`close`) so files it opened are closed. The header
    is read on construction, so a file with missing columns fails at once. In CSV a row with
    more cells than the header is refused (an unquoted delimiter shifts every column after
    it); in XLSX cells beyond the header's columns are ignored. If the file turns
    out unreadable mid-way (mixed encodings) iteration raises :class:`RosterFormatError`:
    discard what was read.
    """

    def __init__(self, source: Source) -> None:
        self.errors: list[RosterError] = []
        self.rows_read = 0
        self.last_line = 0
        self.delimiter: str | None = None
        self._owned: IO[bytes] | None = None
        self._workbook: Any = None
        self._decoder: Decoder | None = None
        self._iterated = False
        stream = self._open(source)
        try:
            head = _peek(stream, 8)
            if head.startswith(_ZIP_MAGIC):
                self.file_format: Literal["csv", "xlsx"] = "xlsx"
                self._rows = self._open_xlsx(stream)
            elif head.startswith(_OLE2_MAGIC):
                raise RosterFormatError(
                    Message("legacy .xls workbooks are not supported: save the roster as XLSX or CSV")
                )
            else:
                self.file_format = "csv"
                self._rows = self._open_csv(stream)
            self.header_line, headers = self._header()
            self._header_width = len(headers)
            self.columns = map_headers(headers)
        except BaseException:
            self.close()
            raise
        self._parser = RowParser(self.columns)

    @property
    def encoding(self) -> str | None:
        """``utf-8-sig``, ``utf-8`` or ``cp1252`` once decided; ``ascii`` while nothing else was seen."""
        if self._decoder is None:
            return None
        return self._decoder.encoding or "ascii"

    def _open(self, source: Source) -> IO[bytes]:
        if isinstance(source, str | os.PathLike):
            self._owned = Path(source).open("rb")  # noqa: SIM115 - closed by close()
            return self._owned
        return source

    def _open_xlsx(self, stream: IO[bytes]) -> Iterator[tuple[int, Sequence[Cell]]]:
        if not stream.seekable():
            raise RosterFormatError(Message("an XLSX roster must be read from a file or a seekable stream"))
        try:
            self._workbook = load_workbook(stream, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError):
            raise RosterFormatError(
                Message("the file is a ZIP archive but not a readable XLSX workbook")
            ) from None
        if not self._workbook.worksheets:
            raise RosterFormatError(Message("the workbook has no sheet"))
        sheet = self._workbook.worksheets[0]
        # Some exporters declare a wrong sheet size ("A1"); read the rows as they are instead.
        sheet.reset_dimensions()
        return enumerate(sheet.iter_rows(values_only=True), start=1)

    def _open_csv(self, stream: IO[bytes]) -> Iterator[tuple[int, Sequence[Cell]]]:
        def chunks() -> Iterator[bytes]:
            while chunk := stream.read(CHUNK_SIZE):
                if not isinstance(chunk, bytes):
                    raise TypeError("open the roster in binary mode ('rb')")
                yield chunk

        self._decoder = Decoder(chunks())
        self._decoder.start()
        lines = physical_lines(self._decoder.pieces())
        skipped = 0
        try:
            for line in lines:
                if line.strip():
                    first = line
                    break
                skipped += 1
            else:
                raise RosterFormatError(_EMPTY)
        except DecodingError as error:
            raise RosterFormatError(_mixed(skipped + 1, error)) from None
        self.delimiter = detect_delimiter(first)
        reader = csv.reader(_chain(first, lines), delimiter=self.delimiter)

        def rows() -> Iterator[tuple[int, Sequence[Cell]]]:
            previous = 0
            try:
                for cells in reader:
                    start = previous + 1
                    previous = reader.line_num
                    yield skipped + start, cells
            except csv.Error as error:
                raise RosterFormatError(
                    Message("line {line}: {error}", line=skipped + previous + 1, error=message_of(error))
                ) from None
            except DecodingError as error:
                raise RosterFormatError(_mixed(skipped + previous + 1, error)) from None

        return rows()

    def _header(self) -> tuple[int, Sequence[str]]:
        for line, cells in self._rows:
            texts = [cell_text(cell) for cell in cells]
            if any(texts):
                return line, texts
        raise RosterFormatError(_EMPTY)

    def __iter__(self) -> Iterator[RosterRow]:
        if self._iterated:
            raise RuntimeError("a roster can be iterated only once")
        self._iterated = True
        for line, cells in self._rows:
            if _blank(cells):
                continue
            self.rows_read += 1
            self.last_line = line
            if self.file_format == "csv" and not _blank(cells[self._header_width :]):
                self.errors.append(RosterError(line, _TOO_MANY_CELLS))
                continue
            row, errors = self._parser.parse(cells, line)
            self.errors.extend(errors)
            if row is not None:
                yield row

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> RosterReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _blank(cells: Sequence[Cell]) -> bool:
    return not any(cell_text(cell) for cell in cells)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _peek(stream: IO[bytes], size: int) -> bytes:
    """The first bytes, left in the stream (seek back, or a buffered peek)."""
    if isinstance(stream, io.TextIOBase):
        raise TypeError("open the roster in binary mode ('rb')")
    if stream.seekable():
        position = stream.tell()
        head = stream.read(size)
        stream.seek(position)
        return head
    peek = getattr(stream, "peek", None)
    if peek is not None:
        return bytes(peek(size)[:size])
    return b""  # cannot look without consuming: read it as CSV


def open_roster(source: Source) -> RosterReader:
    """A roster file (path or binary stream; CSV or XLSX, told apart by content) to iterate.

    ``with open_roster(path) as roster: for row in roster: ...``; then ``roster.errors``.
    """
    return RosterReader(source)
