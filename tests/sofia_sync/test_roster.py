"""The roster importer: encodings, delimiters, headers, values, bad rows, people, streaming."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sofia_sync.contract import DocumentType, EnrollmentStatus, Modality, Role
from sofia_sync.roster import Roster, Scope, load_roster, roster_people
from sofia_sync.roster_encoding import DETECTION_WINDOW
from sofia_sync.roster_reader import open_roster
from sofia_sync.roster_rows import RosterFormatError, RosterRow
from tests.support.roster_files import (
    CENTROS,
    FIELDS,
    PROGRAMS,
    SPANISH,
    HeaderStyle,
    Row,
    cp1252_safe,
    csv_bytes,
    enrollment_of,
    expected_people,
    fake_rows,
    person_of,
    write_csv,
    write_xlsx,
)

ENCODINGS = ["utf-8", "utf-8-sig", "cp1252"]
DETECTED = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp1252": "cp1252"}


def read(data: bytes) -> Roster:
    return load_roster(io.BytesIO(data))


def one_row(**changes: Any) -> Row:
    """A valid apprentice row (the contract's example person), with ``changes``."""
    row: Row = {
        "document_type": "TI",
        "document_number": "1.098.765.432",
        "first_names": "MARÍA JOSÉ",
        "last_names": "PEÑA DE LA TORRE",
        "personal_email": "majo.pena@example.com",
        "mobile_phone": "300 123 4567",
        "role": "Aprendiz",
        "ficha": "2758392",
        "program_code": "228118",
        "program_name": "Análisis y Desarrollo de Software",
        "level": "Tecnólogo",
        "centro_code": "9229",
        "centro_name": "Centro de Servicios Financieros",
        "regional_code": "11",
        "regional_name": "Distrito Capital",
        "modality": "Presencial",
        "status": "En formación",
        "start_date": "2026-01-20",
        "end_date": "2028-01-19",
    }
    return {**row, **changes}


def assert_same_people(roster: Roster, rows: list[Row]) -> None:
    expected = expected_people(rows)
    assert set(roster.people) == set(expected)
    for key, (person, roles, fichas) in expected.items():
        found = roster.people[key]
        assert found.person == person
        assert found.roles == roles
        assert tuple(e.ficha for e in found.enrollments) == fichas
    by_ficha = {(person_of(r).key, r["ficha"]): enrollment_of(r) for r in rows if r.get("status")}
    for (key, ficha), enrollment in by_ficha.items():
        assert roster.people[key].enrollment(ficha) == enrollment


# --- files as exported ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("delimiter", [";", ","])
@pytest.mark.parametrize("headers", ["spanish", "odd", "snake"])
def test_reads_generated_rosters(tmp_path: Path, encoding: str, delimiter: str, headers: HeaderStyle) -> None:
    rows = fake_rows(120, seed=7)
    path = write_csv(tmp_path / "roster.csv", rows, encoding=encoding, delimiter=delimiter, headers=headers)
    roster = load_roster(path)
    assert roster.errors == ()
    assert (roster.file_format, roster.encoding, roster.delimiter) == ("csv", DETECTED[encoding], delimiter)
    assert roster.rows_read == len(rows)
    assert_same_people(roster, rows)
    names = [p.person.first_names + p.person.last_names for p in roster.people.values()]
    assert not any("Ã" in name or "\ufffd" in name for name in names)
    assert any(ch in "".join(names) for ch in "áéíóúñÁÉÍÓÚÑ")


def test_generated_rosters_cover_what_exports_contain() -> None:
    rows = fake_rows(300, seed=7)
    assert {row["document_type"].upper() for row in rows} == {kind.value for kind in DocumentType}
    assert any(row.get("role", "").upper() == "INSTRUCTOR" for row in rows)
    assert any(not row.get("personal_email") for row in rows)
    assert any(any(c.isalpha() for c in row["document_number"]) for row in rows)
    assert len({person_of(row).key for row in rows}) < len(rows)  # people with two fichas


@pytest.mark.parametrize("headers", ["spanish", "odd", "snake"])
def test_reads_xlsx(tmp_path: Path, headers: HeaderStyle) -> None:
    rows = fake_rows(80, seed=11)
    path = tmp_path / "roster.xlsx"
    write_xlsx(path, rows, headers=headers)
    roster = load_roster(path)
    assert roster.errors == ()
    assert (roster.file_format, roster.encoding, roster.delimiter) == ("xlsx", None, None)
    assert roster.rows_read == len(rows)
    assert_same_people(roster, rows)


def test_xlsx_from_a_stream_with_excel_values() -> None:
    """Numbers for cédulas, fichas and phones; dates as dates, date-times and serial numbers."""
    buffer = io.BytesIO()
    serial = (date(2026, 1, 20) - date(1899, 12, 30)).days
    write_xlsx(
        buffer,
        [
            one_row(document_type="CC", document_number="1023456789", start_date=date(2026, 1, 20)),
            one_row(document_type="CC", document_number="79845123", start_date=serial),
            one_row(document_type="PA", document_number="AB1234567", start_date=datetime(2026, 1, 20, 0, 0)),
        ],
    )
    buffer.seek(0)
    roster = load_roster(buffer)
    assert roster.errors == ()
    assert set(roster.people) == {"CC:1023456789", "CC:79845123", "PA:ab1234567"}
    for person in roster.people.values():
        assert person.enrollments[0].start_date == date(2026, 1, 20)
        assert person.enrollments[0].ficha == "2758392"
        assert person.person.mobile_phone == "300 123 4567"


@pytest.mark.parametrize(
    ("document_type", "number", "key"),
    [
        ("CC", "1.023.456.789", "CC:1023456789"),
        ("TI", "1098765432", "TI:1098765432"),
        ("CE", "E-123456", "CE:e123456"),
        ("PEP", "PEP.4567.890", "PEP:pep4567890"),
        ("PPT", "ABC123XYZ", "PPT:abc123xyz"),
        ("PA", "AB1234567", "PA:ab1234567"),
        ("pa", "ab1234567", "PA:ab1234567"),
        ("Cédula de Ciudadanía", "79845123", "CC:79845123"),
        ("C.C.", "79845123", "CC:79845123"),
        ("Pasaporte", "X123", "PA:x123"),
    ],
)
def test_every_document_type(document_type: str, number: str, key: str) -> None:
    roster = read(csv_bytes([one_row(document_type=document_type, document_number=number)]))
    assert roster.errors == ()
    assert list(roster.people) == [key]


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("En formación", EnrollmentStatus.EN_FORMACION),
        ("EN FORMACION", EnrollmentStatus.EN_FORMACION),
        ("EN_FORMACION", EnrollmentStatus.EN_FORMACION),
        (" en  formación ", EnrollmentStatus.EN_FORMACION),
        ("Condicionado", EnrollmentStatus.CONDICIONADO),
        ("Aplazado", EnrollmentStatus.APLAZADO),
        ("Trasladado", EnrollmentStatus.TRASLADADO),
        ("Por certificar", EnrollmentStatus.POR_CERTIFICAR),
        ("Certificado", EnrollmentStatus.CERTIFICADO),
        ("CANCELADO", EnrollmentStatus.CANCELADO),
        ("Retiro voluntario", EnrollmentStatus.RETIRO_VOLUNTARIO),
        ("retiro-voluntario", EnrollmentStatus.RETIRO_VOLUNTARIO),
    ],
)
def test_status_words(word: str, status: EnrollmentStatus) -> None:
    roster = read(csv_bytes([one_row(status=word)]))
    (person,) = roster.people.values()
    assert person.enrollments[0].status is status


