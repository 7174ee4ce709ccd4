"""Initial tables: images, faces, feedback.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=True),
    )
    op.create_index("ix_images_created_at", "images", ["created_at"])
    op.create_table(
        "faces",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("image_id", sa.String(32), sa.ForeignKey("images.id", ondelete="CASCADE"), nullable=False),
        sa.Column("index", sa.Integer, nullable=False),
        sa.Column("box", sa.JSON, nullable=False),
        sa.Column("emotions", sa.JSON, nullable=False),
        sa.Column("crop", sa.LargeBinary, nullable=True),
        sa.UniqueConstraint("image_id", "index"),
    )
    op.create_index("ix_faces_image_id", "faces", ["image_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("face_id", sa.Integer, sa.ForeignKey("faces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("emotion", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_feedback_face_id", "feedback", ["face_id"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("faces")
    op.drop_table("images")
