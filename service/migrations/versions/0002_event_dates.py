"""Event dates: their precision, the words they came from, and their source

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 14:24:22.273289
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("date_precision", sa.String(length=8), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("date_text", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("date_source", sa.String(length=12), server_default="", nullable=False)
        )
    # Events coded before this revision were all dated by their article's publication.
    op.execute(
        "UPDATE events SET date_precision = 'day', date_source = 'publication' WHERE date <> ''"
    )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("date_source")
        batch_op.drop_column("date_text")
        batch_op.drop_column("date_precision")
