"""Event handlers that reach the database run in a thread, not on the worker's event loop.

Reflex runs a synchronous handler on the event loop of the worker that holds the tab's
websocket. A handler waiting for the database (a query, SQLite's single writer) would freeze
every other tab of that worker meanwhile: the parents' ticks, answered from memory in well under
a millisecond, would wait behind someone's Valider (measured in docs/performance.md). A handler
declared with ``@db_event`` keeps its plain synchronous body and runs it in a thread of a small
pool; the event loop answers other tabs in between.

This is safe because Reflex holds the tab's state lock for the whole handler: no other event of
the same tab touches the state while the thread changes it. The context variables (Reflex's
event context) are copied into the thread.

Tests that call a handler directly use ``run_handler`` (or ``handler.run_sync``).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import reflex as rx

# Enough threads that readers are not stuck behind writers queuing for SQLite's lock on a deadline
# night (with 12, a bank page, a plain read, waited 1.7 s for a thread at 300 parents). A waiting
# thread costs no CPU; each holds at most one read and one write connection (db.py sizes the pools).
DB_HANDLER_THREADS = 32
_pool = ThreadPoolExecutor(max_workers=DB_HANDLER_THREADS, thread_name_prefix="db-handler")


def off_loop(fn: Callable) -> Callable:
    """Turn a synchronous handler into an async one whose body runs in the pool."""
    if inspect.iscoroutinefunction(fn) or inspect.isgeneratorfunction(fn):
        raise TypeError(f"{fn.__qualname__}: only a plain synchronous handler can be moved off the loop")

    @functools.wraps(fn)
    async def handler(self, *args: Any, **kwargs: Any) -> Any:
        call = functools.partial(contextvars.copy_context().run, fn, self, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(_pool, call)

    handler.run_sync = fn  # type: ignore[attr-defined]  # an attribute of our own on the wrapper, for tests
    return handler


async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in the pool, with this context's variables (for async handlers' database work)."""
    call = functools.partial(contextvars.copy_context().run, fn, *args)
    return await asyncio.get_running_loop().run_in_executor(_pool, call)


def db_event(fn: Callable) -> Any:
    """``@rx.event`` for a handler that reads or writes the database (see the module docstring)."""
    return rx.event(off_loop(fn))


def run_handler(result: Any) -> Any:
    """Run what calling a handler returned to its end (for tests and in-process benchmarks).

    A coroutine runs on an event loop of its own thread: a test session may already have a
    loop running in the main thread (Playwright's sync API does).
    """
    if not inspect.iscoroutine(result):
        return result
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = asyncio.run(result)
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
