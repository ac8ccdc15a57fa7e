"""Migration 0008 (issue 20): today's single-login families keep working — their login becomes a
guardian's, on a database built at the previous head with rows written the way that schema held them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config

from alembic import command

ROOT = Path(__file__).resolve().parents[2]
BEFORE = "0008_sick_absences"  # the revision before 0009_guardian_logins
WHEN = datetime(2026, 11, 26, 9, 0)


def _config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    return config


def _insert(connection: sa.Connection, table: str, **values: object) -> int:
    """A row with ``values``; every other NOT NULL column without a default gets a plain value."""
    columns = sa.inspect(connection).get_columns(table)
    row = dict(values)
    for column in columns:
        name = column["name"]
        if name in row or name == "id" or column["nullable"] or column.get("default") is not None:
            continue
        kind = str(column["type"]).upper()
        row[name] = (
            0 if "INT" in kind else False if "BOOL" in kind else WHEN if "DATE" in kind or "TIME" in kind else "x"
        )
    names = ", ".join(row)
    marks = ", ".join(f":{n}" for n in row)
    result = connection.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING id"), row)
    return int(result.scalar_one())


def _world(connection: sa.Connection) -> dict[str, int]:
    structure = _insert(connection, "structure", slug="ville", name="Ville", period_mode="week")
    ids = {"structure": structure}
    for name in ("same", "first", "none"):
        ids[name] = _insert(connection, "family", structure_id=structure, name=name, reference="")
    # A login whose guardian is the second one (same e-mail), one whose e-mail is nobody's.
    _insert(
        connection, "guardian", family_id=ids["same"], last_name="A", first_name="Anne", email="anne@x.fr", position=0
    )
    ids["same_guardian"] = _insert(
        connection, "guardian", family_id=ids["same"], last_name="A", first_name="Paul", email="Paul@X.fr", position=1
    )
    ids["first_guardian"] = _insert(
        connection, "guardian", family_id=ids["first"], last_name="B", first_name="Léa", email="", position=0
    )
    _insert(connection, "guardian", family_id=ids["first"], last_name="B", first_name="Tom", email="", position=1)
    for name, email in (("same", "paul@x.fr"), ("first", "famille.b@x.fr"), ("none", "famille.c@x.fr")):
        ids[f"{name}_account"] = _insert(
            connection, "account", structure_id=structure, role="parent", family_id=ids[name], email=email, active=True
        )
    ids["staff"] = _insert(connection, "account", structure_id=structure, role="staff", email="agent@x.fr", active=True)
    return ids


def test_single_login_families_keep_working_after_the_migration(tmp_path):
    url = f"sqlite:///{tmp_path / 'before.db'}"
    command.upgrade(_config(url), BEFORE)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        ids = _world(connection)
    command.upgrade(_config(url), "head")
    with engine.connect() as connection:
        rows = {
            r.id: r
            for r in connection.execute(
                sa.text("SELECT id, guardian_id, active, mail_all_payments, mail_notices FROM account")
            )
        }
        reservation_columns = {c["name"] for c in sa.inspect(connection).get_columns("reservation")}
    engine.dispose()
    assert rows[ids["same_account"]].guardian_id == ids["same_guardian"]  # the guardian with its e-mail
    assert rows[ids["first_account"]].guardian_id == ids["first_guardian"]  # else the first guardian
    assert rows[ids["none_account"]].guardian_id is None  # a family without guardians stays as it was
    assert rows[ids["staff"]].guardian_id is None
    same = rows[ids["same_account"]]
    assert same.active and not same.mail_all_payments and same.mail_notices  # the documented defaults
    assert "booked_by_account_id" in reservation_columns


@pytest.mark.postgres
def test_the_migration_on_postgres(postgres_url):
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    command.upgrade(_config(postgres_url), BEFORE)
    with engine.begin() as connection:
        ids = _world(connection)
    command.upgrade(_config(postgres_url), "head")
    with engine.connect() as connection:
        linked = dict(connection.execute(sa.text("SELECT id, guardian_id FROM account")).all())
    engine.dispose()
    assert linked[ids["same_account"]] == ids["same_guardian"]
    assert linked[ids["first_account"]] == ids["first_guardian"]
