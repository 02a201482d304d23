"""card reports, and a content version on cards

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-06 17:45:00

"""

from alembic import op
import sqlalchemy as sa

import quizapp.models  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_version", sa.String(length=16), nullable=True))

    op.create_table(
        "card_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("card_slug", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("card_version", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", quizapp.models.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", quizapp.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["card_slug"], ["cards.slug"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("card_reports", schema=None) as batch_op:
        batch_op.create_index("ix_card_reports_card_user", ["card_slug", "user_id"], unique=False)
        batch_op.create_index("ix_card_reports_status_created", ["status", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("card_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_card_reports_status_created")
        batch_op.drop_index("ix_card_reports_card_user")

    op.drop_table("card_reports")

    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_column("content_version")
