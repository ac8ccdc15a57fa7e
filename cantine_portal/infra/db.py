"""Engine and session helpers.

SQLite (the embedded default) allows one writer at a time. A transaction that reads
then writes under SQLite's default deferred mode fails at once with "database is locked"
when another writer got in between, instead of waiting. ``write_session()`` therefore
opens its transaction with ``BEGIN IMMEDIATE`` on SQLite, so concurrent writers queue
on the busy timeout; on PostgreSQL it is an ordinary transaction and services take
row locks (``with_for_update``) where they need them.

Writers queue before ``BEGIN IMMEDIATE`` (``WriterLock``: a thread lock, then a lock on a file
next to the database, so the portal's worker and its write process hand the lock over at once
instead of polling SQLite's busy handler). ``Database.run_write(fn, …)`` runs a whole write
transaction, in the write process when there is one (``cantine_portal.infra.write_process``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

from cantine_portal.config import get_settings
from cantine_portal.infra import write_process as writer_process

try:  # POSIX; elsewhere writers of different processes meet SQLite's busy timeout only
    import fcntl
except ImportError:  # pragma: no cover - not on the Linux machines the portal runs on
    fcntl = None  # type: ignore[assignment]  # no fcntl on non-POSIX systems

log = logging.getLogger(__name__)
T = TypeVar("T")

WRITER_WAIT_SECONDS = 30


def sqlite_path(database_url: str) -> str | None:
    """The file of a SQLite URL (None for PostgreSQL and in-memory databases)."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split("///", 1)[-1]
    return path if path and path != ":memory:" else None


class WriterLock:
    """SQLite's writers queue here before ``BEGIN IMMEDIATE``.

    A thread lock orders the writers of one process; a lock on ``<database>-writer.lock``
    (``flock``) orders the processes (the worker and its write process, the command line).
    SQLite's own busy handler polls with sleeps of up to 100 ms, so under load the lock sat
    free while writers slept; these locks hand it over at once. Re-entrant in one thread.

    The thread lock gives up after ``timeout`` (the writer then goes on and falls back on
    SQLite's busy timeout); the file lock waits for the other process, whose transaction is
    itself bounded by that busy timeout.
    """

    def __init__(self, database_file: str | None):
        self._thread_lock = threading.RLock()
        self._file = database_file + "-writer.lock" if database_file and fcntl is not None else None
        self._fd: int | None = None
        self._fd_pid: int | None = None
        self._depth = 0
        self._owner: int | None = None

    def _descriptor(self, file: str) -> int:
        # One descriptor per process: a forked child must not share its parent's (flock is per
        # open file, so both would believe they hold the lock).
        if self._fd is None or self._fd_pid != os.getpid():
            self._fd = os.open(file, os.O_RDWR | os.O_CREAT, 0o600)
            if os.fstat(self._fd).st_uid == os.getuid():
                os.fchmod(self._fd, 0o600)  # an older installation created it with the umask's mode
            self._fd_pid = os.getpid()
        return self._fd

    def acquire(self, timeout: float = WRITER_WAIT_SECONDS) -> bool:
        if not self._thread_lock.acquire(timeout=timeout):
            return False
        self._depth += 1
        self._owner = threading.get_ident()
        if self._depth == 1 and self._file is not None:
            try:
                fcntl.flock(self._descriptor(self._file), fcntl.LOCK_EX)
            except OSError as error:  # pragma: no cover - a read-only folder: SQLite's timeout remains
                log.warning("writer lock file unavailable (%s): relying on SQLite's busy timeout", error)
        return True

    def held_here(self) -> bool:
        """This thread holds the lock (a write transaction of this thread is open)."""
        return self._depth > 0 and self._owner == threading.get_ident()

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            if self._fd is not None and self._fd_pid == os.getpid():
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                except OSError:  # pragma: no cover - not held (see acquire)
                    pass
        self._thread_lock.release()


