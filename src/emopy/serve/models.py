"""Database tables: images (sizes only, never the upload), their faces (crops only when stored), and feedback on
faces."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Timezone-aware now, for column defaults."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of the emopy tables."""


class Image(Base):
    """One predicted image: its size and model; the uploaded bytes are never kept (feedback needs only the face
    crops)."""

    __tablename__ = "images"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    model: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    faces: Mapped[list[Face]] = relationship(
        back_populates="image", cascade="all, delete-orphan", order_by="Face.index"
    )


class Face(Base):
    """A face found in an image: box, probabilities, and the aligned crop (PNG) when stored."""

    __tablename__ = "faces"
    __table_args__ = (UniqueConstraint("image_id", "index"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[str] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    box: Mapped[list[int]] = mapped_column(JSON)
    emotions: Mapped[dict[str, float]] = mapped_column(JSON)
    crop: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    image: Mapped[Image] = relationship(back_populates="faces")
    feedback: Mapped[list[Feedback]] = relationship(back_populates="face", cascade="all, delete-orphan")


class Feedback(Base):
    """The true emotion a user gave for a face."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id", ondelete="CASCADE"), index=True)
    emotion: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    face: Mapped[Face] = relationship(back_populates="feedback")
