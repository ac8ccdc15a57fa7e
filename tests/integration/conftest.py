"""The integration layer's database: SQLite by default, PostgreSQL with ``CANTINE_TEST_DB=postgres``,
both with ``CANTINE_TEST_DB=both`` (tests taking `database` are marked `db`; `make test` runs them on both).

Each test process has one database per backend, brought back before each test to a template built
once per process: the schema alone, or the schema with the demo communes loaded at ``NOW`` when the
test asks for ``demo_session`` or ``demo_rows`` (a file copy on SQLite; on PostgreSQL the tables
emptied and the demo's rows put back, see ``PostgresReset``) — the same rows ``load_demo`` would
write, without writing them again for each of some 400 tests. The demo's stored files (documents, logos)
are copied into the test's own settings folder, where its rows say they are."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel

from cantine_portal.config import Settings, get_settings
from cantine_portal.infra.db import Database, sqlite_path
from cantine_portal.services.demo import load_demo
from tests.conftest import NOW, PostgresServer, settings_for
from tests.integration.postgres_reset import PostgresReset


def _wants_demo(request: pytest.FixtureRequest) -> bool:
    """The test starts from the demo communes loaded at ``NOW`` (``demo_session``, or a fixture that
    asks for ``demo_rows`` before loading the demo itself, which then finds it there)."""
    names = request.fixturenames
    return ("demo_session" in names or "demo_rows" in names) and request.getfixturevalue("now") == NOW


@pytest.fixture
def database(backend: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    """This test's database: the process's own one for ``backend``, brought back to the schema (or the
    demo) first. The same ``Database`` object serves every test of the process, so that SQLAlchemy
    compiles each statement once per process rather than once per test (its statement cache belongs
    to the engine); its connections are closed between tests."""
    demo = _wants_demo(request)
    if backend == "postgres":
        reset: PostgresReset = request.getfixturevalue("postgres_reset")
        db = reset.database
        db.dispose()
        reset(demo)
    else:
        db = request.getfixturevalue("sqlite_database")
        db.dispose()
        path = Path(sqlite_path(db.url) or "")
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(request.getfixturevalue("sqlite_demo_template" if demo else "sqlite_template"), path)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def sqlite_database(template_dir: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{template_dir / 'test.db'}")
    yield db
    db.dispose()


@pytest.fixture
def demo_rows(database: Database, demo_files: Path) -> Database:
    """The test's database starts as a copy of the demo template (see `database`) and the demo's
    stored files lie where the portal's default settings look for them (``load_demo(s, NOW)``
    without settings writes them there)."""
    shutil.copytree(demo_files, get_settings().storage_dir, dirs_exist_ok=True)
    return database


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.session() as s:
        yield s


@pytest.fixture
def demo_session(
    database: Database, now: datetime, settings: Settings, request: pytest.FixtureRequest
) -> Iterator[Session]:
    """A session on a database holding the demo communes (their stored files under ``settings``)."""
    if now == NOW:  # the database is a copy of the demo template: its files join it
        shutil.copytree(request.getfixturevalue("demo_files"), settings.storage_dir, dirs_exist_ok=True)
    else:  # no template for another instant: load the demo for this one
        with database.write_session() as s:
            load_demo(s, now, settings)
    with database.session() as s:
        yield s


# --- the templates, built once per test process ---------------------------------------------------


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("templates")


@pytest.fixture(scope="session")
def demo_settings(template_dir: Path) -> Settings:
    return settings_for(template_dir / "demo-var")


@pytest.fixture(scope="session")
def demo_files(demo_settings: Settings) -> Path:
    """The stored files the demo template's rows point at (built with it)."""
    return demo_settings.storage_dir


def _load_demo_into(db: Database, settings: Settings) -> None:
    with db.write_session() as s:
        load_demo(s, NOW, settings)
    db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(template_dir: Path) -> Path:
    path = template_dir / "schema.db"
    db = Database(f"sqlite:///{path}")
    SQLModel.metadata.create_all(db.engine)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def sqlite_demo_template(template_dir: Path, sqlite_template: Path, demo_settings: Settings) -> Path:
    path = template_dir / "demo.db"
    shutil.copyfile(sqlite_template, path)
    _load_demo_into(Database(f"sqlite:///{path}"), demo_settings)
    return path


@pytest.fixture(scope="session")
def postgres_demo_template(postgres_server: PostgresServer, postgres_template: str, demo_settings: Settings) -> str:
    name = "cantine_demo_template"
    _load_demo_into(Database(postgres_server.create_database(name, postgres_template)), demo_settings)
    return name


@pytest.fixture(scope="session")
def postgres_reset(postgres_server: PostgresServer, postgres_demo_template: str) -> PostgresReset:
    reset = PostgresReset(postgres_server, postgres_demo_template, f"cantine_w{os.getpid()}")
    reset.seed()
    return reset
