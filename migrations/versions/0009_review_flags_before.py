"""reviews.flags_before: the card's suspended/leech flags before a rating that made it a leech, for undo

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-06 22:20:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("flags_before", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("flags_before")
