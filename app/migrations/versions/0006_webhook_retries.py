"""Webhook deliveries keep their state and the time of their next attempt in the database, so a
retry survives a restart and any process may send it.

Revision ID: 0006
Revises: 0005
Created: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

deliveries = sa.table("webhook_deliveries", sa.column("delivered", sa.Boolean()),
                      sa.column("state", sa.String()))


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        # Deliveries from before: delivered, or given up (their retries were in memory).
        batch_op.add_column(sa.Column("state", sa.String(length=20), nullable=False,
                                      server_default="failed"))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index("ix_webhook_deliveries_next_attempt_at", ["next_attempt_at"],
                              unique=False)
    op.execute(deliveries.update().where(deliveries.c.delivered.is_(True))
               .values(state="delivered"))
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.alter_column("state", server_default=None)
        batch_op.drop_column("delivered")


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.add_column(sa.Column("delivered", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.execute(deliveries.update().where(deliveries.c.state == "delivered")
               .values(delivered=True))
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.alter_column("delivered", server_default=None)
        batch_op.drop_index("ix_webhook_deliveries_next_attempt_at")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("state")
