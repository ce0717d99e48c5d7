from arrakis_common.db import run_alembic_env
from embedding_service.models import Base

run_alembic_env(Base.metadata)
