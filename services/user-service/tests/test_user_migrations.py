"""The Alembic history of user-service builds exactly the schema of its models, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import user_service
from arrakis_common.db import schema_drift
from user_service.models import Base

MIGRATIONS = Path(user_service.__file__).parent / "migrations"


def test_migrations_match_models(database_url):
    assert schema_drift(database_url, MIGRATIONS, Base.metadata) == []
    assert schema_drift(database_url, MIGRATIONS, Base.metadata) == []  # a second run at head changes nothing


def test_a_database_whose_key_table_was_made_at_start_up_migrates_to_head(database_url):
    """Before revision 0003 the idempotency key table was created at start-up: such a database still upgrades."""
    from arrakis_common.db import make_engine, migrate
    from arrakis_common.idempotency import create_table

    migrate(database_url, MIGRATIONS, "0002")
    engine = make_engine(database_url)
    create_table(engine)
    engine.dispose()
    assert schema_drift(database_url, MIGRATIONS, Base.metadata) == []
