"""The initial schema: availability, handoffs, callbacks (drafts, slots), outcomes, feedback, events.

Written out by hand (not metadata.create_all) so that this migration stays what it was when the
models change later; tests/test_store.py checks that it matches the models.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def _conversation_id() -> sa.Column:
    return sa.Column("conversation_id", sa.String(255), nullable=False)


def upgrade() -> None:
    op.create_table(
        "expert_availability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("title", sa.String(128), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_expert_availability"),
        sa.UniqueConstraint("municipality", "role", "title",
                            name="uq_expert_availability_municipality_role_title"),
    )
    op.create_index("ix_expert_availability_municipality", "expert_availability", ["municipality"])

    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.String(32), nullable=False),
        _conversation_id(),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("screening_level", sa.String(16), nullable=True),
        sa.Column("screening_domains", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("taken_by", sa.String(64), nullable=True),
        sa.Column("taken_at", Timestamp, nullable=True),
        sa.Column("closed_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_handoff_requests"),
        sa.CheckConstraint("status IN ('waiting', 'taken', 'closed', 'cancelled', 'expired')",
                           name="ck_handoff_requests_status"),
    )
    op.create_index("ix_handoff_requests_conversation_id", "handoff_requests", ["conversation_id"])
    op.create_index("ix_handoff_requests_status", "handoff_requests", ["status"])

    op.create_table(
        "callbacks",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(6), nullable=False),
        _conversation_id(),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("slot_date", sa.Date(), nullable=False),
        sa.Column("window_start", sa.Time(), nullable=False),
        sa.Column("window_end", sa.Time(), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=True),
        sa.Column("phone_masked", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("closed_at", Timestamp, nullable=True),
        sa.Column("phone_erased_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_callbacks"),
        sa.UniqueConstraint("reference", name="uq_callbacks_reference"),
        sa.CheckConstraint("status IN ('pending', 'done', 'no_answer', 'cancelled')",
                           name="ck_callbacks_status"),
    )
    op.create_index("ix_callbacks_conversation_id", "callbacks", ["conversation_id"])
    op.create_index("ix_callbacks_status", "callbacks", ["status"])

    op.create_table(
        "callback_drafts",
        sa.Column("id", sa.String(32), nullable=False),
        _conversation_id(),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=False),
        sa.Column("phone_masked", sa.String(32), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_callback_drafts"),
    )
    op.create_index("ix_callback_drafts_conversation_id", "callback_drafts", ["conversation_id"])

    op.create_table(
        "callback_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("slot_date", sa.Date(), nullable=False),
        sa.Column("window_start", sa.Time(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_callback_slots"),
        sa.UniqueConstraint("municipality", "slot_date", "window_start",
                            name="uq_callback_slots_municipality_slot_date_window_start"),
        sa.CheckConstraint("booked >= 0", name="ck_callback_slots_booked"),
    )

    op.create_table(
        "screening_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        _conversation_id(),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_screening_outcomes"),
        sa.CheckConstraint("level IN ('informatie', 'advies', 'deskundige', 'urgent')",
                           name="ck_screening_outcomes_level"),
    )
    op.create_index("ix_screening_outcomes_conversation_id", "screening_outcomes", ["conversation_id"])

    op.create_table(
        "schemes_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        _conversation_id(),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("schemes", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schemes_outcomes"),
    )
    op.create_index("ix_schemes_outcomes_conversation_id", "schemes_outcomes", ["conversation_id"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        _conversation_id(),
        sa.Column("context", sa.String(32), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
    )
    op.create_index("ix_feedback_conversation_id", "feedback", ["conversation_id"])

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("municipality", sa.String(64), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_kind_created_at", "events", ["kind", "created_at"])


def downgrade() -> None:
    for table in ("events", "feedback", "schemes_outcomes", "screening_outcomes", "callback_slots",
                  "callback_drafts", "callbacks", "handoff_requests", "expert_availability"):
        op.drop_table(table)
