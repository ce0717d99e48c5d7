from arrakis_common.db import run_alembic_env
from event_gateway.models import Base

run_alembic_env(Base.metadata)
