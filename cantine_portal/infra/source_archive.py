"""The portal's own source as a tar.gz, for the offer the AGPL makes to every user (§13).

A commune that runs a modified portal must offer its users the source of what they use. The
simplest way to offer exactly the running version is to hand out the files it runs from: the
package, its migrations, its assets and the project's metadata (LICENSE, README, pyproject). Built
once per process; the archive is deterministic (sorted names, no timestamps, no owners), so two
builds of the same files are the same bytes.
"""

from __future__ import annotations

import functools
import gzip
import io
import tarfile
from pathlib import Path

# What the portal is made of, relative to the project's root (missing ones are skipped: an
# installed wheel has no alembic/ folder beside it, for example).
PARTS = (
    "LICENSE",
    "README.md",
    "pyproject.toml",
    "rxconfig.py",
    "alembic.ini",
    "Makefile",
    "cantine_portal",
    "alembic",
    "assets",
    "docs",
)
SKIPPED_DIRS = {"__pycache__", ".web", ".states", "var", ".venv", "node_modules"}
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".db", ".sqlite", ".log")


def _files(root: Path) -> list[Path]:
    found: list[Path] = []
    for part in PARTS:
        path = root / part
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += [
                p
                for p in path.rglob("*")
                if p.is_file()
                and not p.is_symlink()
                and not SKIPPED_DIRS.intersection(p.relative_to(root).parts)
                and not p.name.endswith(SKIPPED_SUFFIXES)
            ]
    return sorted(found)


def build_archive(root: Path, prefix: str = "cantine_portal-source") -> bytes:
    """A tar.gz of the portal's files under ``root``, each under ``prefix/``."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path in _files(root):
            info = tarfile.TarInfo(f"{prefix}/{path.relative_to(root).as_posix()}")
            data = path.read_bytes()
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


@functools.lru_cache(maxsize=2)
def cached_archive(root: Path) -> bytes:
    return build_archive(root)