@pytest.mark.parametrize(
    ("word", "modality"),
    [
        ("Presencial", Modality.PRESENCIAL),
        ("VIRTUAL", Modality.VIRTUAL),
        ("A distancia", Modality.A_DISTANCIA),
        ("A_DISTANCIA", Modality.A_DISTANCIA),
    ],
)
def test_modality_words(word: str, modality: Modality) -> None:
    roster = read(csv_bytes([one_row(modality=word)]))
    (person,) = roster.people.values()
    assert person.enrollments[0].modality is modality


def test_level_is_written_as_the_webhooks_write_it() -> None:
    roster = read(csv_bytes([one_row(level="Técnico")]))
    (person,) = roster.people.values()
    assert person.enrollments[0].program.level == "TECNICO"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-20", date(2026, 1, 20)),
        ("20/01/2026", date(2026, 1, 20)),
        ("5/1/2026", date(2026, 1, 5)),
        ("20-01-2026", date(2026, 1, 20)),
        ("2026/01/20", date(2026, 1, 20)),
        ("2026-01-20 00:00:00", date(2026, 1, 20)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    roster = read(csv_bytes([one_row(start_date=text)]))
    (person,) = roster.people.values()
    assert person.enrollments[0].start_date == expected


@pytest.mark.parametrize("text", ["2026-02-30", "01/20/2026", "20/01/26", "mañana", "46042"])
def test_bad_dates_refuse_the_row(text: str) -> None:
    roster = read(csv_bytes([one_row(start_date=text)]))
    assert roster.people == {}
    assert [(e.line, e.reason) for e in roster.errors] == [
        (2, "Fecha Inicio: not a date (expected 2026-01-20 or 20/01/2026)")
    ]


def test_instructor_rows_may_leave_the_enrollment_empty() -> None:
    empty = dict.fromkeys(FIELDS[FIELDS.index("ficha") :], "")
    rows = [
        one_row(
            document_type="CC", document_number="79845123", first_names="JUAN", **empty, role="INSTRUCTOR"
        ),
        one_row(
            document_type="CC", document_number="52111222", role="Instructor", **{**empty, "ficha": "2758392"}
        ),
        one_row(document_type="CC", document_number="52111222", ficha="2699001"),
    ]
    roster = read(csv_bytes(rows))
    assert roster.errors == ()
    only = roster.people["CC:79845123"]
    assert (only.roles, only.enrollments, only.instructor_fichas) == (
        frozenset({Role.INSTRUCTOR}),
        (),
        frozenset(),
    )
    both = roster.people["CC:52111222"]
    assert both.roles == {Role.INSTRUCTOR, Role.APRENDIZ}
    assert [e.ficha for e in both.enrollments] == ["2699001"]
    assert both.instructor_fichas == {"2758392"}


def test_an_apprentice_row_needs_its_enrollment() -> None:
    roster = read(csv_bytes([one_row(ficha="", status="", role="")]))
    assert [(e.line, e.reason) for e in roster.errors] == [(2, "Ficha: is empty; Estado: is empty")]


def test_streams_and_attributes() -> None:
    data = csv_bytes([one_row()], encoding="cp1252", delimiter=",")
    with open_roster(io.BytesIO(data)) as reader:
        assert reader.columns["document_number"] == (1, "Número de Documento")
        rows = list(reader)
        assert (reader.encoding, reader.delimiter, reader.rows_read) == ("cp1252", ",", 1)
    assert isinstance(rows[0], RosterRow)
    assert rows[0].person.first_names == "MARÍA JOSÉ"
    with pytest.raises(RuntimeError, match="only once"):
        list(reader)


class _Pipe(io.RawIOBase):
    """A non-seekable byte source, like a socket or a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(min(len(buffer), 1000))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_non_seekable_streams() -> None:
    rows = fake_rows(60, seed=5)
    data = csv_bytes(rows, encoding="cp1252")
    assert_same_people(load_roster(io.BufferedReader(_Pipe(data))), rows)
    assert_same_people(load_roster(cast(IO[bytes], _Pipe(data))), rows)  # no peek either


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_line_endings_and_line_numbers(newline: str) -> None:
    rows = [
        one_row(document_number="111111"),
        one_row(document_number="222222", program_name=f"Cocina{newline}en dos líneas"),  # quoted
        one_row(document_number="333333", status="Graduado"),
    ]
    roster = read(csv_bytes(rows, newline=newline))
    assert set(roster.people) == {"TI:111111", "TI:222222"}
    assert roster.people["TI:222222"].enrollments[0].program.name == f"Cocina{newline}en dos líneas"
    assert [(e.line, e.reason) for e in roster.errors] == [(5, "Estado: unknown enrollment status")]


# --- bad rows ------------------------------------------------------------------------------


def test_bad_rows_are_reported_and_good_rows_kept() -> None:
    rows = fake_rows(12, seed=3, instructors=0)
    rows = [
        {**row, "document_type": "CC", "document_number": str(70_000_000 + i)} for i, row in enumerate(rows)
    ]
    rows[1]["program_name"] = "Gestión\nContable"  # one more physical line from here on
    rows[2]["document_number"] = ""
    rows[3]["status"] = "Graduado"
    rows[4]["start_date"] = "31/31/2026"
    rows[5]["personal_email"] = "no-es-correo@"
    rows[6]["role"] = "Administrativo"
    rows[7]["document_number"] = "1,02346E+09"
    rows[8]["document_number"] = "1023456789.0"
    rows[9]["document_number"] = "12A45"
    rows[10]["first_names"] = "123 ###"
    data = csv_bytes(rows, delimiter=";")
    roster = read(data)
    # header = line 1; row i starts on line i + 2, one more after the two-line cell of row 1.
    assert [(e.line, e.reason, e.kept) for e in roster.errors] == [
        (5, "Número de Documento: is empty", False),
        (6, "Estado: unknown enrollment status", False),
        (7, "Fecha Inicio: not a date (expected 2026-01-20 or 20/01/2026)", False),
        (8, "Correo Personal: is not a usable email address; the row is kept without it", True),
        (9, "Rol: only APRENDIZ and INSTRUCTOR rows are imported", False),
        (
            10,
            "Número de Documento: was turned into a number by a spreadsheet (format the column as text)",
            False,
        ),
        (
            11,
            "Número de Documento: was turned into a number by a spreadsheet (format the column as text)",
            False,
        ),
        (12, "Número de Documento: a CC document number may only contain digits", False),
        (13, "Nombres: the name has no letters", False),
    ]
    assert roster.rows_read == 12
    assert roster.bad_rows == 8
    assert roster.warnings == (roster.errors[3],)
    kept = {f"CC:{70_000_000 + i}" for i in (0, 1, 5, 11)}
    assert set(roster.people) == kept
    assert roster.people["CC:70000005"].person.personal_email == "no-es-correo@"  # as sent, like webhooks
    # The planner must not read a refused row's person as absent: their keys travel along.
    assert roster.refused_keys == {f"CC:{70_000_000 + i}" for i in (3, 4, 6, 10)}
    for error in roster.errors:
        for row in rows:
            for secret in (row["document_number"], row["personal_email"]):
                assert not secret or secret not in error.reason
        assert "70000" not in repr(error)


def test_a_row_wider_than_the_header_is_refused() -> None:
    unquoted = ";".join(
        str(value) for value in one_row(document_number="99999999", program_name="Cocina; Panadería").values()
    )
    roster = read(csv_bytes([one_row()]) + unquoted.encode() + b"\r\n")
    assert list(roster.people) == ["TI:1098765432"]
    assert [(e.line, e.reason) for e in roster.errors] == [
        (3, "the row has more cells than the header (a delimiter inside a value?)")
    ]


def test_blank_lines_are_skipped_but_counted_as_lines() -> None:
    body = csv_bytes([one_row(document_number="111111"), one_row(document_number="222222", status="x")])
    header, first, second = body.split(b"\r\n")[:3]
    roster = read(b"\r\n" + header + b"\r\n;;;\r\n" + first + b"\r\n\r\n" + second + b"\r\n")
    assert list(roster.people) == ["TI:111111"]
    assert [e.line for e in roster.errors] == [6]
    assert roster.rows_read == 2


def test_a_ficha_twice_for_the_same_person() -> None:
    rows = [
        one_row(status="En formación"),
        one_row(ficha="2699001"),
        one_row(status="Cancelado"),
        one_row(document_number="52111222", status="Cancelado"),
    ]
    roster = read(csv_bytes(rows))
    person = roster.people["TI:1098765432"]
    assert [(e.ficha, e.status) for e in person.enrollments] == [
        ("2699001", EnrollmentStatus.EN_FORMACION),
        ("2758392", EnrollmentStatus.EN_FORMACION),
    ]
    assert person.lines == (2, 3)
    assert [(e.line, e.reason, e.person_key) for e in roster.errors] == [
        (4, "Ficha: the same ficha is listed twice for this person; the first row is kept", "TI:1098765432")
    ]
    assert roster.people["TI:52111222"].enrollments[0].ficha == "2758392"  # someone else may share it
    assert (roster.rows_read, roster.people_count, roster.bad_rows) == (4, 2, 1)


def test_roster_people_without_an_error_list() -> None:
    rows = [
        RosterRow(
            line=2, person=person_of(one_row()), role=Role.APRENDIZ, enrollment=enrollment_of(one_row())
        )
    ]
    people = roster_people([*rows, rows[0].model_copy(update={"line": 3})])
    assert people["TI:1098765432"].lines == (2,)


# --- the file as a whole -------------------------------------------------------------------


def test_missing_columns_are_named() -> None:
    fields = [name for name in FIELDS if name not in {"document_number", "status", "personal_email"}]
    with pytest.raises(RosterFormatError) as caught:
        read(csv_bytes([one_row()], fields=fields))
    assert str(caught.value) == (
        "the roster is missing required columns: 'Número de Documento' (document_number), 'Estado' (status)"
    )


def test_optional_columns_may_be_missing() -> None:
    fields = [name for name in FIELDS if name not in {"personal_email", "mobile_phone", "role"}]
    roster = read(csv_bytes([one_row()], fields=fields))
    (person,) = roster.people.values()
    assert (person.person.personal_email, person.roles) == (None, frozenset({Role.APRENDIZ}))


def test_two_columns_for_one_field() -> None:
    data = csv_bytes([one_row()]).replace(b"Apellidos", b"nombres", 1)
    with pytest.raises(RosterFormatError, match="both mean 'Nombres'"):
        read(data)


def test_birth_date_column() -> None:
    header = ";".join([*SPANISH.values(), "Fecha de Nacimiento", "Observaciones"])
    good = ";".join([*csv_bytes([one_row()]).decode().splitlines()[1].split(";"), "14/03/2009", "nota"])
    bad = ";".join(
        [*csv_bytes([one_row(document_number="52111222")]).decode().splitlines()[1].split(";"), "ayer", ""]
    )
    roster = read(f"{header}\n{good}\n{bad}\n".encode())
    assert roster.people["TI:1098765432"].person.birth_date == date(2009, 3, 14)
    assert roster.people["TI:52111222"].person.birth_date is None
    assert [(e.line, e.kept) for e in roster.errors] == [(3, True)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        ("Tipo de Documento".encode("utf-16"), "UTF-16"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "legacy .xls"),
        (b"\x00\x01\x02" * 500_000, "longer than a roster line"),
    ],
)
def test_files_that_are_no_roster(data: bytes, message: str) -> None:
    with pytest.raises(RosterFormatError, match=message):
        read(data)


def test_a_zip_that_is_no_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("roster.csv", csv_bytes([one_row()]))
    with pytest.raises(RosterFormatError, match="not a readable XLSX"):
        read(buffer.getvalue())


def test_text_streams_are_refused() -> None:
    with pytest.raises(TypeError, match="binary"):
        load_roster(io.StringIO("Tipo de Documento;Número de Documento\n"))  # type: ignore[arg-type]


# --- encodings: detected late, checked to the end ------------------------------------------


def ascii_rows(count: int) -> list[Row]:
    return [
        one_row(
            document_number=str(10_000_000 + i),
            first_names="ANA",
            last_names="RIOS",
            program_name="Cocina",
            level="Tecnico",
            centro_name="Centro",
            status="EN_FORMACION",
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_the_first_accent_may_come_late(encoding: str) -> None:
    rows = [*ascii_rows(1000), one_row(document_number="999999")]
    data = csv_bytes(rows, encoding=encoding)
    assert data.index(b"MAR") > 2 * DETECTION_WINDOW
    roster = read(data)
    assert roster.errors == ()
    assert roster.encoding == encoding
    late = roster.people["TI:999999"].person
    assert (late.first_names, late.last_names) == ("MARÍA JOSÉ", "PEÑA DE LA TORRE")


def test_utf8_then_windows_1252_fails_rather_than_guessing() -> None:
    data = (
        csv_bytes([one_row(), *ascii_rows(1000)])
        + csv_bytes([one_row()], encoding="cp1252").split(b"\r\n", 1)[1]
    )
    with pytest.raises(RosterFormatError, match=r"^line 1003: the file stops being valid UTF-8 here"):
        read(data)


def test_windows_1252_then_utf8_fails_rather_than_mojibake() -> None:
    data = (
        csv_bytes([one_row(), *ascii_rows(1000)], encoding="cp1252")
        + csv_bytes([one_row()]).split(b"\r\n", 1)[1]
    )
    with pytest.raises(RosterFormatError, match="mixes encodings"):
        read(data)


def test_both_encodings_in_the_detection_window_fail() -> None:
    data = csv_bytes([one_row()], encoding="cp1252") + csv_bytes([one_row()]).split(b"\r\n", 1)[1]
    with pytest.raises(RosterFormatError, match="mixes encodings"):
        read(data)


def test_typographic_quotes_in_utf8_betray_a_mixed_file() -> None:
    quoted = {**ascii_rows(1)[0], "document_number": "999999", "last_names": "O\u2019NEIL"}
    late = csv_bytes([quoted]).split(b"\r\n", 1)[1]
    data = csv_bytes(ascii_rows(1000), encoding="cp1252").replace(b"ANA", b"AN\xc1", 1) + late
    assert len(data) > 2 * DETECTION_WINDOW
    with pytest.raises(RosterFormatError, match=r"^line 1002: UTF-8 letters in a Windows-1252 file"):
        read(data)
    with pytest.raises(RosterFormatError, match="not valid UTF-8 but holds UTF-8 letters"):
        read(csv_bytes(ascii_rows(2), encoding="cp1252").replace(b"ANA", b"AN\xc1", 1) + late)


def test_accented_capital_before_a_no_break_space_is_windows_1252() -> None:
    data = csv_bytes([one_row(first_names="JOSÉ\u00a0", last_names="MUÑOZ")], encoding="cp1252")
    roster = read(data)
    assert roster.encoding == "cp1252"
    assert [p.person.first_names for p in roster.people.values()] == ["JOSÉ"]


def test_bytes_that_no_candidate_encoding_has() -> None:
    data = csv_bytes([one_row(first_names="ANA")], encoding="cp1252").replace(b"ANA", b"AN\x81A")
    with pytest.raises(RosterFormatError, match="neither UTF-8 nor Windows-1252"):
        read(data)


# --- people and scopes ---------------------------------------------------------------------


def test_scopes() -> None:
    empty = dict.fromkeys(FIELDS[FIELDS.index("ficha") :], "")
    rows = [
        one_row(document_number="111111", centro_code="9229", regional_code="11"),
        one_row(document_number="111111", ficha="2699001", centro_code="9110", regional_code="05"),
        one_row(document_number="222222", centro_code="9202", regional_code="25"),
        one_row(
            document_number="333333",
            role="INSTRUCTOR",
            **{**empty, "centro_code": "9229", "regional_code": "11"},
        ),
        one_row(document_number="444444", role="INSTRUCTOR", **empty),
    ]
    roster = read(csv_bytes(rows))
    assert roster.errors == ()
    assert roster.people["TI:111111"].scopes == {"regional:11", "regional:05", "centro:9229", "centro:9110"}
    # 444444's row names no place: it belongs to whatever scope the export is planned for
    assert set(roster.in_scope("regional:11")) == {"TI:111111", "TI:333333", "TI:444444"}
    assert set(roster.in_scope(Scope.parse("centro:9202"))) == {"TI:222222", "TI:444444"}
    assert set(roster.in_scope("all")) == {"TI:111111", "TI:222222", "TI:333333", "TI:444444"}
    assert roster.scope_counts() == {
        "centro:9110": 1,
        "centro:9202": 1,
        "centro:9229": 2,
        "regional:05": 1,
        "regional:11": 2,
        "regional:25": 1,
    }


@pytest.mark.parametrize("text", ["regional", "regional:", "ficha:2758392", "todo", ""])
def test_bad_scopes(text: str) -> None:
    with pytest.raises(ValueError, match="a scope is"):
        Scope.parse(text)


@pytest.mark.parametrize(
    ("text", "shown"), [(" ALL ", "all"), ("Regional: 11", "regional:11"), ("centro:9229", "centro:9229")]
)
def test_scopes_parse(text: str, shown: str) -> None:
    assert str(Scope.parse(text)) == shown


# --- round trip ----------------------------------------------------------------------------

_NAMES = ["MARÍA JOSÉ", "José Ñañez", "D'ALESSANDRO", "PEÑA, JR.", "Ángela Müller", "LUZ DARY", "Óscar Iván"]
_EMPTY_ENROLLMENT = dict.fromkeys(FIELDS[FIELDS.index("ficha") :], "")


def _number(kind: DocumentType) -> st.SearchStrategy[str]:
    if kind in {DocumentType.CC, DocumentType.TI}:
        return st.integers(100, 10**12).map(lambda n: f"{n:,}".replace(",", ".") if n % 2 else str(n))
    return st.from_regex(r"[A-Z]{0,3}[0-9]{3,9}", fullmatch=True)


documents = st.sampled_from(list(DocumentType)).flatmap(
    lambda kind: st.tuples(st.just(kind.value), _number(kind))
)


@st.composite
def roster_rows(draw: st.DrawFn) -> Row:
    kind, number = draw(documents)
    person: Row = {
        "document_type": kind,
        "document_number": number,
        "first_names": draw(st.sampled_from(_NAMES)),
        "last_names": draw(st.sampled_from(_NAMES)),
        "personal_email": draw(st.sampled_from(["", "a.b@example.com", "Maria.Pena@Hotmail.com"])),
        "mobile_phone": draw(st.sampled_from(["", "3001234567", "+57 300 123 4567"])),
    }
    if draw(st.booleans()) and draw(st.booleans()):
        return {**person, "role": "INSTRUCTOR", **_EMPTY_ENROLLMENT}
    code, name, _ = draw(st.sampled_from(PROGRAMS))
    centro = draw(st.sampled_from(CENTROS))
    start = draw(st.dates(date(2015, 1, 1), date(2035, 12, 31)))
    return {
        **person,
        "role": draw(st.sampled_from(["Aprendiz", "APRENDIZ", ""])),
        "ficha": str(draw(st.integers(1_000_000, 9_999_999))),
        "program_code": code,
        "program_name": name,
        "level": draw(st.sampled_from(["Tecnólogo", "Técnico", "Auxiliar"])),
        "centro_code": centro[0],
        "centro_name": centro[1],
        "regional_code": centro[2],
        "regional_name": centro[3],
        "modality": draw(st.sampled_from(["Presencial", "VIRTUAL", "A distancia"])),
        "status": draw(
            st.sampled_from(["En formación", "Por certificar", "RETIRO_VOLUNTARIO", "Certificado"])
        ),
        "start_date": start,
        "end_date": draw(st.dates(start, date(2040, 1, 1))),
    }


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(roster_rows(), min_size=1, max_size=12, unique_by=lambda row: person_of(row).key),
    encoding=st.sampled_from(ENCODINGS),
    delimiter=st.sampled_from([";", ","]),
    headers=st.sampled_from(["spanish", "odd", "snake"]),
    newline=st.sampled_from(["\r\n", "\n"]),
)
def test_written_rosters_read_back_as_the_same_people(
    rows: list[Row], encoding: str, delimiter: str, headers: HeaderStyle, newline: str
) -> None:
    assert all(cp1252_safe(name) for name in _NAMES)
    roster = read(csv_bytes(rows, encoding=encoding, delimiter=delimiter, headers=headers, newline=newline))
    assert roster.errors == ()
    assert roster.delimiter == delimiter
    assert roster.encoding in {DETECTED[encoding], "ascii"}
    assert_same_people(roster, rows)


# --- streaming -----------------------------------------------------------------------------


def test_iterating_a_large_roster_does_not_hold_the_file(tmp_path: Path) -> None:
    """A 10,000-row, 25 MB export: memory traced while iterating stays far below its size.

    Most rows are cheap to parse (instructors, no email) so the traced run stays fast; every
    hundredth is a full apprentice row with accents. A wide column the importer ignores
    (``Observaciones``, as real exports have) makes the file large. What is traced is bounded
    by the chunk size and by pydantic-core's string cache (~1 MB), not by the file.
    """
    header = ";".join([*SPANISH.values(), "Observaciones"])
    apprentice = csv_bytes([one_row()], encoding="cp1252").split(b"\r\n")[1].decode("cp1252")
    note = "Sin novedades en el seguimiento del proceso formativo; asiste con regularidad. " * 30
    rows = 10_000
    path = tmp_path / "big.csv"
    with path.open("w", encoding="cp1252", newline="") as file:
        file.write(header + "\r\n")
        for i in range(rows):
            if i % 100 == 0:
                file.write(apprentice.replace("1.098.765.432", str(1_000_000 + i), 1) + f';"{note}"\r\n')
            else:
                file.write(f'CC;{1_000_000 + i};ANA;RIOS;;;INSTRUCTOR{";" * 12};"{note}"\r\n')
    size = path.stat().st_size
    assert size > 24_000_000
    count = 0
    tracemalloc.start()
    try:
        with open_roster(path) as reader:
            for _ in reader:
                count += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (count, reader.errors, reader.encoding) == (rows, [], "cp1252")
    assert peak < size / 10, f"peak {peak:,} bytes while reading {size:,}"


def test_rows_share_what_they_have_in_common_without_it_leaking_between_people() -> None:
    """A big roster keeps one program, centro, regional and "fields given" set for many rows;
    changing one person's copy must not touch another's."""
    rows = fake_rows(40, seed=5, instructors=0.0)
    people = list(read(csv_bytes(rows)).people.values())
    first, second = people[0], people[1]
    assert first.person.model_fields_set is second.person.model_fields_set
    code = rows[0]["program_code"]
    same_program = [p.enrollments[0].program for p in people if p.enrollments[0].program.code == code]
    assert len(same_program) > 1
    assert all(program is same_program[0] for program in same_program)

    given = set(first.person.model_fields_set)
    renamed = first.person.model_copy(update={"first_names": "OTRO NOMBRE", "birth_date": date(2001, 2, 3)})

    assert renamed.first_names == "OTRO NOMBRE"
    assert "birth_date" in renamed.model_fields_set
    assert second.person.model_fields_set == given  # the shared set was not changed
    assert set(second.person.model_dump(exclude_unset=True)) == given
