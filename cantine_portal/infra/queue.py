"""The task queue: a huey instance built from the settings.

Embedded by default (huey's SQLite storage in ``var/queue.db``, readable by the portal's user
only); on Redis when the portal is scaled out (``REFLEX_REDIS_URL``, the Redis that already holds
the Reflex state), so that consumers beside every worker share one queue.

huey carries only the id of a ``Job`` row (services/tasks/jobs.py): the row, written in the
transaction that asks for the work, is what makes a job survive a consumer killed mid-task or a
queue message lost. This module knows nothing of the services: the use-case layer registers the
function that runs a job and the periodic tick (``register_job_runner``, ``register_tick``) when
it is imported; the consumer (``python -m cantine_portal consumer``) imports it first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab

from cantine_portal.config import Settings, get_settings
from cantine_portal.infra.files import private_sqlite

log = logging.getLogger(__name__)

_job_runner: Callable[[int], None] | None = None
_tick: Callable[[], None] | None = None


def register_job_runner(fn: Callable[[int], None]) -> None:
    """The function a consumer calls with a job's id (usecases/tasks.py)."""
    global _job_runner
    _job_runner = fn


def register_tick(fn: Callable[[], None]) -> None:
    """The function every consumer's scheduler calls once a minute (the schedules decide the rest)."""
    global _tick
    _tick = fn


def _run_job(job_id: int) -> None:
    if _job_runner is None:
        raise RuntimeError("no job runner registered: import cantine_portal.usecases.tasks first")
    _job_runner(job_id)


def _run_tick() -> None:
    if _tick is not None:
        _tick()


def build_huey(settings: Settings, *, immediate: bool = False) -> Huey:
    """SqliteHuey under ``settings.var_dir`` by default, RedisHuey when ``settings.redis_url`` is set."""
    if immediate:
        return Huey("cantine", results=False, immediate=True)
    if settings.redis_url:
        return RedisHuey("cantine", url=settings.redis_url, results=False)
    path = settings.queue_path
    path.parent.mkdir(parents=True, exist_ok=True)
    private_sqlite(str(path))  # 0600 before huey writes a byte (its -wal/-shm follow the umask)
    return SqliteHuey("cantine", filename=str(path), results=False)


class TaskQueue:
    """One huey instance with the portal's two tasks: run a job, and the minutely tick."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._run = huey.task(name="run_job")(_run_job)
        self._tick = huey.periodic_task(crontab(minute="*"), name="tick")(_run_tick)

    def notify(self, job_ids: Iterable[int]) -> None:
        """Hand jobs to a consumer. Never raises: a job the queue did not take stays pending in the
        database and the next minute's sweep hands it over again."""
        for job_id in job_ids:
            try:
                self._run(job_id)
            except Exception:
                log.exception("job %s: the task queue did not take it (the sweep will)", job_id)

    def consumer(self, workers: int = 2, **options: Any) -> Any:
        """A huey consumer (threads), with the periodic tick enabled."""
        return self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True, **options)


_active: TaskQueue | None = None
_built: dict[tuple[str, str], TaskQueue] = {}


def use_queue(queue: TaskQueue | None) -> None:
    """Make ``get_queue()`` return ``queue`` in this process (tests: an immediate queue)."""
    global _active
    _active = queue


def get_queue() -> TaskQueue:
    """The portal's queue from the current settings (one per storage in this process)."""
    if _active is not None:
        return _active
    settings = get_settings()
    key = (settings.redis_url or "", str(settings.queue_path))
    if key not in _built:
        _built[key] = TaskQueue(build_huey(settings))
    return _built[key]
