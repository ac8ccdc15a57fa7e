"""Shared fixtures: a fresh database per test, a fixed clock, a PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel

import cantine_portal.models  # noqa: F401
from cantine_portal.config import Settings
from cantine_portal.db import Database
from cantine_portal.services.demo import load_demo

# A fixed instant: Thursday 26 November 2026, 10:00 in Paris. Tests never read the wall clock.
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def now() -> datetime:
    return NOW


def settings_for(var_dir: Path, **env: str) -> Settings:
    """Settings whose files (storage, mail, secret) all live under ``var_dir``."""
    return Settings.from_env({"CANTINE_VAR_DIR": str(var_dir), "CANTINE_SECRET_KEY": "test-secret", **env})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path / "var")


@pytest.fixture
def database(tmp_path: Path) -> Database:
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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_bin() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return candidates[0].parent if candidates else None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A throw-away PostgreSQL cluster on a free loopback port, for this test session."""
    if os.environ.get("CANTINE_TEST_POSTGRES_URL"):
        yield os.environ["CANTINE_TEST_POSTGRES_URL"]
        return
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (make test installs Debian's postgresql package)")
    root = Path(tempfile.mkdtemp(prefix="cantine-pg-"))
    data = root / "data"
    port = free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
    log = root / "pg.log"
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True)
    try:
        import psycopg

        for _ in range(50):
            try:
                with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as c:
                    c.execute("CREATE DATABASE cantine_test")
                break
            except psycopg.OperationalError:
                time.sleep(0.2)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/cantine_test"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
