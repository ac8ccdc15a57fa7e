"""Shared fixtures: a fresh database per test, a fixed clock, a PostgreSQL server."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel

import cantine_portal.models  # noqa: F401
from bench import local_stack
from cantine_portal.config import Settings
from cantine_portal.infra.db import Database
from cantine_portal.services.demo import load_demo

# A fixed instant: Thursday 26 November 2026, 10:00 in Paris. Tests never read the wall clock.
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture(autouse=True)
def immediate_queue():
    """Unit tests run queued jobs at once, in the test's process (huey's immediate mode): a use case
    that queues an e-mail has sent it when it returns. tests/unit/test_task_queue.py runs real
    consumers instead."""
    from cantine_portal.infra import queue
    from cantine_portal.usecases import tasks  # noqa: F401 - registers the job runner

    queue.use_queue(queue.TaskQueue(queue.build_huey(Settings.from_env({"CANTINE_SECRET_KEY": "immediate"}), immediate=True)))
    yield
    queue.use_queue(None)


def settings_for(var_dir: Path, **env: str) -> Settings:
    """Settings whose files (storage, mail, secret) all live under ``var_dir``."""
    return Settings.from_env({"CANTINE_VAR_DIR": str(var_dir), "CANTINE_SECRET_KEY": "test-secret", **env})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path / "var")


# CANTINE_TEST_DB=postgres runs every test that takes the `database` fixture on PostgreSQL
# (a fresh database per test, copied from a template); `make test` does both.
TEST_DB = os.environ.get("CANTINE_TEST_DB", "sqlite").lower()
_database_numbers = itertools.count(1)


def pytest_collection_modifyitems(items):
    for item in items:
        if "database" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture
def database(tmp_path: Path, request) -> Database:
    if TEST_DB == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        template = request.getfixturevalue("postgres_template")
        name = f"cantine_t{os.getpid()}_{next(_database_numbers)}"
        db = Database(server.create_database(name, template))
        yield db
        db.dispose()
        server.drop_database(name)
        return
    db = Database(f"sqlite:///{tmp_path / 'test.db'}")
    SQLModel.metadata.create_all(db.engine)
    yield db
    db.dispose()


@pytest.fixture
def session(database: Database) -> Session:
    with database.session() as s:
        yield s


@pytest.fixture
def demo_session(database: Database, now: datetime, settings: Settings) -> Session:
    """A session on a database holding the demo communes (their PDFs under ``settings``)."""
    with database.write_session() as s:
        load_demo(s, now, settings)
    with database.session() as s:
        yield s


def free_port() -> int:
    return local_stack.free_port()


class PostgresServer:
    """The session's PostgreSQL: create databases (from a template) on it, stop/start it."""

    def __init__(self, admin_dsn: str, url_prefix: str, handle: local_stack.Postgres | None = None):
        self.admin_dsn = admin_dsn
        self.url_prefix = url_prefix
        self.handle = handle

    def create_database(self, name: str, template: str | None = None) -> str:
        import psycopg

        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url_prefix + name

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.handle is None:
            pytest.skip("CANTINE_TEST_POSTGRES_URL points at a server this session did not start")
        self.handle.stop()

    def start(self) -> None:
        assert self.handle is not None
        self.handle.start()


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """A throw-away PostgreSQL cluster on a free loopback port, for this test session.

    ``CANTINE_TEST_POSTGRES_URL`` (a superuser URL) points the tests at an existing server instead.
    """
    if os.environ.get("CANTINE_TEST_POSTGRES_URL"):
        from sqlalchemy.engine import make_url

        url = make_url(os.environ["CANTINE_TEST_POSTGRES_URL"])
        admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        yield PostgresServer(admin, url.set(database="").render_as_string(hide_password=False).rstrip("/") + "/")
        return
    if local_stack.postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed (make test installs Debian's postgresql package)")
    root = Path(tempfile.mkdtemp(prefix="cantine-pg-"))
    pg = local_stack.start_postgres(root)
    try:
        yield PostgresServer(f"host=127.0.0.1 port={pg.port} user=postgres dbname=postgres",
                             f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/", pg)
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """An empty database of the session's PostgreSQL (tests reset its schema themselves)."""
    return postgres_server.create_database("cantine_test")


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """A database holding the schema, created once; each test copies it (CREATE DATABASE … TEMPLATE)."""
    url = postgres_server.create_database("cantine_template")
    db = Database(url)
    SQLModel.metadata.create_all(db.engine)
    db.dispose()
    return "cantine_template"
