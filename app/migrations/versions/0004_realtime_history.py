"""Real-time endpoints' deployment history and their request log (per time bucket); a
promotion decision says whether it rolled back.

Revision ID: 0004
Revises: 0003
Created: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "realtime_deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.String(length=32), nullable=False),
        sa.Column("deployment", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("model_name", sa.String(length=64), nullable=True),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("pipeline_id", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("deployed_by", sa.String(length=200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["endpoint_id"], ["realtime_endpoints.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("realtime_deployments") as batch_op:
        batch_op.create_index("ix_realtime_deployments_endpoint_id", ["endpoint_id"],
                              unique=False)
    op.create_table(
        "realtime_request_buckets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.String(length=32), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("histogram", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["endpoint_id"], ["realtime_endpoints.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("endpoint_id", "start"),
    )
    with op.batch_alter_table("realtime_request_buckets") as batch_op:
        batch_op.create_index("ix_realtime_request_buckets_start", ["start"], unique=False)
    with op.batch_alter_table("promotion_decisions") as batch_op:
        batch_op.add_column(sa.Column("rolled_back", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("promotion_decisions") as batch_op:
        batch_op.drop_column("rolled_back")
    op.drop_table("realtime_request_buckets")
    op.drop_table("realtime_deployments")