def make_engine(database_url: str, *, immediate: bool = False, echo: bool = False) -> Engine:
    """Create an engine; on SQLite, set the pragmas we rely on (WAL, foreign keys)."""
    if database_url.startswith("sqlite"):
        path = sqlite_path(database_url)
        if path:
            from pathlib import Path

            from cantine_portal.infra.files import private_sqlite

            Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            private_sqlite(path)  # created 0600 before SQLite opens it; -wal/-shm inherit its mode
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
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:  # pragma: no cover - trivial
            # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            if path:
                # Whatever the umask of whoever created them: -wal and -shm exist once WAL is on.
                from cantine_portal.infra.files import private_file

                for suffix in ("-wal", "-shm"):
                    private_file(path + suffix)

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:  # pragma: no cover - trivial
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(database_url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """A pair of engines on one database: plain reads and queued writes.

    ``write_process=True`` (the portal's own database on SQLite, see ``get_database``) runs the
    transactions given to ``run_write`` in a helper process: SQLite has one writer at a time
    anyway, and there it holds the lock without competing for the worker's GIL.
    """

    def __init__(self, database_url: str, *, write_process: bool = False):
        self.url = database_url
        self.engine = make_engine(database_url)
        sqlite = database_url.startswith("sqlite")
        self.write_engine = make_engine(database_url, immediate=True) if sqlite else self.engine
        self._writer = WriterLock(sqlite_path(database_url)) if sqlite else None
        self.write_process = bool(write_process and sqlite_path(database_url))
        if self.write_process:
            writer_process.warm_up(self.url, _open_in_helper, self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reads (and writes that cannot conflict)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session whose transaction is committed on success, rolled back on error."""
        writer = self._writer
        locked = writer.acquire(timeout=WRITER_WAIT_SECONDS) if writer is not None else False
        try:
            with Session(self.write_engine, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            if locked and writer is not None:
                writer.release()

    def run_write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(session, *args, **kwargs)`` in one write transaction (committed unless it raises).

        With a write process, ``fn`` (a module-level function) and its arguments travel there by
        pickle and so does the result. If that process cannot be reached or dies, the transaction
        runs here instead: ``fn`` must be safe to run again after a crash (version checks,
        idempotent events), as the services given to it are.
        """
        # Inside a write transaction of this thread the helper would wait for our lock, and we for it.
        # (write_process implies SQLite, hence a writer lock.)
        if self.write_process and self._writer is not None and not self._writer.held_here():
            try:
                result: T = writer_process.run(self.url, _write_in_helper, self.url, fn, args, kwargs)
                return result
            except writer_process.Unavailable as error:
                log.warning("write process unavailable (%s): writing in this process", error)
        with self.write_session() as session:
            return fn(session, *args, **kwargs)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


# --- run by the write process (see write_process.py), on its own handle ---------------------------


def _open_in_helper(url: str) -> bool:
    """Open the database in the helper, so that the first parent does not wait for it."""
    with database_at(url).session() as session:
        session.connection()
    return True


def _write_in_helper(url: str, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """``fn`` in a write transaction of the helper's own handle (no write process of its own)."""
    with database_at(url).write_session() as session:
        return fn(session, *args, **kwargs)


@cache
def database_at(database_url: str) -> Database:
    """One plain ``Database`` per URL in this process (the helper processes' own handle)."""
    return Database(database_url)


# Tests and in-process benchmarks put their own database here (``use_database``).
_active: Database | None = None


def use_database(database: Database | None) -> None:
    """Make ``get_database()`` return ``database`` in this process (None: back to the configured one)."""
    global _active
    _active = database


def get_database() -> Database:
    """The portal's database, as configured (one per process), unless a test chose another."""
    return _active if _active is not None else _configured_database()


@lru_cache(maxsize=1)
def _configured_database() -> Database:
    settings = get_settings()
    return Database(settings.database_url, write_process=settings.write_process)
