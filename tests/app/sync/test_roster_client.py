"""The roster pull against a Sofia Plus endpoint mocked with respx: what is sent, what is kept
from the answer, and every way it fails — always without the token."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from app.sync.roster_client import (
    XLSX_MEDIA_TYPE,
    PulledRoster,
    PullFailure,
    RosterPuller,
    RosterPullError,
)
from sofia_sync.roster import Scope, load_roster
from tests.support.roster_files import csv_bytes, fake_rows, write_xlsx

URL = "https://sofia.example/api/reportes/matriculas"
TOKEN = "sofia-roster-token-9f8e7d6c5b4a"
LIMIT = 1024 * 1024
CSV_1252 = "Número de Documento;Nombres\r\n1098765432;MARÍA JOSÉ PEÑA\r\n".encode("cp1252")
CSV_UTF8 = "Número de Documento;Nombres\r\n1098765432;MARÍA JOSÉ PEÑA\r\n".encode()


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class Sink(io.BytesIO):
    """A file that records the size of each write: the body must arrive in pieces."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[int] = []

    def write(self, data: Any, /) -> int:
        self.writes.append(len(data))
        return super().write(data)


@pytest.fixture
def sofia() -> Iterator[respx.MockRouter]:
    """Every request of the test goes to this router; only the Sofia Plus URL is routed."""
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def puller(sleeps: Sleeps) -> RosterPuller:
    return RosterPuller(URL, SecretStr(TOKEN), timeout_seconds=5, sleep=sleeps)


def pull(
    sleeps: Sleeps, scope: str = "all", *, into: io.BytesIO | None = None, limit: int = LIMIT
) -> PulledRoster:
    return puller(sleeps).pull(
        Scope.parse(scope), into if into is not None else io.BytesIO(), max_bytes=limit
    )


def failure(sleeps: Sleeps, limit: int = LIMIT) -> RosterPullError:
    with pytest.raises(RosterPullError) as caught:
        pull(sleeps, limit=limit)
    error = caught.value
    for text in (str(error), repr(error), error.en, error.es, repr(error.args)):
        assert TOKEN not in text
    assert error.__cause__ is None
    assert error.__context__ is None, "httpx errors hold the request and its Authorization header"
    return error


def csv_response(
    body: bytes = CSV_UTF8, charset: str = "utf-8", headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        200, content=body, headers={"Content-Type": f"text/csv; charset={charset}", **(headers or {})}
    )


# -- what is sent and kept -----------------------------------------------------------------


