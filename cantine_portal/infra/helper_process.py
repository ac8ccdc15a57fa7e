"""A helper process of the portal's worker: spawned on first use, replaced if it dies, stopped with it.

Used for work that must not hold the worker's GIL: receipt PDFs (``infra/pdf/isolated.py``) and
SQLite's write transactions (``write_process.py``). One process per helper, tasks run one after
the other.

Stopping matters: a Granian worker is itself a ``multiprocessing`` child, and on its way out
``multiprocessing`` joins every child process before ``concurrent.futures`` tells its pools to
stop, so a live helper kept the stopped portal hanging forever (found on the benchmark machine:
servers stopped with SIGTERM still there an hour later). A ``multiprocessing`` finalizer, which
runs before that join, stops the helpers first. A worker killed outright cannot do that: each
helper watches its worker and exits when it is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import util
from typing import Any, TypeVar

_T = TypeVar("_T")

# How often a helper checks that its worker is still alive.
WATCH_SECONDS = 1.0


class Unavailable(Exception):
    """The helper could not be started or died: the caller does the work itself."""


_helpers: weakref.WeakSet[HelperProcess] = weakref.WeakSet()
_finalizer_pid: int | None = None
_registry_lock = threading.Lock()


def stop_all() -> None:
    """Stop every helper of this process (the worker stops; tests)."""
    for helper in list(_helpers):
        helper.stop()


def _stop_with_this_process() -> None:
    global _finalizer_pid
    with _registry_lock:
        if _finalizer_pid != os.getpid():  # a forked child starts with an empty finalizer registry
            util.Finalize(None, stop_all, exitpriority=100)
            _finalizer_pid = os.getpid()


def _start_helper(niceness: int, worker_pid: int) -> None:
    """In the helper, first thing: its priority, and a watch on the worker that started it."""
    if niceness > 0:
        os.nice(niceness)
    threading.Thread(target=_exit_with_worker, args=(worker_pid,), name="watch-worker", daemon=True).start()


def _exit_with_worker(worker_pid: int) -> None:
    # A worker killed outright (SIGKILL, out of memory) cannot stop its helpers, and a helper only
    # waits for work: without this, each such death left an orphan process behind for good.
    while os.getppid() == worker_pid:
        time.sleep(WATCH_SECONDS)
    os._exit(0)


class HelperProcess:
    def __init__(self, *, niceness: int = 0) -> None:
        # niceness > 0: background work (receipts) that the CPU scheduler serves after the worker.
        self._niceness = niceness
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._pid = os.getpid()
        _helpers.add(self)

    def _forget_inherited(self) -> None:
        # After a fork the pool (and its manager thread) belong to the parent: start afresh.
        if self._pid != os.getpid():
            self._lock = threading.Lock()
            self._pool = None
            self._pid = os.getpid()

    def _current(self) -> ProcessPoolExecutor:
        self._forget_inherited()
        with self._lock:
            if self._pool is None:
                # "spawn": a fresh interpreter, nothing inherited from the worker's threads and sockets.
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_helper,
                    initargs=(self._niceness, os.getpid()),
                )
                _stop_with_this_process()
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor, *, wait: bool = False) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=wait, cancel_futures=True)

    def submit(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> Future[_T]:
        pool = None
        try:
            pool = self._current()
            future = pool.submit(fn, *args, **kwargs)
        except (BrokenProcessPool, OSError, RuntimeError) as error:
            # RuntimeError: submit after shutdown (the interpreter is stopping, or a discarded pool).
            if pool is not None:
                self._discard(pool)
            raise Unavailable(str(error) or error.__class__.__name__) from error
        future.pool = pool  # type: ignore[attr-defined]  # our own attribute on the Future: the pool it ran in
        return future

    def result(self, future: Future[_T], timeout: float | None = None) -> _T:
        """The task's value or its own exception; ``Unavailable`` if the helper died meanwhile."""
        try:
            return future.result(timeout=timeout)
        except BrokenProcessPool as error:
            self._discard(future.pool)  # type: ignore[attr-defined]  # our own attribute on the Future: the pool it ran in
            raise Unavailable(str(error) or error.__class__.__name__) from error

    def call(self, fn: Callable[..., _T], *args: Any, timeout: float | None = None, **kwargs: Any) -> _T:
        return self.result(self.submit(fn, *args, **kwargs), timeout=timeout)

    def stop(self) -> None:
        """Let the running task finish, then stop the process."""
        self._forget_inherited()
        with self._lock:
            pool = self._pool
        if pool is not None:
            self._discard(pool, wait=True)
