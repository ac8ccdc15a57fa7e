"""Private file storage: published documents, contact attachments, receipts.

Files live under ``settings.storage_dir`` (never under Reflex's public upload folder nor
``assets/``), each under a random name chosen here. The database keeps the relative path; the
only way back to the bytes is :func:`read_bytes`, which refuses any path that would leave the
storage folder, so a tampered row cannot read ``/etc/passwd`` or another installation's files.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from cantine_portal.config import Settings, private_dir

# A category is a folder name we choose in code ("documents", "contact"), never user input.
_CATEGORY = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_STORED_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}/[0-9a-f]{32}\.[a-z0-9]{1,8}$")


class StorageError(ValueError):
    """A path that does not designate a stored file."""


def _root(settings: Settings) -> Path:
    return settings.storage_dir.resolve()


def save_bytes(settings: Settings, category: str, data: bytes, suffix: str = "pdf") -> str:
    """Write ``data`` under a fresh random name; returns the path relative to the storage folder."""
    if not _CATEGORY.match(category) or not re.fullmatch(r"[a-z0-9]{1,8}", suffix):
        raise StorageError(f"invalid storage category or suffix: {category!r}, {suffix!r}")
    private_dir(_root(settings))
    private_dir(_root(settings) / category)
    while True:
        relative = f"{category}/{secrets.token_hex(16)}.{suffix}"
        path = _root(settings) / relative
        try:
            # "x": never overwrite, even in the astronomically unlikely case of a collision.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return relative


def resolve(settings: Settings, relative: str) -> Path:
    """The absolute path of a stored file; StorageError for anything we did not name ourselves."""
    if not isinstance(relative, str) or not _STORED_NAME.match(relative):
        raise StorageError("not a stored file name")
    root = _root(settings)
    path = (root / relative).resolve()
    if root not in path.parents:
        raise StorageError("path leaves the storage folder")
    return path


def read_bytes(settings: Settings, relative: str) -> bytes:
    """The content of a stored file. Raises StorageError or FileNotFoundError."""
    return resolve(settings, relative).read_bytes()


def delete(settings: Settings, relative: str) -> None:
    try:
        resolve(settings, relative).unlink(missing_ok=True)
    except StorageError:
        pass
