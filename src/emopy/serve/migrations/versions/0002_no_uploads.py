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
    # A plain ALTER TABLE (SQLite >= 3.35), not a batch copy: dropping and recreating `images` while
    # foreign keys are on would cascade-delete every face and its feedback.
    op.drop_column("images", "data")


def downgrade() -> None:
    op.add_column("images", sa.Column("data", sa.LargeBinary, nullable=True))
