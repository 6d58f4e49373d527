"""The expert console (accounts, sessions, login attempts, phone views); events.topic, feedback.municipality.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "expert_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("expert_role", sa.String(64), nullable=True),
        sa.Column("title", sa.String(128), nullable=True),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_expert_accounts"),
        sa.UniqueConstraint("username", name="uq_expert_accounts_username"),
        sa.CheckConstraint("role IN ('expert', 'coordinator')", name="ck_expert_accounts_role"),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_seen", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_console_sessions_token_hash"),
        sa.ForeignKeyConstraint(["account_id"], ["expert_accounts.id"], ondelete="CASCADE",
                                name="fk_console_sessions_account_id_expert_accounts"),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_attempts"),
    )
    op.create_index("ix_login_attempts_key", "login_attempts", ["key"])
    op.create_table(
        "phone_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("callback_id", sa.String(32), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("viewed_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_phone_views"),
    )
    op.create_index("ix_phone_views_callback_id", "phone_views", ["callback_id"])
    # Nullable columns: SQLite adds them in place, no table copy needed.
    op.add_column("events", sa.Column("topic", sa.String(64), nullable=True))
    op.add_column("feedback", sa.Column("municipality", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("municipality")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("topic")
    op.drop_index("ix_phone_views_callback_id", table_name="phone_views")
    op.drop_table("phone_views")
    op.drop_index("ix_login_attempts_key", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_table("console_sessions")
    op.drop_table("expert_accounts")
