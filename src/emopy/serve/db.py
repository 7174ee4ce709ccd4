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
BUSY_TIMEOUT_MS = 10_000  # how long a statement waits for a lock held by another connection or worker
CHECKPOINT_TRIES = 3  # a WAL checkpoint blocked by readers is tried this often, each waiting CHECKPOINT_WAIT_MS
CHECKPOINT_WAIT_MS = 1_000


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """WAL for concurrent readers and writers; FULL sync so an acknowledged write survives a crash; deleted bytes
    zeroed."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
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


def checkpoint(engine: Engine) -> bool:
    """Copy SQLite's write-ahead log into the database file and truncate it, so deleted bytes leave the WAL now.

    False when readers on an older snapshot kept it from finishing through every try: the log still holds what they
    may read (deleted bytes included). Other databases: True (PostgreSQL's dead rows wait for VACUUM instead).
    """
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")  # TRUNCATE waits for readers this long
        try:
            for _ in range(CHECKPOINT_TRIES):
                busy, _frames, _copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
                if not busy:
                    return True
            return False
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


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
