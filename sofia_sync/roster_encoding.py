"""CSV roster bytes → text → physical lines, and which delimiter the header uses. Pure.

Encoding detection, and its trade-off. A UTF-8 BOM settles it. Otherwise nothing is decided
while the bytes are plain ASCII: ASCII text reads the same in both candidates, so those lines
are produced at once. At the first non-ASCII byte the decision is made on a look-ahead window
(:data:`DETECTION_WINDOW` bytes): strict UTF-8 if the window decodes as UTF-8, otherwise
Windows-1252. Spanish text in Windows-1252 is practically never valid UTF-8 (``Í`` is the byte
``CD``, which UTF-8 only accepts before a continuation byte (``80`` to ``BF``), i.e. before a symbol,
never a letter), so the window is enough in practice — but it is a bounded look-ahead, not a
proof. So the rest of the file is checked as it streams instead of being trusted:

* after choosing UTF-8, a byte that is not UTF-8 raises :class:`RosterFormatError` (the file
  mixes encodings) rather than being replaced;
* after choosing Windows-1252, bytes undefined there (``81``, ``8D``, ``8F``, ``90``, ``9D``) and
  UTF-8 sequences of the Latin-1 letters (``C3 xx`` / ``C2 xx``, what turns ``Muñoz`` into
  ``MuÃ±oz``) or of typographic quotes raise :class:`RosterFormatError`, in the window and
  after it. Capital accented letters followed by a symbol (``É`` + no-break space is ``C9 A0``)
  are left alone: they are valid Windows-1252 text that happens to be valid UTF-8 as well.

A file found inconsistent after some rows were yielded therefore fails the whole import
(:func:`~sofia_sync.roster.load_roster` returns nothing partial); it is never decoded silently
wrong. Apart from the reader: the decoding is a byte-level state machine of its own, tested
through the reader but readable without it.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator

from sofia_sync.messages import Message, MessageError
from sofia_sync.roster_columns import HEADER_NAMES, fold
from sofia_sync.roster_rows import RosterFormatError

__all__ = [
    "DETECTION_WINDOW",
    "MAX_LINE_CHARS",
    "Decoder",
    "DecodingError",
    "detect_delimiter",
    "physical_lines",
]

#: Bytes after the first non-ASCII byte on which UTF-8 vs Windows-1252 is decided.
DETECTION_WINDOW = 64 * 1024
#: A physical line longer than this is not a roster (a binary file, a missing newline).
MAX_LINE_CHARS = 1024 * 1024

_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_NON_ASCII = re.compile(rb"[\x80-\xff]")
#: UTF-8 encodings of U+0080 to U+00FF (accented Latin letters among them) and of typographic
#: punctuation and ``€`` (U+2000 to U+20BF): in a Windows-1252 file they only appear when UTF-8
#: text was pasted in, and would read as ``Ã``- or ``â€``-mojibake.
_UTF8_LATIN1 = re.compile(rb"[\xc2\xc3][\x80-\xbf]|\xe2[\x80-\x82][\x80-\xbf]")
_LINE_END = re.compile(r"\r\n|\r|\n")


class DecodingError(MessageError):
    """Raised through :mod:`csv` by the decoder; the reader adds the line number."""


class Decoder:
    """Bytes → text, UTF-8 or Windows-1252, decided late and checked to the end (module doc)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""
        self._eof = False
        self.encoding: str | None = None  # None while everything seen is ASCII
        self._decoder: codecs.IncrementalDecoder | None = None

    def _fill(self, size: int) -> None:
        while not self._eof and len(self._pending) < size:
            chunk = next(self._chunks, b"")
            if not chunk:
                self._eof = True
            self._pending += chunk

    def start(self) -> None:
        """Settle a BOM; refuse what is clearly no CSV roster."""
        self._fill(4)
        if self._pending.startswith(_UTF8_BOM):
            self._pending = self._pending[len(_UTF8_BOM) :]
            self._choose("utf-8-sig")
        elif self._pending.startswith(_UTF16_BOMS):
            raise RosterFormatError(
                Message("UTF-16 files are not supported: export the roster as CSV UTF-8 or XLSX")
            )

    def _choose(self, encoding: str) -> None:
        self.encoding = encoding
        self._decoder = codecs.getincrementaldecoder("cp1252" if encoding == "cp1252" else "utf-8")("strict")

    def pieces(self) -> Iterator[str]:
        while True:
            if not self._pending:
                if self._eof:
                    break
                self._fill(1)
                continue
            if self._decoder is None:
                first = _NON_ASCII.search(self._pending)
                if first is None:
                    text, self._pending = self._pending.decode("ascii"), b""
                    yield text
                    continue
                if first.start():
                    yield self._pending[: first.start()].decode("ascii")
                    self._pending = self._pending[first.start() :]
                self._fill(DETECTION_WINDOW)
                self._choose(self._detect(self._pending[:DETECTION_WINDOW]))
            data, self._pending = self._pending, b""
            if self.encoding == "cp1252" and data[-1:] in {b"\xc2", b"\xc3"} and not self._eof:
                data, self._pending = data[:-1], data[-1:]  # checked with the byte that follows
            yield from self._decode(data)
            self._fill(len(self._pending) + 1)
        if self._decoder is not None:
            yield self._decoder.decode(b"", final=True)

    def _decode(self, data: bytes) -> Iterator[str]:
        """``data`` as text; at a byte the encoding cannot have, the text before it, then
        :class:`DecodingError` (so the error is reported on the right line)."""
        assert self._decoder is not None  # noqa: S101 - chosen before anything is decoded
        if self.encoding == "cp1252" and (mixed := _UTF8_LATIN1.search(data)):
            yield self._decoder.decode(data[: mixed.start()])
            raise DecodingError(Message("UTF-8 letters in a Windows-1252 file: it mixes encodings"))
        held: bytes = getattr(self._decoder, "buffer", b"")  # an incomplete UTF-8 sequence
        try:
            text = self._decoder.decode(data)
        except UnicodeDecodeError as error:
            valid = (held + data)[: error.start]
            yield valid.decode("cp1252" if self.encoding == "cp1252" else "utf-8")
            name = "Windows-1252" if self.encoding == "cp1252" else "UTF-8"
            raise DecodingError(
                Message("the file stops being valid {encoding} here: it mixes encodings", encoding=name)
            ) from None
        yield text

    def _detect(self, window: bytes) -> str:
        try:
            # the window may end inside a character unless it holds the rest of the file
            whole = self._eof and len(self._pending) <= len(window)
            codecs.getincrementaldecoder("utf-8")("strict").decode(window, final=whole)
        except UnicodeDecodeError:
            pass
        else:
            return "utf-8"
        if _UTF8_LATIN1.search(window):
            raise RosterFormatError(
                Message(
                    "the file is not valid UTF-8 but holds UTF-8 letters: it mixes encodings; "
                    "save it as CSV UTF-8"
                )
            )
        try:
            window.decode("cp1252")
        except UnicodeDecodeError:
            raise RosterFormatError(Message("the file is neither UTF-8 nor Windows-1252 text")) from None
        return "cp1252"


def physical_lines(pieces: Iterable[str]) -> Iterator[str]:
    """Physical lines, ending in ``\\r\\n``, ``\\n`` or ``\\r`` kept (what :mod:`csv` wants)."""
    buffer = ""
    for piece in pieces:
        buffer += piece
        start = 0
        for match in _LINE_END.finditer(buffer):
            if match.group() == "\r" and match.end() == len(buffer):
                break  # the "\n" of a "\r\n" may be in the next piece
            yield buffer[start : match.end()]
            start = match.end()
        buffer = buffer[start:]
        if len(buffer) > MAX_LINE_CHARS:
            raise RosterFormatError(
                Message("a line is longer than a roster line can be: is this a CSV file?")
            )
    if buffer:
        yield buffer


def detect_delimiter(header_line: str) -> str:
    """``;`` or ``,``: whichever splits the header into more known columns (then more cells)."""

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=delimiter))
        return sum(1 for cell in cells if fold(cell) in HEADER_NAMES), len(cells)

    return max((";", ","), key=score)