def test_the_bearer_token_and_the_scope_are_sent(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    route = sofia.get(URL).mock(return_value=csv_response())
    pull(sleeps, "centro:9229")
    [call] = route.calls
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.request.url.params["scope"] == "centro:9229"
    assert "text/csv" in call.request.headers["Accept"]
    assert sleeps.calls == []


def test_a_query_already_in_the_url_is_kept(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    route = sofia.get(url__startswith=URL).mock(return_value=csv_response())
    RosterPuller(URL + "?formato=csv", SecretStr(TOKEN), sleep=sleeps).pull(
        Scope.parse("regional:11"), io.BytesIO(), max_bytes=LIMIT
    )
    params = route.calls.last.request.url.params
    assert (params["formato"], params["scope"]) == ("csv", "regional:11")


@pytest.mark.parametrize(("body", "charset"), [(CSV_1252, "windows-1252"), (CSV_UTF8, "utf-8")])
def test_csv_bytes_pass_through_untouched(
    sofia: respx.MockRouter, sleeps: Sleeps, body: bytes, charset: str
) -> None:
    sofia.get(URL).mock(return_value=csv_response(body, charset))
    into = io.BytesIO()
    pulled = pull(sleeps, into=into)
    assert into.getvalue() == body
    assert pulled.size == len(body)
    assert pulled.media_type == "text/csv"


def test_the_body_is_streamed_into_the_file_in_pieces(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    pieces = [b"Nombres\r\n"] + [b"A" * 40_000 + b"\r\n" for _ in range(10)]
    sofia.get(URL).mock(
        return_value=httpx.Response(200, content=iter(pieces), headers={"Content-Type": "text/csv"})
    )
    into = Sink()
    pulled = pull(sleeps, into=into)
    assert into.getvalue() == b"".join(pieces)
    assert pulled.size == sum(map(len, pieces))
    assert len(into.writes) > 1
    assert max(into.writes) <= 64 * 1024, "never the whole body at once"


def test_an_xlsx_export_is_accepted_and_reads_as_the_same_roster(
    sofia: respx.MockRouter, sleeps: Sleeps
) -> None:
    buffer = io.BytesIO()
    write_xlsx(buffer, fake_rows(6, seed=3))
    sofia.get(URL).mock(
        return_value=httpx.Response(200, content=buffer.getvalue(), headers={"Content-Type": XLSX_MEDIA_TYPE})
    )
    into = io.BytesIO()
    pulled = pull(sleeps, into=into)
    assert pulled.media_type == XLSX_MEDIA_TYPE
    into.seek(0)
    assert load_roster(into).file_format == "xlsx"


def test_the_name_comes_from_content_disposition(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    sofia.get(URL).mock(
        return_value=csv_response(
            headers={"Content-Disposition": "attachment; filename*=UTF-8''matr%C3%ADculas%20enero.csv"}
        )
    )
    assert pull(sleeps).source_name == "matrículas enero.csv"


def test_a_path_in_content_disposition_is_reduced_to_its_last_segment(
    sofia: respx.MockRouter, sleeps: Sleeps
) -> None:
    sofia.get(URL).mock(
        return_value=csv_response(headers={"Content-Disposition": 'attachment; filename="../x/reporte.csv"'})
    )
    assert pull(sleeps).source_name == "reporte.csv"


def test_without_content_disposition_the_name_is_the_last_segment_of_the_url(
    sofia: respx.MockRouter, sleeps: Sleeps
) -> None:
    sofia.get(URL).mock(return_value=csv_response(headers={"Content-Disposition": "attachment"}))
    assert pull(sleeps).source_name == "matriculas"


def test_a_url_without_a_path_names_the_source_sofia_plus(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    sofia.get(url__startswith="https://sofia.example/").mock(return_value=csv_response())
    pulled = RosterPuller("https://sofia.example/", SecretStr(TOKEN), sleep=sleeps).pull(
        Scope.parse("all"), io.BytesIO(), max_bytes=LIMIT
    )
    assert pulled.source_name == "sofia-plus"


def test_last_modified_is_when_the_export_was_made(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    sofia.get(URL).mock(return_value=csv_response(headers={"Last-Modified": "Tue, 20 Jan 2026 13:15:00 GMT"}))
    exported = pull(sleeps).exported_at
    assert exported == datetime(2026, 1, 20, 13, 15, tzinfo=UTC)
    assert exported is not None
    assert exported.tzinfo is not None


@pytest.mark.parametrize("header", [{}, {"Last-Modified": "ayer por la tarde"}])
def test_without_a_usable_last_modified_the_export_time_is_unknown(
    sofia: respx.MockRouter, sleeps: Sleeps, header: dict[str, str]
) -> None:
    sofia.get(URL).mock(return_value=csv_response(headers=header))
    assert pull(sleeps).exported_at is None


def test_an_injected_client_is_used_and_left_open(sleeps: Sleeps) -> None:
    router = respx.MockRouter(assert_all_called=True)
    router.get(URL).mock(return_value=csv_response())
    with httpx.Client(transport=httpx.MockTransport(router.handler)) as client:
        RosterPuller(URL, SecretStr(TOKEN), client=client, sleep=sleeps).pull(
            Scope.parse("all"), io.BytesIO(), max_bytes=LIMIT
        )
        assert not client.is_closed
    router.assert_all_called()


# -- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token(sofia: respx.MockRouter, sleeps: Sleeps, status: int) -> None:
    route = sofia.get(URL).mock(return_value=httpx.Response(status, text=f"bad token {TOKEN}"))
    error = failure(sleeps)
    assert error.reason is PullFailure.AUTH_REFUSED
    assert error.reason.value == "token_refused"
    assert error.status == status
    assert f"refused the roster token (HTTP {status})" in error.en
    assert "rechazó el token" in error.es
    assert route.call_count == 1, "a refused token is not retried"


def test_no_roster_at_the_url(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    sofia.get(URL).mock(return_value=httpx.Response(404))
    error = failure(sleeps)
    assert (error.reason, error.status) == (PullFailure.NOT_FOUND, 404)
    assert URL in error.en
    assert "revise la URL" in error.es


def test_a_5xx_is_retried_once_after_a_pause(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    route = sofia.get(URL).mock(side_effect=[httpx.Response(500), csv_response()])
    into = io.BytesIO()
    pull(sleeps, into=into)
    assert route.call_count == 2
    assert sleeps.calls == [2.0]
    assert into.getvalue() == CSV_UTF8, "nothing of the failed answer is in the file"


def test_two_5xx_give_up(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    route = sofia.get(URL).mock(side_effect=[httpx.Response(503), httpx.Response(502)])
    error = failure(sleeps)
    assert (error.reason, error.status) == (PullFailure.UPSTREAM_STATUS, 502)
    assert "HTTP 502" in error.en
    assert "respondió HTTP 502" in error.es
    assert route.call_count == 2


@pytest.mark.parametrize("status", [302, 400, 429])
def test_other_non_2xx_are_not_retried(sofia: respx.MockRouter, sleeps: Sleeps, status: int) -> None:
    route = sofia.get(URL).mock(return_value=httpx.Response(status))
    error = failure(sleeps)
    assert (error.reason, error.status) == (PullFailure.UPSTREAM_STATUS, status)
    assert route.call_count == 1
    assert sleeps.calls == []


def test_a_connection_error_is_retried_once(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    route = sofia.get(URL).mock(side_effect=[httpx.ConnectError("Connection refused"), csv_response()])
    assert pull(sleeps).size == len(CSV_UTF8)
    assert route.call_count == 2
    assert sleeps.calls == [2.0]


def test_unreachable_after_the_retry(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    sofia.get(URL).mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    error = failure(sleeps)
    assert error.reason is PullFailure.UNREACHABLE
    assert "Connection refused" in error.en
    assert "No se pudo conectar con Sofia Plus" in error.es


def test_a_read_timeout_fails_without_retrying(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    route = sofia.get(URL).mock(side_effect=httpx.ReadTimeout("timed out"))
    error = failure(sleeps)
    assert error.reason is PullFailure.TIMEOUT
    assert "within 5 seconds" in error.en
    assert "no respondió en 5 segundos" in error.es
    assert route.call_count == 1


def test_a_connect_timeout_is_retried_and_then_unreachable(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    route = sofia.get(URL).mock(side_effect=httpx.ConnectTimeout("timed out"))
    assert failure(sleeps).reason is PullFailure.UNREACHABLE
    assert route.call_count == 2


@pytest.mark.parametrize(
    "content_type", ["text/html; charset=utf-8", "application/json", "application/octet-stream", None]
)
def test_anything_but_csv_or_xlsx_is_refused(
    sofia: respx.MockRouter, sleeps: Sleeps, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    sofia.get(URL).mock(return_value=httpx.Response(200, content=b"<html>Ingrese</html>", headers=headers))
    into = io.BytesIO()
    with pytest.raises(RosterPullError) as caught:
        pull(sleeps, into=into)
    assert caught.value.reason is PullFailure.WRONG_MEDIA_TYPE
    assert (content_type or "no media type").split(";")[0] in caught.value.en
    assert "no un reporte CSV o XLSX" in caught.value.es
    assert into.getvalue() == b""


def test_a_body_over_the_limit_stops_at_the_limit(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    pieces = [b"x" * 1000 for _ in range(10)]
    sofia.get(URL).mock(
        return_value=httpx.Response(200, content=iter(pieces), headers={"Content-Type": "text/csv"})
    )
    into = io.BytesIO()
    with pytest.raises(RosterPullError) as caught:
        pull(sleeps, into=into, limit=4500)
    assert caught.value.reason is PullFailure.TOO_LARGE
    assert "limit of 4500 bytes" in caught.value.en
    assert "supera el límite de 4500 bytes" in caught.value.es
    assert len(into.getvalue()) <= 4500


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    sofia: respx.MockRouter, sleeps: Sleeps
) -> None:
    read: list[bytes] = []

    def body() -> Iterator[bytes]:
        read.append(b"started")
        yield b"x" * 10

    sofia.get(URL).mock(
        return_value=httpx.Response(
            200, content=body(), headers={"Content-Type": "text/csv", "Content-Length": "999999"}
        )
    )
    assert failure(sleeps, limit=1000).reason is PullFailure.TOO_LARGE
    assert read == []


def test_an_empty_body_is_refused(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    sofia.get(URL).mock(return_value=csv_response(b""))
    error = failure(sleeps)
    assert error.reason is PullFailure.EMPTY
    assert "empty roster" in error.en
    assert "reporte vacío" in error.es


def test_the_token_is_in_no_repr(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    client = puller(sleeps)
    sofia.get(URL).mock(return_value=csv_response())
    pulled = client.pull(Scope.parse("all"), io.BytesIO(), max_bytes=LIMIT)
    for text in (repr(client), str(client), repr(pulled)):
        assert TOKEN not in text
    assert URL in repr(client)


def test_a_sample_roster_from_the_test_factories_round_trips(sofia: respx.MockRouter, sleeps: Sleeps) -> None:
    body = csv_bytes(fake_rows(5, seed=11), encoding="cp1252")
    sofia.get(URL).mock(return_value=csv_response(body, "windows-1252"))
    into = io.BytesIO()
    pull(sleeps, into=into)
    into.seek(0)
    roster = load_roster(into)
    assert roster.encoding == "cp1252"
    assert roster.bad_rows == 0
