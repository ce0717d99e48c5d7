from arrakis_common.db import run_alembic_env
from ontology_management_service.models import Base

run_alembic_env(Base.metadata)
