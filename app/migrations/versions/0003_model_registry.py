"""Model registry (models and versions with lineage), real-time endpoints, promotions.

Revision ID: 0003
Revises: 0002
Created: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("artifact_key", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("pipeline_id", sa.String(length=32), nullable=True),
        sa.Column("endpoint_name", sa.String(length=64), nullable=True),
        sa.Column("endpoint_version", sa.Integer(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("task", sa.String(length=20), nullable=False),
        sa.Column("label_column", sa.String(length=200), nullable=False),
        sa.Column("feature_columns", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("registered_by", sa.String(length=200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["registered_models.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("model_id", "version"),
    )
    with op.batch_alter_table("model_versions") as batch_op:
        batch_op.create_index("ix_model_versions_model_id", ["model_id"], unique=False)
        batch_op.create_index("ix_model_versions_run_id", ["run_id"], unique=False)
    op.create_table(
        "realtime_endpoints",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("pipeline_id", sa.String(length=32), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("input_schema", sa.JSON(), nullable=False),
        sa.Column("example", sa.JSON(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=True),
        sa.Column("deployment", sa.Integer(), nullable=False),
        sa.Column("pipeline_endpoint_id", sa.String(length=32), nullable=True),
        sa.Column("auto_metric", sa.String(length=40), nullable=True),
        sa.Column("auto_margin", sa.Float(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["model_version_id"], ["model_versions.id"],
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["pipeline_id"], ["pipelines.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["pipeline_endpoint_id"], ["pipeline_endpoints.id"],
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "promotion_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.String(length=32), nullable=False),
        sa.Column("champion", sa.String(length=100), nullable=False),
        sa.Column("challenger", sa.String(length=100), nullable=False),
        sa.Column("promoted", sa.Boolean(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("comparison", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["endpoint_id"], ["realtime_endpoints.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("promotion_decisions") as batch_op:
        batch_op.create_index("ix_promotion_decisions_endpoint_id", ["endpoint_id"],
                              unique=False)
        batch_op.create_index("ix_promotion_decisions_created", ["created"], unique=False)


def downgrade() -> None:
    op.drop_table("promotion_decisions")
    op.drop_table("realtime_endpoints")
    op.drop_table("model_versions")
    op.drop_table("registered_models")
