"""The task queue for real: consumer processes (``python -m cantine_portal consumer``) on a
temporary folder's SQLite queue, and once on a real Redis; the job ledger and schedules with an
injected clock; the nightly backup and its restore command.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bench import local_stack
from cantine_portal.config import Settings
from cantine_portal.infra import backup, queue
from cantine_portal.infra.db import Database
from cantine_portal.infra.mail import Mail
from cantine_portal.models import Job, JobStatus, LoginThrottle, Reminder, Structure
from cantine_portal.services.tasks import jobs, maintenance, schedules
from tests.conftest import NOW, settings_for

ROOT = Path(__file__).resolve().parents[2]
DEC_2 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _mail(to: str = "famille@example.fr") -> Mail:
    return Mail(to=to, subject="Essai de la file", text="Bonjour", html="<p>Bonjour</p>")


def _consumer(settings: Settings, database: Database, fake_now: datetime, **env: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "CANTINE_VAR_DIR": str(settings.var_dir),
        "CANTINE_SECRET_KEY": "test-secret",
        "DATABASE_URL": database.url,
        "CANTINE_FAKE_NOW": fake_now.isoformat(),
        **env,
    }
    if "REFLEX_REDIS_URL" not in env:
        environment.pop("REFLEX_REDIS_URL", None)
    log = open(settings.var_dir / f"consumer-{time.monotonic_ns()}.log", "w")
    return subprocess.Popen(
        [sys.executable, "-m", "cantine_portal", "consumer", "--workers", "2"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen, sig: int = signal.SIGINT) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait(condition, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("the consumer did not do it in time")


def _emls(settings: Settings) -> list[Path]:
    return sorted(settings.mail_dir.glob("*.eml")) if settings.mail_dir.exists() else []


def _job(database: Database, job_id: int) -> Job:
    with database.session() as s:
        return s.get(Job, job_id)


def _add_mail_job(database: Database, now: datetime, to: str = "famille@example.fr") -> int:
    with database.write_session() as s:
        return jobs.add_mails(s, now, [_mail(to)])[0]


@pytest.fixture
def queue_settings(tmp_path: Path) -> Settings:
    settings = settings_for(tmp_path / "var")
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return settings


def test_a_real_consumer_sends_a_queued_mail_and_the_queue_file_is_private(database, queue_settings):
    job_id = _add_mail_job(database, NOW)
    producer = queue.TaskQueue(queue.build_huey(queue_settings))
    assert stat.S_IMODE(queue_settings.queue_path.stat().st_mode) == 0o600
    consumer = _consumer(queue_settings, database, NOW)
    try:
        producer.notify([job_id])
        _wait(lambda: _job(database, job_id).status == JobStatus.DONE)
    finally:
        _stop(consumer)
    assert len(_emls(queue_settings)) == 1 and b"Essai de la file" in _emls(queue_settings)[0].read_bytes()


class _SilentSmtp:
    """An SMTP server that accepts connections and never answers: a consumer sending to it hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            self.accepted.set()

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        self.sock.close()


def test_a_consumer_killed_mid_task_loses_nothing_and_the_next_one_does_it_once(database, queue_settings):
    """The first consumer is killed (SIGKILL) while it sends; its lease expires; the next consumer's
    tick (its clock past the lease) hands the job over again and sends it, once."""
    smtp = _SilentSmtp()
    job_id = _add_mail_job(database, NOW)
    first = _consumer(
        queue_settings,
        database,
        NOW,
        CANTINE_SMTP_HOST="127.0.0.1",
        CANTINE_SMTP_PORT=str(smtp.port),
        CANTINE_SMTP_TLS="none",
    )
    try:
        queue.TaskQueue(queue.build_huey(queue_settings)).notify([job_id])
        assert smtp.accepted.wait(40), "the first consumer never started sending"
        assert _job(database, job_id).status == JobStatus.RUNNING
    finally:
        _stop(first, signal.SIGKILL)
        smtp.close()
    assert not _emls(queue_settings)
    later = NOW + jobs.LEASE + timedelta(minutes=1)
    second = _consumer(queue_settings, database, later)
    try:
        _wait(lambda: _job(database, job_id).status == JobStatus.DONE)
        time.sleep(2)  # a duplicate would show up now
    finally:
        _stop(second)
    assert len(_emls(queue_settings)) == 1
    assert _job(database, job_id).attempts == 2


def test_reminders_are_sent_once_under_two_consumers(database, queue_settings, monkeypatch):
    from cantine_portal.services.demo import load_demo

    monkeypatch.setattr("cantine_portal.services.demo._demo_hash", lambda password: "not-a-hash")
    with database.write_session() as s:
        load_demo(s, NOW, queue_settings)
    consumers = [_consumer(queue_settings, database, DEC_2) for _ in range(2)]
    try:
        _wait(lambda: len([p for p in _emls(queue_settings) if b"List-Unsubscribe" in p.read_bytes()]) >= 3)
        time.sleep(3)  # both consumers have ticked; a second round of e-mails would show up now
    finally:
        for consumer in consumers:
            _stop(consumer)
    reminders = [p for p in _emls(queue_settings) if b"List-Unsubscribe" in p.read_bytes()]
    assert len(reminders) == 3
    with database.session() as s:
        assert len(s.exec(select(Reminder)).all()) == 3
        hourly = s.exec(select(Job).where(Job.kind == "hourly")).all()
        assert [j.key for j in hourly] == ["hourly:2026-12-02T09"] and hourly[0].status == JobStatus.DONE


