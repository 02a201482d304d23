"""mock interviews: timed sessions of cards and one drill, their questions, the length setting

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-06 18:40:00

"""

from alembic import op
import sqlalchemy as sa

import quizapp.models  # noqa: F401  (custom column types such as UTCDateTime)


revision = "0006"
# Written against 0004 on its branch; the lead re-chains it after 0005 when merging.
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("interview_minutes", sa.Integer(), nullable=False, server_default="30"))
    op.create_table(
        "mock_interviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("started_at", quizapp.models.UTCDateTime(), nullable=False),
        sa.Column("ends_at", quizapp.models.UTCDateTime(), nullable=False),
        sa.Column("finished_at", quizapp.models.UTCDateTime(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("drill_slug", sa.String(length=64), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["drill_slug"], ["drills.slug"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mock_interviews_user_started", "mock_interviews", ["user_id", "started_at"])
    op.create_index(
        "uq_mock_interviews_one_running",
        "mock_interviews",
        ["user_id"],
        unique=True,
        sqlite_where=sa.text("finished_at IS NULL"),
        postgresql_where=sa.text("finished_at IS NULL"),
    )
    op.create_table(
        "mock_interview_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("card_slug", sa.String(length=100), nullable=False),
        sa.Column("typed", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.Column("answered_at", quizapp.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["interview_id"], ["mock_interviews.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["card_slug"], ["cards.slug"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("interview_id", "number", name="uq_mock_question_number"),
    )


def downgrade():
    op.drop_table("mock_interview_questions")
    op.drop_index("uq_mock_interviews_one_running", table_name="mock_interviews")
    op.drop_index("ix_mock_interviews_user_started", table_name="mock_interviews")
    op.drop_table("mock_interviews")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("interview_minutes")
