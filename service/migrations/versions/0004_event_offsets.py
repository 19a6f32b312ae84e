"""Event provenance: character offsets of the cited spans into the submitted text

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 16:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OFFSET_COLUMNS = (
    "source_start", "source_end", "target_start", "target_end", "event_start", "event_end",
)  # fmt: skip


def upgrade() -> None:
    """Apply this revision: events coded before it have no offsets (NULL)."""
    with op.batch_alter_table("events", schema=None) as batch_op:
        for name in OFFSET_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("events", schema=None) as batch_op:
        for name in reversed(OFFSET_COLUMNS):
            batch_op.drop_column(name)
