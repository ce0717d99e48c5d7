"""data-kernel-service's Alembic history builds exactly the schema its models declare, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import data_kernel_service
from arrakis_common.db import make_engine, migrate
from data_kernel_service.models import Base


def test_migrations_match_models(database_url):
    migrate(database_url, Path(data_kernel_service.__file__).parent / "migrations")
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
