"""submissions.request_id: the request id of the POST that stored a submission, for its job's log line

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-06 18:50:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("request_id")
