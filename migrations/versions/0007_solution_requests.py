"""solution requests: who asked to see a drill's reference solution after failing it

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-06 18:50:00

"""

from alembic import op
import sqlalchemy as sa

import quizapp.models  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "solution_requests",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("drill_slug", sa.String(length=64), nullable=False),
        sa.Column("asked_at", quizapp.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["drill_slug"], ["drills.slug"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "drill_slug"),
    )


def downgrade():
    op.drop_table("solution_requests")
