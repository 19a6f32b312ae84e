"""API keys, and the key that owns each job and export

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 18:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    # Jobs and exports made before access control belong to nobody: only admin keys see them.
    for table in ("jobs", "exports"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("owner", sa.String(length=32), nullable=True))
            batch.create_index(op.f(f"ix_{table}_owner"), ["owner"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    for table in ("jobs", "exports"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(op.f(f"ix_{table}_owner"))
            batch.drop_column("owner")
    op.drop_table("api_keys")
