"""idempotency keys in the migrations; event_dead_letters for the events this service cannot handle

Revision ID: 0003
Revises: 0001

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Before this revision the key table was created at start-up; a database that already has it keeps it.
    if not sa.inspect(op.get_bind()).has_table('idempotency_keys'):
        op.create_table('idempotency_keys',
        sa.Column('caller', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('content_type', sa.String(length=255), nullable=True),
        sa.Column('body', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('caller', 'key')
        )
    op.create_table('event_dead_letters',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('consumer', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=True),
    sa.Column('stream_seq', sa.BigInteger(), nullable=True),
    sa.Column('deliveries', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('event_dead_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_dead_letters_event_id'), ['event_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('event_dead_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_dead_letters_event_id'))

    op.drop_table('event_dead_letters')
    op.drop_table('idempotency_keys')
