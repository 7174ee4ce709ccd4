"""Stop keeping uploaded images: drop images.data (feedback needs only the face crops, which stay).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.drop_column("data")


def downgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("data", sa.LargeBinary, nullable=True))
