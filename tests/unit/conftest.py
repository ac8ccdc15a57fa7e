"""The unit layer does no I/O beyond files under tmp_path: no database, no child process, no socket.

Guarded rather than trusted, so that `make test-fast` stays fast: such a call fails the test with a
message saying where the test belongs (tests/integration).
"""

from __future__ import annotations

import multiprocessing.process
import socket
import sqlite3
import subprocess

import pytest

MOVE = "the unit layer does no I/O: put this test under tests/integration"


def _refuse(what: str):
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{what}: {MOVE}")

    return refuse


@pytest.fixture(autouse=True)
def _no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _refuse("network connection"))
    monkeypatch.setattr(socket, "create_connection", _refuse("network connection"))
    monkeypatch.setattr(sqlite3, "connect", _refuse("SQLite database"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("child process"))
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", _refuse("child process"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/unit/" in str(item.fspath) and any(name.startswith("postgres") for name in item.fixturenames):
            raise pytest.UsageError(f"{item.nodeid} asks for PostgreSQL: {MOVE}")
