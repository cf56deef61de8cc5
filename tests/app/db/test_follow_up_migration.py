"""Migration 0011 on both stores: each existing person's place for the activation report is
backfilled from their record (the enrollment that started last), and the downgrade removes it."""

from __future__ import annotations

import json

from sqlalchemy import text

from app.db.engine import make_engine
from app.db.migrate import current_revision, head_revision, upgrade
from tests.app.db.test_sender_budget_migration import migrate
from tests.support.databases import database_url

__all__ = ["database_url"]


def enrollment(ficha: str, start: str, centro: str) -> dict[str, str]:
    return {"ficha": ficha, "start_date": start, "centro_code": centro, "centro_name": f"Centro {centro}",
            "regional_code": "11", "regional_name": "Distrito Capital"}  # fmt: skip


def test_places_are_backfilled_from_the_latest_enrollment(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, "0010_first_sign_in")
        records = {
            "CC:1": {
                "enrollments": [
                    enrollment("100", "2025-02-01", "9229"),
                    enrollment("200", "2026-02-01", "9301"),
                ]
            },
            "CC:2": {"enrollments": []},
        }
        with engine.begin() as connection:
            for key, record in records.items():
                connection.execute(
                    text("INSERT INTO people (person_key, document_type, document_number, record, "
                         "account_status, created_at, updated_at) VALUES (:k, 'CC', :n, :r, 'active', "
                         "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                    {"k": key, "n": key[3:], "r": json.dumps(record)},
                )  # fmt: skip
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT person_key, ficha, centro_code, regional_name FROM people ORDER BY person_key")
            ).all()
            mark = connection.execute(text("SELECT count(*) FROM schedule_marks WHERE name = 'follow_up'"))
            assert mark.scalar_one() == 1
        assert [tuple(row) for row in rows] == [
            ("CC:1", "200", "9301", "Distrito Capital"),
            ("CC:2", None, None, None),
        ]

        migrate(engine, "0010_first_sign_in", down=True)
        with engine.connect() as connection:
            columns = connection.execute(text("SELECT * FROM people")).keys()
        assert "ficha" not in columns
    finally:
        engine.dispose()
