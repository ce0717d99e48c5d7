"""Alembic history of audit-service builds exactly the schema of its models, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import audit_service
from arrakis_common.db import make_engine, migrate
from audit_service.models import Base


def test_migrations_match_models(database_url):
    migrate(database_url, Path(audit_service.__file__).parent / "migrations")
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()
