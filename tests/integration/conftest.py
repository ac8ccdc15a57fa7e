"""The integration layer's database: a fresh one per test, SQLite by default, PostgreSQL with
``CANTINE_TEST_DB=postgres`` (tests taking `database` are marked `db`; `make test` runs them on both)."""

from __future__ import annotations

import itertools
import os
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel

from cantine_portal.config import Settings
from cantine_portal.infra.db import Database
from cantine_portal.services.demo import load_demo
from tests.conftest import TEST_DB, PostgresServer

_database_numbers = itertools.count(1)


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
