"""The portal's clock. Services never read it: handlers pass ``now`` down.

``CANTINE_FAKE_NOW`` (an ISO instant with offset) starts the clock at that instant and
lets it run from there; browser tests and demonstrations use it to stand on a chosen day
(for instance just after a deadline) without touching the machine's clock.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

_started = time.monotonic()


def _fake_start() -> datetime | None:
    raw = os.environ.get("CANTINE_FAKE_NOW")
    if not raw:
        return None
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None:
        raise ValueError("CANTINE_FAKE_NOW needs an offset, e.g. 2026-11-26T10:00:00+01:00")
    return value.astimezone(UTC)


_FAKE_START = _fake_start()


def now() -> datetime:
    """Aware UTC now (or the fake clock's now)."""
    if _FAKE_START is not None:
        return _FAKE_START + timedelta(seconds=time.monotonic() - _started)
    return datetime.now(UTC)
