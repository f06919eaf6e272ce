"""notifications.generation and lease_until: one re-armed card row per assignment; claims that
lapse soon while queued and late once sending

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 23:34:39.041717
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("generation", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("lease_until", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("generation")
