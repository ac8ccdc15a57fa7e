"""SQLite's write transactions of the deadline-night path, run in a helper process.

SQLite has one writer at a time. In the portal's worker that writer shares the GIL with the
event loop and the other handlers' threads: every SQLite call gives the GIL up and must win it
back, and beside busy threads it waits up to a switch interval (5 ms) each time. Measured on a
deadline night (docs/performance.md), a Valider held SQLite's lock 10 ms at the median instead
of 4 alone, a checkout 21 instead of 6, and during the minute when every family pays the lock was
busy all the time: Valider waited over a second for it.

A helper process of its own (``helper_process.HelperProcess``, one per worker) runs those
transactions one after the other, with a GIL nobody else wants. The worker's thread only waits
for the answer, its GIL free. Both processes queue on ``db.WriterLock`` (a file lock), so the
worker's remaining writers (a session's last-seen time, receipts' files, the back office) hand
over with it at once.

Only what ``Database.run_write`` is given travels: a module-level function and picklable
arguments; the function receives a session of the helper's own ``Database`` on the same URL.
CANTINE_WRITE_PROCESS=0 turns the helper off (``Settings.write_process``); PostgreSQL never
uses it (many writers at once there, each with its row locks).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Any, Callable

from cantine_portal.infra.db import database_at
from cantine_portal.infra.helper_process import HelperProcess, Unavailable, stop_all

__all__ = ["Unavailable", "run", "shutdown", "warm_up"]

log = logging.getLogger(__name__)

_lock = threading.Lock()
_helpers: dict[str, HelperProcess] = {}


def _helper(url: str) -> HelperProcess:
    with _lock:
        helper = _helpers.get(url)
        if helper is None:
            helper = _helpers[url] = HelperProcess()
        return helper


# --- in the helper process -------------------------------------------------------------------

def _ready(url: str) -> bool:
    """Open the database and import the services, so that the first parent does not wait for it."""
    import cantine_portal.services.booking.booking  # noqa: F401
    import cantine_portal.services.payments.payments  # noqa: F401

    with database_at(url).session() as session:
        session.connection()
    return True


def _write(url: str, fn: Callable, args: tuple, kwargs: dict) -> Any:
    """``fn`` in a write transaction of the helper's own handle (no write process of its own)."""
    with database_at(url).write_session() as session:
        return fn(session, *args, **kwargs)


# --- in the worker ---------------------------------------------------------------------------

def warm_up(url: str) -> Future | None:
    """Start the helper now (in the background), not on the first Valider."""
    try:
        return _helper(url).submit(_ready, url)
    except Unavailable as error:
        log.warning("write process not started (%s)", error)
        return None


def run(url: str, fn: Callable, args: tuple = (), kwargs: dict | None = None) -> Any:
    """``fn(session, *args, **kwargs)`` in one write transaction of the helper process.

    Exceptions raised by ``fn`` come back as they are. ``Unavailable`` means the helper could not
    run it (it could not start, or it died, perhaps after committing: the caller's retry must be
    safe, see ``Database.run_write``).
    """
    return _helper(url).call(_write, url, fn, args, kwargs or {})


def shutdown() -> None:
    """Stop the helpers (tests; a stopping worker stops them through ``helper_process``)."""
    stop_all()
