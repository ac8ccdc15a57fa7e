"""The integration layer's database: a fresh one per test, SQLite by default, PostgreSQL with
``CANTINE_TEST_DB=postgres`` (tests taking `database` are marked `db`; `make test` runs them on both).

Each test's database is a copy of a template built once per test process: the schema alone, or the
schema with the demo communes loaded at ``NOW`` when the test asks for ``demo_session`` (a file copy
on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL) — the same rows ``load_demo`` would write,
without writing them again for each of some 250 tests. The demo's stored files (documents, logos)
are copied into the test's own settings folder, where its rows say they are."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel

from cantine_portal.config import Settings
from cantine_portal.infra.db import Database
from cantine_portal.services.demo import load_demo
from tests.conftest import NOW, TEST_DB, PostgresServer, settings_for

_database_numbers = itertools.count(1)


def _wants_demo(request: pytest.FixtureRequest) -> bool:
    return "demo_session" in request.fixturenames and request.getfixturevalue("now") == NOW


@pytest.fixture
def database(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    demo = _wants_demo(request)
    if TEST_DB == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        template = request.getfixturevalue("postgres_demo_template" if demo else "postgres_template")
        name = f"cantine_t{os.getpid()}_{next(_database_numbers)}"
        db = Database(server.create_database(name, template))
        yield db
        db.dispose()
        server.drop_database(name)
        return
    path = tmp_path / "test.db"
    shutil.copyfile(request.getfixturevalue("sqlite_demo_template" if demo else "sqlite_template"), path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


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
    with database.write_session() as s:
        load_demo(s, now, settings)  # writes nothing when the template already holds the demo
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
