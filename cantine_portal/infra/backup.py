"""Online backups of the SQLite database (the sqlite3 backup API) and their restore.

The backup API copies a consistent snapshot while the portal keeps serving (readers and the
writer go on; pages changed meanwhile are copied again). Files are ``cantine-YYYYMMDD-HHMM.db``
under ``var/backups/`` (folder 0700, files 0600: they hold every family's data), kept
``keep_days`` days. PostgreSQL deployments back up with their own tools (docs/deploy.md).
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

PREFIX = "cantine-"


def _private_dir(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)


def backup_sqlite(database_file: Path, backup_dir: Path, now: datetime) -> Path:
    """Copy ``database_file`` into ``backup_dir`` (an online, consistent copy); returns its path."""
    _private_dir(backup_dir)
    target = backup_dir / f"{PREFIX}{now.strftime('%Y%m%d-%H%M')}.db"
    partial = target.with_suffix(".partial")
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
    source = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    partial.chmod(0o600)
    partial.replace(target)  # a backup is either whole or absent
    return target


def prune_backups(backup_dir: Path, now: datetime, keep_days: int) -> list[Path]:
    """Delete backups older than ``keep_days`` (by the time in their name); returns what was removed."""
    removed = []
    limit = now - timedelta(days=keep_days)
    for path in sorted(backup_dir.glob(f"{PREFIX}*.db")):
        try:
            taken = datetime.strptime(path.stem[len(PREFIX) :], "%Y%m%d-%H%M").replace(tzinfo=now.tzinfo)
        except ValueError:
            continue
        if taken < limit:
            path.unlink()
            removed.append(path)
    return removed


def check_backup(backup_file: Path) -> None:
    """Raise ``sqlite3.DatabaseError`` unless ``backup_file`` is a sound SQLite database."""
    connection = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()
    if verdict != "ok":
        raise sqlite3.DatabaseError(f"integrity check failed: {verdict}")


def restore_sqlite(backup_file: Path, database_file: Path) -> None:
    """Replace the live database's content with ``backup_file`` (checked first), through the backup
    API too, so that the database file keeps its path, owner and mode. Stop the portal first."""
    check_backup(backup_file)
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(database_file)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()
    database_file.chmod(0o600)
