"""daily plan settings: minutes per day, new-card order, known topics

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-06 17:50:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # Server defaults fill the rows of existing accounts; the models set the same values for new ones.
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("minutes_per_day", sa.Integer(), nullable=False, server_default="30"))
        batch.add_column(sa.Column("new_card_order", sa.String(length=16), nullable=False, server_default="mixed"))
        batch.add_column(sa.Column("known_topics", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("known_topics")
        batch.drop_column("new_card_order")
        batch.drop_column("minutes_per_day")
