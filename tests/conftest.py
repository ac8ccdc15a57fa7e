"""Shared fixtures: a fixed clock, settings under tmp_path, a PostgreSQL server; test layers.

Three layers, by directory (each test gets the marker of its layer):
  tests/unit         no database, no child process, no socket; files only under tmp_path (`make test-fast`)
  tests/integration  SQLite files and PostgreSQL, helper processes, SMTP, HTTP routes (tests/integration/conftest.py
                     holds the `database` fixtures)
  tests/browser      the real portal in headless Chromium
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import SQLModel

import cantine_portal.models  # noqa: F401  (registers the tables)
from bench import local_stack
from cantine_portal.config import Settings
from cantine_portal.infra.db import Database


def pytest_configure(config: pytest.Config) -> None:
    """The test session's environment, before any test module is imported (set here rather than at import,
    because bench/ scripts import tests/browser/conftest.py and must run like production).

    argon2id at its cheapest for the whole session and for the portals the browser tests start, which
    inherit the environment (tests/unit/test_hashing.py holds production to the real parameters); and
    whatever a test writes through the portal's default settings (get_settings()) lands in a throw-away
    folder of this process, never in the checkout's var/.
    """
    os.environ.setdefault("CANTINE_TEST_CHEAP_HASH", "1")
    os.environ["CANTINE_VAR_DIR"] = tempfile.mkdtemp(prefix="cantine-test-var-")


def pytest_unconfigure(config: pytest.Config) -> None:
    var_dir = os.environ.pop("CANTINE_VAR_DIR", None)
    if var_dir:
        shutil.rmtree(var_dir, ignore_errors=True)


# A fixed instant: Thursday 26 November 2026, 10:00 in Paris. Tests never read the wall clock.
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


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

    queue.use_queue(
        queue.TaskQueue(queue.build_huey(Settings.from_env({"CANTINE_SECRET_KEY": "immediate"}), immediate=True))
    )
    yield
    queue.use_queue(None)


def settings_for(var_dir: Path, **env: str) -> Settings:
    """Settings whose files (storage, mail, secret) all live under ``var_dir``."""
    return Settings.from_env({"CANTINE_VAR_DIR": str(var_dir), "CANTINE_SECRET_KEY": "test-secret", **env})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path / "var")


# CANTINE_TEST_DB=postgres runs every test that takes the `database` fixture (tests/integration/conftest.py)
# on PostgreSQL; CANTINE_TEST_DB=both runs each of them twice, on SQLite and on PostgreSQL, in the same
# session (`make test`: one pytest-xdist run shares its workers between the two).
TEST_DB = os.environ.get("CANTINE_TEST_DB", "sqlite").lower()
BACKENDS = ("sqlite", "postgres") if TEST_DB == "both" else (TEST_DB,)
LAYERS = ("unit", "integration", "browser")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """With CANTINE_TEST_DB=both, a database test runs once per backend (ids ``[sqlite]``, ``[postgres]``)."""
    if "backend" in metafunc.fixturenames and len(BACKENDS) > 1:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database engine this test runs on (``sqlite`` or ``postgres``; see TEST_DB)."""
    return getattr(request, "param", BACKENDS[0])


# How pytest-xdist shares the unit and integration layers between its workers (``make test``
# runs them with ``--dist loadgroup``): the books' property test, the longest, gets a worker from
# the start; the other tests are handed out one by one, in this order, to whichever worker is free:
# first the modules whose tests wait on the processes they start (consumers, helpers, a server)
# or on a barrier's timeout, which take longest on a busy machine; the run then ends on short
# database tests that keep both workers busy (docs/performance.md, "fourth pass").
WAITING_MODULES = (
    "test_task_queue.py",
    "test_write_process.py",
    "test_pdf_process.py",
    "test_serve.py",
    "test_payment_safety.py",
    "test_retry_postgres.py",
    "test_credit_race.py",
    "test_rollcall_billing.py",
)
BOOKS_TEST = "test_the_books_balance_whatever_happens"


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.name not in WAITING_MODULES)
    for item in items:
        if getattr(item, "originalname", "") == BOOKS_TEST:
            item.add_marker(pytest.mark.xdist_group("books"))
        layer = next((part for part in Path(str(item.fspath)).parts[-3:-1] if part in LAYERS), None)
        if layer is not None:
            item.add_marker(getattr(pytest.mark, layer))
        if "database" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


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
            copy = ""
            if template:
                # PostgreSQL 15+ copies a template block by block through the WAL by default; the
                # tests' small templates copy 4-5 times faster as files (one copy per test).
                copy = f' TEMPLATE "{template}"' + (" STRATEGY FILE_COPY" if conn.info.server_version >= 150000 else "")
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
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
        yield PostgresServer(
            f"host=127.0.0.1 port={pg.port} user=postgres dbname=postgres",
            f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/",
            pg,
        )
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
