"""Every password the service generated during a busy run — creations, failed sends, resends —
is absent from everything it logged and from every row of its database."""

from __future__ import annotations

import io
import json

import pytest
from pydantic import SecretStr
from sqlalchemy import MetaData, select

import app.accounts.reconcile
import app.credentials.delivery
from app.credentials.passwords import generate_password
from app.logging_setup import configure_logging
from tests.support.harness import SECRET, Harness, enrollment
from tests.support.log_leaks import lines_naming


@pytest.fixture
def generated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Spy on the generator (the real one still runs) to know which passwords existed."""
    seen: list[str] = []

    def spy() -> SecretStr:
        password = generate_password()
        seen.append(password.get_secret_value())
        return password

    monkeypatch.setattr(app.accounts.reconcile, "generate_password", spy)
    monkeypatch.setattr(app.credentials.delivery, "generate_password", spy)
    return seen


def test_no_password_or_secret_reaches_logs_or_database(harness: Harness, generated: list[str]) -> None:
    logs = io.StringIO()
    configure_logging("DEBUG", stream=logs)
    harness.emulator.set_faults(
        [
            {
                "method": "gmail.users.messages.send",
                "status": 400,
                "reason": "invalidArgument",
                "times": 2,
            }
        ]
    )
    for n in range(5):
        harness.post(enrollment(f"10{n}0000{n}", document_type="CC", email_address=f"p{n}@example.com"))
    harness.post(enrollment("777", document_type="CC", email_address=None))
    harness.drain()
    configure_logging()

    assert len(generated) >= 7  # 6 creations + fresh passwords after the failed sends
    logged = logs.getvalue()
    assert "account_created" in logged
    with harness.services.engine.connect() as connection:
        metadata = MetaData()
        metadata.reflect(connection)
        dump = json.dumps(
            [[list(row) for row in connection.execute(select(table))] for table in metadata.sorted_tables],
            default=str,
        )
    for password in generated:
        assert password not in logged
        assert password not in dump
    assert SECRET not in logged
    assert lines_naming(logged, "10000000") == []  # full document numbers are masked in logs


def test_a_request_id_that_holds_the_digits_is_not_a_logged_document() -> None:
    """CI once failed here: a request id's random prefix ended in ``1`` and its zero-padded
    counter followed, so ``10000000`` sat inside the id while no document was logged."""
    request_id = '{"request_id": "e553538fae58aa4c0001000000000bdb"}'
    assert "10000000" in request_id
    assert lines_naming(request_id, "10000000") == []
    for leak in ('{"person": "CC:10000000"}', "10000000@misena.edu.co", "documento 10000000."):
        assert lines_naming(leak, "10000000") == [leak]
