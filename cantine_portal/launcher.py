"""``make run`` / ``make run-scaled`` in one command: the task-queue consumer beside the portal.

``python -m cantine_portal run [--workers N] [--port P] [reflex options…]`` starts the consumer
(``python -m cantine_portal consumer``) as a child process, then serves the portal in the
foreground (``serve.py``: ``reflex run --env prod --single-port``). When the portal stops (Ctrl-C,
SIGTERM, a crash) the consumer is stopped too; a consumer that dies is restarted. Portable: no
systemd, no shell trap. In production run the two as separate services (docs/deploy.md).
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
from types import FrameType

RESTART_PAUSE_SECONDS = 2.0


class ConsumerKeeper:
    """Keeps one consumer process running until ``stop``."""

    def __init__(self, workers: int) -> None:
        self.command = [sys.executable, "-m", "cantine_portal", "consumer", "--workers", str(workers)]
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        # Held while a dead consumer is replaced, so that ``stop`` never stops the old process
        # while a new one is being started behind its back.
        self._restarting = threading.Lock()
        self._thread = threading.Thread(target=self._keep, name="consumer-keeper", daemon=True)

    def start(self) -> None:
        self.process = subprocess.Popen(self.command)
        self._thread.start()

    def _keep(self) -> None:
        while not self._stopping.is_set():
            with self._restarting:
                process = self.process
                # Exit 0 is a graceful stop (Ctrl-C reaches the whole terminal's process group): the
                # portal is stopping too. Anything else (killed, crashed) is restarted.
                if process is not None and process.poll() not in (None, 0) and not self._stopping.is_set():
                    print(f"task consumer exited ({process.returncode}): restarting", file=sys.stderr)
                    if not self._stopping.wait(RESTART_PAUSE_SECONDS):
                        self.process = subprocess.Popen(self.command)
            self._stopping.wait(1.0)

    def stop(self) -> None:
        """Stop the consumer (the one running once any restart under way is done) and reap it."""
        self._stopping.set()
        with self._restarting:
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # huey's graceful stop: finish the running task
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str]) -> int:
    """Start the consumer, then the portal; the consumer stops with it."""
    from cantine_portal import serve
    from cantine_portal.config import get_settings

    keeper = ConsumerKeeper(get_settings().consumer_workers)
    keeper.start()
    atexit.register(keeper.stop)
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: FrameType | None) -> None:
        keeper.stop()
        if callable(previous):
            previous(signum, frame)
        else:
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    try:
        return serve.main(argv)
    finally:
        keeper.stop()


if __name__ == "__main__":
    os.environ.setdefault("CANTINE_WRITE_PROCESS", "1")
    sys.exit(main(sys.argv[1:]))
