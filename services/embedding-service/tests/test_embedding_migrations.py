"""The Alembic history builds exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import embedding_service
from arrakis_common.db import make_engine, migrate
from embedding_service.models import Base

MIGRATIONS = Path(embedding_service.__file__).parent / "migrations"


def test_migrations_match_models(database_url):
    migrate(database_url, MIGRATIONS)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert diff == []
    assert {"collections", "items", "event_outbox", "event_inbox"} <= tables
