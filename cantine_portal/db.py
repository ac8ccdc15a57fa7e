"""Engine and session helpers.

SQLite (the embedded default) allows one writer at a time. A transaction that reads
then writes under SQLite's default deferred mode fails at once with "database is locked"
when another writer got in between, instead of waiting. ``write_session()`` therefore
opens its transaction with ``BEGIN IMMEDIATE`` on SQLite, so concurrent writers queue
on the busy timeout; on PostgreSQL it is an ordinary transaction and services take
row locks (``with_for_update``) where they need them.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from cantine_portal.config import get_settings

WRITER_WAIT_SECONDS = 30


def make_engine(database_url: str, *, immediate: bool = False, echo: bool = False) -> Engine:
    """Create an engine; on SQLite, set the pragmas we rely on (WAL, foreign keys)."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            database_url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            # One connection per thread that may hold one at once (the handlers' pool, the API's
            # threads): a request never waits for a pooled SQLite connection, only for the lock.
            pool_size=20,
            max_overflow=60,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):  # pragma: no cover - trivial
            # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):  # pragma: no cover - trivial
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(database_url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """A pair of engines on one database: plain reads and queued writes."""

    def __init__(self, database_url: str):
        self.url = database_url
        self.engine = make_engine(database_url)
        sqlite = database_url.startswith("sqlite")
        self.write_engine = make_engine(database_url, immediate=True) if sqlite else self.engine
        # SQLite: the writers of this process queue here before BEGIN IMMEDIATE. SQLite's own busy
        # handler polls with sleeps of up to 100 ms, so under load the lock sat free while writers
        # slept; a process lock hands it over at once. Other processes (migrations, the command
        # line) still meet the busy timeout. After WRITER_WAIT_SECONDS a writer goes on without
        # it and falls back on that timeout rather than waiting forever.
        self._writer = threading.RLock() if sqlite else None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reads (and writes that cannot conflict)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session whose transaction is committed on success, rolled back on error."""
        locked = self._writer.acquire(timeout=WRITER_WAIT_SECONDS) if self._writer else False
        try:
            with Session(self.write_engine, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            if locked:
                self._writer.release()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


@lru_cache(maxsize=1)
def get_database() -> Database:
    return Database(get_settings().database_url)
