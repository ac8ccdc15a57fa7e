"""Serve the portal in production mode with several backend workers (scale-out).

``reflex run --env prod --single-port`` already serves everything (compiled frontend,
pages, ``/_event`` websocket, API) from Granian, and forks ``GRANIAN_WORKERS`` worker
processes when Reflex state lives in Redis (``REFLEX_REDIS_URL``; without Redis Reflex
forces one worker, since each worker would hold its own copy of every tab's state).

The one thing Reflex 0.10 does not do is restart a worker that died: its Granian server is
built with ``respawn_failed_workers=False``, so one crashed worker stops the whole portal.
This launcher turns respawning on, then hands over to Reflex's own command line::

    GRANIAN_WORKERS=2 REFLEX_REDIS_URL=redis://127.0.0.1:6379 \\
    DATABASE_URL=postgresql+psycopg://cantine@127.0.0.1/cantine \\
    python -m cantine_portal.serve --port 3000

Every other argument is passed to ``reflex run`` unchanged.

Why a patch and not a setting: neither Reflex (no config field, environment variable or hook
reaches the ``granian.server.Server`` it builds in ``reflex.utils.exec.run_granian_backend_prod``)
nor Granian (its constructor reads no ``GRANIAN_*`` variable; only its own CLI does) offers one.
Running Granian ourselves with its documented Python API would mean re-doing what
``reflex run --env prod`` does before serving (compile, frontend build, two Reflex-internal
environment variables to skip the per-worker compile and mount the built frontend, the pre-fork
preload): more Reflex internals, not fewer. So ``respawning_granian`` relies on one fact:
Reflex 0.10.1 imports ``granian.server.Server`` when it starts the server, not when it is
imported. pyproject.toml pins that Reflex version, and tests/integration/test_serve.py runs Reflex's
own start-up function against the patch and fails if the server it builds would not respawn.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

RESPAWN_OPTIONS: dict[str, Any] = {"respawn_failed_workers": True, "respawn_interval": 1.0}


def respawning_granian() -> type:
    """Make every Granian server built from now on restart failed workers; return its class.

    Reflex builds its server with Granian's defaults (``respawn_failed_workers=False``), so the
    class Reflex will look up is replaced by a subclass that only changes those two defaults.
    Idempotent: a second call keeps the first subclass.
    """
    import granian.server

    base = granian.server.Server
    if getattr(base, "cantine_respawns", False):
        return base

    class RespawningServer(base):  # type: ignore[misc, valid-type]  # the Granian class Reflex imports at call time (see module docstring)
        cantine_respawns = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            for name, value in RESPAWN_OPTIONS.items():
                kwargs.setdefault(name, value)
            super().__init__(*args, **kwargs)

    granian.server.Server = RespawningServer
    return RespawningServer


def _set_environment(workers: int | None) -> str | None:
    """The environment ``reflex run`` reads; returns an error message when it cannot work."""
    if workers is not None:
        os.environ["GRANIAN_WORKERS"] = str(workers)
    # Reflex picks Gunicorn + Uvicorn over Granian when both are installed: say Granian, which is
    # what the respawn patch and GRANIAN_WORKERS are for (REFLEX_USE_GRANIAN is documented).
    os.environ.setdefault("REFLEX_USE_GRANIAN", "true")
    if int(os.environ.get("GRANIAN_WORKERS", "1")) > 1 and not os.environ.get("REFLEX_REDIS_URL"):
        return "Several workers need REFLEX_REDIS_URL (Reflex state shared in Redis)."
    if os.environ.get("REFLEX_REDIS_URL"):
        # A tab's websocket stays on one worker: let that worker keep the tab's state in memory
        # between events instead of reading and writing Redis on each click (measured in
        # docs/performance.md: about half the latency). Another worker asking for the state
        # (a reconnection) breaks the lease; a killed worker's lease expires with its lock.
        os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")
        os.environ.setdefault("REFLEX_OPLOCK_HOLD_TIME", "5s")
    return None


def _safe_to_start() -> bool:
    """Checked here, before Reflex builds and forks: a worker refusing to import the app would be
    respawned forever. The reason is logged on stderr (usecases/startup.py)."""
    from cantine_portal.config import get_settings
    from cantine_portal.usecases.startup import UnsafeDeployment, check_payment_safety, log_to_stderr

    log_to_stderr()
    try:
        check_payment_safety(get_settings())
    except UnsafeDeployment:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cantine_portal.serve")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="backend worker processes (default: GRANIAN_WORKERS, else Reflex's choice)",
    )
    args, rest = parser.parse_known_args(argv)
    error = _set_environment(args.workers)
    if error:
        print(error, file=sys.stderr)
        return 2
    if not _safe_to_start():
        return 2
    respawning_granian()
    from reflex.reflex import cli

    command = [
        "run",
        "--env",
        "prod",
        "--single-port",
        "--frontend-port",
        str(args.port),
        "--backend-port",
        str(args.port),
        *rest,
    ]
    try:
        cli.main(args=command, prog_name="reflex", standalone_mode=False)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
