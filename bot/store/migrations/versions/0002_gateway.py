"""The gateway's tables: conversations (channel address, bot/human mode) and the live chat messages.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(128), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("handoff_id", sa.String(32), nullable=True),
        sa.Column("mode_since", Timestamp, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
        sa.UniqueConstraint("channel", "address", name="uq_conversations_channel_address"),
        sa.CheckConstraint("mode IN ('bot', 'human')", name="ck_conversations_mode"),
    )
    op.create_table(
        "live_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("author", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_live_messages"),
        sa.CheckConstraint("author IN ('user', 'expert', 'system')", name="ck_live_messages_author"),
    )
    op.create_index("ix_live_messages_conversation_id", "live_messages", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_live_messages_conversation_id", table_name="live_messages")
    op.drop_table("live_messages")
    op.drop_table("conversations")
