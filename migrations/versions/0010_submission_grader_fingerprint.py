"""submissions.grader_fingerprint: the digest of the drill and grader a submission was made against, so a
worker on another bank or release refuses to grade it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 02:30:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("grader_fingerprint", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("grader_fingerprint")
