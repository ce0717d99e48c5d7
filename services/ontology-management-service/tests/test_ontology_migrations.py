"""The Alembic history builds exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

import ontology_management_service
from arrakis_common.db import make_engine, schema_drift
from ontology_management_service.models import Base

MIGRATIONS = Path(ontology_management_service.__file__).parent / "migrations"


def test_migrations_match_models(database_url):
    assert schema_drift(database_url, MIGRATIONS, Base.metadata) == []
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"object_types", "object_type_versions", "link_types", "objects", "links", "object_property_values",
            "event_outbox", "event_inbox"} <= tables
