"""A lost database is retried: a real PostgreSQL server stops and comes back mid-notification."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from sqlalchemy import text

from cantine_portal.infra.db import Database
from cantine_portal.infra.retry import with_db_retry


@pytest.mark.postgres
def test_retry_survives_a_real_postgresql_restart(postgres_server, tmp_path):
    """The server stops for about a second while a notification is being handled: it is retried."""
    url = postgres_server.create_database("retry_probe")
    db = Database(url)
    with db.write_session() as s:
        s.execute(text("CREATE TABLE notification (id integer primary key)"))
    # The other tests of this process wrote much since the server's last checkpoint; a production
    # server checkpoints every few minutes. Without one, its restart would replay all of it first.
    with psycopg.connect(postgres_server.admin_dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    postgres_server.stop()
    restarter = threading.Timer(1.0, postgres_server.start)
    restarter.start()
    attempts = []

    def fulfil():
        attempts.append(time.monotonic())
        with db.write_session() as s:
            s.execute(text("INSERT INTO notification (id) VALUES (1)"))
        return "ok"

    try:
        assert with_db_retry(fulfil, attempts=10, delays=(0.3, 0.5, 1.0)) == "ok"
    finally:
        restarter.join()
    assert len(attempts) >= 2  # the first attempt met a stopped server
    with db.session() as s:
        assert s.execute(text("SELECT count(*) FROM notification")).scalar_one() == 1
    db.dispose()
