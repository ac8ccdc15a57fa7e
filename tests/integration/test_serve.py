"""cantine_portal/serve.py: the Granian server Reflex builds restarts a worker that dies.

serve.py reaches Reflex's server through one internal (see its docstring): these tests fail
loudly when a Reflex or Granian upgrade moves it, instead of the portal silently running without
respawn (one crashed worker would then stop every commune's portal on deadline night).
"""

from __future__ import annotations

import inspect
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.deadline_night import worker_pids
from cantine_portal import serve
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
UPGRADE_HINT = (
    "Reflex or Granian changed how `reflex run` builds its Granian server: "
    "cantine_portal/serve.py no longer turns worker respawn on. See serve.py's docstring."
)

# Runs in a fresh interpreter, in serve.main's order: patch, then Reflex's own prod start-up
# function. Granian's real `serve` is replaced on the base class, so whatever class Reflex builds
# (patched or not) reports its options instead of listening.
REFLEX_START_UP = """
import json, sys
import granian.server
from cantine_portal import serve

base = granian.server.Server
built = []

def report(self, *args, **kwargs):
    built.append({"respawn_failed_workers": self.respawn_failed_workers,
                  "respawn_interval": self.respawn_interval, "workers": self.workers,
                  "class": type(self).__qualname__})

base.serve = report
serve._set_environment(None)
serve.respawning_granian()
from reflex.reflex import cli  # noqa: F401  (what serve.main imports next)
from reflex.utils import exec as reflex_exec
from reflex_base.constants.base import LogLevel

if not reflex_exec.should_use_granian():
    sys.exit("Reflex would not use Granian")
reflex_exec.run_granian_backend_prod("127.0.0.1", 0, LogLevel.ERROR, app_target="hello:app")
print(json.dumps(built))
"""


def test_reflex_prod_server_is_built_with_worker_respawn(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REFLEX_TELEMETRY_ENABLED": "false", "GRANIAN_WORKERS": "3"}
    env.pop("REFLEX_USE_GRANIAN", None)
    done = subprocess.run(
        [sys.executable, "-c", REFLEX_START_UP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, f"{UPGRADE_HINT}\n{done.stderr[-3000:]}"
    built = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(built) == 1, f"{UPGRADE_HINT} Servers built: {built}"
    assert built[0] == {
        "respawn_failed_workers": True,
        "respawn_interval": 1.0,
        "workers": 3,
        "class": "respawning_granian.<locals>.RespawningServer",
    }, UPGRADE_HINT


def test_granian_still_takes_the_respawn_options():
    import granian.server

    parameters = inspect.signature(granian.server.Server.__init__).parameters
    for name in serve.RESPAWN_OPTIONS:
        assert name in parameters, f"granian.server.Server has no `{name}` any more. {UPGRADE_HINT}"


def test_several_workers_without_redis_are_refused(monkeypatch, capsys):
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    monkeypatch.delenv("GRANIAN_WORKERS", raising=False)
    assert serve.main(["--workers", "2", "--port", "1"]) == 2
    assert "REFLEX_REDIS_URL" in capsys.readouterr().err


HELLO_APP = """
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = (await receive())["type"]
            await send({"type": message + ".complete"})
            if message == "lifespan.shutdown":
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
"""

SERVE_HELLO = """
import sys
from pathlib import Path
from cantine_portal.serve import respawning_granian
server = respawning_granian()
server("hello:app", address="127.0.0.1", port=int(sys.argv[1]), interface="asgi", workers=2,
       working_dir=Path(sys.argv[2])).serve()
"""


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_killed_worker_is_replaced_and_the_server_keeps_answering(tmp_path):
    """The Granian behaviour serve.py switches on, with the pinned Granian, on a tiny ASGI app."""
    (tmp_path / "hello.py").write_text(HELLO_APP)
    port = free_port()
    log = tmp_path / "granian.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE_HELLO, str(port), str(tmp_path)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}/"

        def answers() -> bool:
            try:
                return httpx.get(url, timeout=1).text == "ok"
            except httpx.HTTPError:
                return False

        assert _wait(lambda: answers() and len(worker_pids(process.pid)) == 2, 30), log.read_text()
        workers = worker_pids(process.pid)
        os.kill(workers[0], signal.SIGKILL)
        replaced = _wait(lambda: len(worker_pids(process.pid)) == 2 and workers[0] not in worker_pids(process.pid), 20)
        assert replaced, f"the killed worker was not replaced:\n{log.read_text()[-3000:]}"
        assert process.poll() is None
        assert all(answers() for _ in range(10))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
