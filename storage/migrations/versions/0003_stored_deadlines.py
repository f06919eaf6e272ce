"""attempts.follow_up_due, notifications.deadline: each attempt stores the deadline it set for
the next one; a nudge stores the deadline it warns of, and is not sent once that is past

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("follow_up_due", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deadline", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("deadline")
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_column("follow_up_due")
