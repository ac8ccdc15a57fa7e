"""Throw-away PostgreSQL and Redis servers on loopback, for scale-out runs and tests.

Used by the test session (tests/conftest.py), by ``make run-scaled`` and by the load
generator. Production uses real, managed servers (docs/deploy.md); these are for one
machine: PostgreSQL runs with ``fsync=off`` and Redis keeps nothing on disk.

    python bench/local_stack.py up DIR     # prints DATABASE_URL=... and REFLEX_REDIS_URL=...
    python bench/local_stack.py down DIR
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return candidates[0].parent if candidates else None


def redis_bin() -> str | None:
    return shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)


@dataclass
class Postgres:
    root: Path
    port: int
    bindir: Path
    as_user: list[str]

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def admin(self):
        import psycopg

        return psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True)

    def create_database(self, name: str, template: str | None = None) -> str:
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def stop(self, mode: str = "immediate") -> None:
        subprocess.run(
            [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", mode, "stop"],
            capture_output=True,
        )

    def start(self) -> None:
        subprocess.run(
            [
                *self.as_user,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-l",
                str(self.root / "pg.log"),
                "-w",
                "-o",
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
                "start",
            ],
            check=True,
            capture_output=True,
        )


def start_postgres(root: Path, port: int | None = None) -> Postgres:
    """initdb + start a cluster under ``root`` (as the postgres user when we are root)."""
    bindir = postgres_bin()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL is not installed (Debian package postgresql)")
    root.mkdir(parents=True, exist_ok=True)
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *as_user,
            str(bindir / "initdb"),
            "-D",
            str(root / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
    )
    pg = Postgres(root=root, port=port or free_port(), bindir=bindir, as_user=as_user)
    pg.start()
    import psycopg

    deadline = time.monotonic() + 20
    while True:
        try:
            with pg.admin():
                return pg
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@dataclass
class Redis:
    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_redis(port: int | None = None, log: Path | None = None) -> Redis:
    """A Redis that keeps nothing on disk, on loopback only."""
    binary = redis_bin()
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (Debian package redis-server)")
    port = port or free_port()
    out = open(log, "w") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return Redis(process, port)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("redis-server did not answer PING within 10 s")


def _up(folder: Path) -> int:
    folder = folder.resolve()
    pg = start_postgres(folder / "pg")
    pg.create_database("cantine")
    redis_port = free_port()
    # Detached: it outlives this command; `down` stops it through its pid file.
    subprocess.Popen(
        [
            redis_bin(),
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--pidfile",
            str(folder / "redis.pid"),
            "--logfile",
            str(folder / "redis.log"),
        ]
    ).wait()
    (folder / "pg_port").write_text(str(pg.port))
    print(f"DATABASE_URL={pg.url('cantine')}")
    print(f"REFLEX_REDIS_URL=redis://127.0.0.1:{redis_port}")
    return 0


def _down(folder: Path) -> int:
    folder = folder.resolve()
    pid_file = folder / "redis.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().strip()), 15)
        except (ProcessLookupError, ValueError):
            pass
    bindir = postgres_bin()
    if bindir and (folder / "pg" / "data").exists():
        as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(folder / "pg" / "data"), "-m", "fast", "stop"],
            capture_output=True,
        )
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("up", "down"):
        print(__doc__)
        sys.exit(2)
    sys.exit(_up(Path(sys.argv[2])) if sys.argv[1] == "up" else _down(Path(sys.argv[2])))
