"""Engine, sessions and migrations; SQLite runs in WAL mode with a busy timeout so several workers can share it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from fastapi import Request
from sqlalchemy import Engine, create_engine, event, make_url, select, update
from sqlalchemy.orm import Session, sessionmaker

from .models import Face, Image

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """WAL for concurrent readers and writers; FULL sync so an acknowledged write survives a crash; deleted bytes
    zeroed."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get the WAL pragmas and a parent folder, postgresql:// uses psycopg 3."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        if engine.url.database and engine.url.database != ":memory:":
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    parsed = make_url(url)
    if parsed.drivername in (
        "postgresql",
        "postgres",
    ):  # the driver we ship (psycopg 3), not SQLAlchemy's psycopg2 default
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision shipped in the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def checkpoint(engine: Engine) -> None:
    """Copy SQLite's write-ahead log into the database file and truncate it, so deleted bytes leave the WAL now."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def purge_expired(engine: Engine, days: float | None) -> int:
    """Drop the face crops of images stored more than `days` ago; returns how many images had crops."""
    if days is None:
        return 0
    cutoff = datetime.now(UTC) - timedelta(days=days)
    with Session(engine) as s, s.begin():
        old = select(Face.image_id).join(Image).where(Image.created_at < cutoff, Face.crop.is_not(None)).distinct()
        ids = list(s.scalars(old))
        if ids:
            s.execute(update(Face).where(Face.image_id.in_(ids)).values(crop=None))
    if ids:
        checkpoint(engine)
    return len(ids)


def get_session(request: Request) -> Iterator[Session]:
    """A session per request, from the engine the app opened at startup."""
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session:
        yield session
