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

This module only keeps one helper per database URL and hands it work: it imports neither the
database layer nor the services. ``Database.run_write`` (db.py) sends its own module-level
function that opens the helper's write transaction, with the service function and its picklable
arguments (unpickling the function imports its module in the helper).
CANTINE_WRITE_PROCESS=0 turns the helper off (``Settings.write_process``); PostgreSQL never
uses it (many writers at once there, each with its row locks).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from cantine_portal.infra.helper_process import HelperProcess, Unavailable, stop_all

__all__ = ["Unavailable", "run", "shutdown", "warm_up"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

_lock = threading.Lock()
_helpers: dict[str, HelperProcess] = {}


def _helper(url: str) -> HelperProcess:
    with _lock:
        helper = _helpers.get(url)
        if helper is None:
            helper = _helpers[url] = HelperProcess()
        return helper


def warm_up(url: str, fn: Callable[..., object], *args: Any) -> Future[object] | None:
    """Start the helper of ``url`` now, in the background (not on the first Valider), with ``fn(*args)``
    as its first task (``db`` opens the database there)."""
    try:
        return _helper(url).submit(fn, *args)
    except Unavailable as error:
        log.warning("write process not started (%s)", error)
        return None


def run(url: str, fn: Callable[..., _T], *args: Any) -> _T:
    """``fn(*args)`` in the helper process of ``url`` (``db`` gives a function that opens the write
    transaction there).

    Exceptions raised by ``fn`` come back as they are. ``Unavailable`` means the helper could not
    run it (it could not start, or it died, perhaps after committing: the caller's retry must be
    safe, see ``Database.run_write``).
    """
    return _helper(url).call(fn, *args)


def shutdown() -> None:
    """Stop the helpers (tests; a stopping worker stops them through ``helper_process``)."""
    stop_all()
