"""The Alembic history of audit-service builds exactly the schema of its models, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import audit_service
from arrakis_common.db import schema_drift
from audit_service.models import Base

MIGRATIONS = Path(audit_service.__file__).parent / "migrations"


def test_migrations_match_models(database_url):
    assert schema_drift(database_url, MIGRATIONS, Base.metadata) == []
    assert schema_drift(database_url, MIGRATIONS, Base.metadata) == []  # a second run at head changes nothing