def test_a_consumer_on_a_real_redis(database, queue_settings):
    if local_stack.redis_bin() is None:
        pytest.skip("redis-server is not installed (make test installs Debian's redis-server package)")
    redis = local_stack.start_redis()
    try:
        on_redis = queue_settings.with_overrides(redis_url=redis.url)
        job_id = _add_mail_job(database, NOW)
        consumer = _consumer(queue_settings, database, NOW, REFLEX_REDIS_URL=redis.url)
        try:
            queue.TaskQueue(queue.build_huey(on_redis)).notify([job_id])
            _wait(lambda: _job(database, job_id).status == JobStatus.DONE)
        finally:
            _stop(consumer)
    finally:
        redis.stop()
    assert not queue_settings.queue_path.exists()  # nothing went through the SQLite queue
    assert len(_emls(queue_settings)) == 1


# --- the ledger and the schedules, in process, with an injected clock ---------------------------


def test_schedules_take_the_clock():
    assert [s.key for s in schedules.slots_due(NOW)] == [
        "minutely:2026-11-26T09:00",
        "hourly:2026-11-26T09",
        "nightly:2026-11-26",
    ]
    two_am_paris = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert [s.kind for s in schedules.slots_due(two_am_paris)] == ["minutely", "hourly"]  # nightly from 3h


def test_a_slot_job_exists_once_whoever_ticks(database, settings, monkeypatch):
    from cantine_portal.usecases import tasks

    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    tasks.tick(NOW)
    tasks.tick(NOW + timedelta(seconds=30))
    with database.session() as s:
        keys = sorted(j.key for j in s.exec(select(Job)).all())
    assert keys == ["hourly:2026-11-26T09", "minutely:2026-11-26T09:00", "nightly:2026-11-26"]


def test_failures_are_retried_with_backoff_then_shown_to_staff(database, settings, monkeypatch, caplog):
    from cantine_portal.usecases import tasks

    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    monkeypatch.setitem(tasks.RUNNERS, "mail", lambda data, now: (_ for _ in ()).throw(OSError("SMTP injoignable")))
    job_id = _add_mail_job(database, NOW)
    at = NOW
    assert tasks.run_job(job_id, now=at) == "failed"
    for attempt in range(1, jobs.MAX_ATTEMPTS):
        delay = jobs.retry_delay(attempt)
        assert tasks.run_job(job_id, now=at + delay - timedelta(seconds=1)) == "skipped"  # backoff not over
        at += delay
        assert tasks.run_job(job_id, now=at) == "failed"
    assert jobs.retry_delay(1) < jobs.retry_delay(2) < jobs.retry_delay(3)
    assert _job(database, job_id).status == JobStatus.FAILED
    assert tasks.run_job(job_id, now=at + timedelta(days=1)) == "skipped"
    with database.session() as s:
        health = jobs.health(s, at)
    assert health.failed == 1 and "SMTP injoignable" in health.recent_failures[0].error
    assert "failed for good" in caplog.text


def test_nightly_purge_keeps_what_still_counts(database, now):
    with database.write_session() as s:
        s.add(Structure(slug="ville", name="Ville", created_at=now))
    with database.write_session() as s:
        s.add(LoginThrottle(structure_id=1, scope="login:ip:1.2.3.4", at=now - timedelta(days=3)))
        s.add(LoginThrottle(structure_id=1, scope="login:ip:1.2.3.4", at=now - timedelta(hours=3)))
    with database.write_session() as s:
        report = maintenance.purge_expired(s, now, 30)
    assert report.throttle_rows == 1
    with database.session() as s:
        assert len(s.exec(select(LoginThrottle)).all()) == 1


# --- backups ------------------------------------------------------------------------------------


def test_nightly_backup_is_private_kept_14_days_and_restored_by_the_command(database, settings, tmp_path):
    if not database.url.startswith("sqlite"):
        pytest.skip("SQLite backups only")
    from cantine_portal.usecases import tasks

    settings = settings.with_overrides(database_url=database.url)
    _add_mail_job(database, NOW, to="avant@example.fr")
    old = tasks.backup_database(settings, NOW - timedelta(days=15))
    taken = tasks.backup_database(settings, NOW)
    assert old is not None and not old.exists()  # pruned: older than 14 days
    assert stat.S_IMODE(settings.backup_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(taken.stat().st_mode) == 0o600
    _add_mail_job(database, NOW, to="apres@example.fr")
    database.dispose()
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "CANTINE_VAR_DIR": str(settings.var_dir),
        "CANTINE_SECRET_KEY": "test-secret",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cantine_portal", "restore", str(taken)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    with database.session() as s:
        assert [j.payload.count("avant@") for j in s.exec(select(Job)).all()] == [1]
    bad = tmp_path / "pas-une-base.db"
    bad.write_bytes(b"ceci n'est pas une base")
    refused = subprocess.run(
        [sys.executable, "-m", "cantine_portal", "restore", str(bad)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert refused.returncode == 1 and "not restored" in refused.stderr
    with sqlite3.connect(database.url.split("///", 1)[1]) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert backup.prune_backups(settings.backup_dir, NOW, 14) == []


def test_the_launcher_restarts_a_killed_consumer_and_stops_it_with_the_portal(monkeypatch):
    from cantine_portal import launcher

    monkeypatch.setattr(launcher, "RESTART_PAUSE_SECONDS", 0.1)
    keeper = launcher.ConsumerKeeper(1)
    keeper.command = [sys.executable, "-c", "import time; time.sleep(120)"]  # stands for the consumer
    keeper.start()
    try:
        first = keeper.process
        first.kill()
        _wait(lambda: keeper.process is not first and keeper.process.poll() is None, timeout=10)
    finally:
        keeper.stop()
    assert keeper.process.poll() is not None
