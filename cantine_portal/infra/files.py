"""Files under var/ are the portal user's only: 0600 files, 0700 folders (docs/security.md).

The database holds password hashes and children's health notes (PAI), the mail folder holds
links that open accounts, the storage folder families' documents. Two layers, because neither
is enough alone: the process runs with umask 077 (whatever another tool creates here, e.g.
SQLite's -wal/-shm files or alembic's first connection, is born private), and every place
that creates a file gives its mode explicitly and tightens what already exists (an older
installation's files were created 0644).
"""

from __future__ import annotations

import os
from pathlib import Path

from cantine_portal.config import Settings, private_dir

PRIVATE_UMASK = 0o077
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal", "-writer.lock")


def private_umask() -> None:
    """New files of this process (and of the helpers it starts) are readable by its user only."""
    os.umask(PRIVATE_UMASK)


def private_file(path: Path | str) -> None:
    """Tighten an existing file of ours to 0600 (missing files and other users' files are left)."""
    try:
        if os.stat(path).st_uid == os.getuid():
            os.chmod(path, 0o600)
    except FileNotFoundError:
        pass


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 from its first byte (never overwrites)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def private_sqlite(database_file: str) -> None:
    """The database file and its companions, 0600; the file is created empty if missing."""
    if not os.path.exists(database_file):
        os.close(os.open(database_file, os.O_WRONLY | os.O_CREAT, 0o600))
    for suffix in SQLITE_SUFFIXES:
        private_file(database_file + suffix)


def secure_var_tree(settings: Settings) -> None:
    """At startup: var/, mail, storage and backup folders 0700; the secret key and SQLite files 0600."""
    for folder in (
        settings.var_dir,
        settings.mail_dir,
        settings.storage_dir,
        settings.var_dir / "backup",
        settings.backup_dir,
    ):
        private_dir(folder)
    private_file(settings.var_dir / "secret_key")
    if not settings.redis_url:
        private_sqlite(str(settings.queue_path))  # the task queue's SQLite storage
    if settings.database_url.startswith("sqlite"):
        path = settings.database_url.split("///", 1)[-1]  # as infra.db.sqlite_path, without the cycle
        if path and path != ":memory:":
            private_sqlite(path)
