"""The hand-written migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.db.engine import make_engine
from app.db.migrate import current_revision, head_revision, upgrade
from app.db.models import Base


def test_upgrade_an_empty_database_to_head_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision() == "0012_retention"
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            diffs = compare_metadata(context, Base.metadata)
        assert diffs == []
        upgrade(engine)  # a second run is a no-op
        assert current_revision(engine) == "0012_retention"
    finally:
        engine.dispose()


def test_the_partial_unique_index_and_named_constraints_exist(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        inspector = inspect(engine)
        indexes = {ix["name"]: ix for ix in inspector.get_indexes("jobs")}
        one_pending = indexes["uq_jobs_one_pending"]
        assert one_pending["unique"]
        assert one_pending["column_names"] == ["person_id", "kind"]
        where = one_pending["dialect_options"].get(f"{engine.dialect.name}_where")
        assert "pending" in str(where)
        assert inspector.get_pk_constraint("jobs")["name"] == "pk_jobs"
        fks = {fk["name"] for fk in inspector.get_foreign_keys("jobs")}
        assert fks == {"fk_jobs_person_id_people"}
    finally:
        engine.dispose()
