"""notifications.generation: a lead's card is one outbox row per assignment, re-armed on change

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 23:34:39.041717
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("generation", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("generation")
