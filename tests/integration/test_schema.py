"""The data model: migrations equal the models, database-enforced invariants."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

import cantine_portal.models  # noqa: F401  (registers the tables)
from alembic import command
from cantine_portal.infra.db import Database
from cantine_portal.models import Basket, Child, Family, Reservation, Service, Structure
from cantine_portal.services.demo import load_demo

ROOT = Path(__file__).resolve().parents[2]


def _migrate(url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    command.upgrade(config, "head")


def _diff(db: Database) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def _reset_postgres(db: Database) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


def test_migrated_sqlite_schema_equals_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    _migrate(url)
    db = Database(url)
    assert _diff(db) == []
    db.dispose()


@pytest.mark.postgres
def test_migrated_postgres_schema_equals_the_models(postgres_url):
    db = Database(postgres_url)
    _reset_postgres(db)
    _migrate(postgres_url)
    assert _diff(db) == []
    db.dispose()


def _one_child(db: Database, now, settings) -> tuple[int, int, int, int]:
    with db.write_session() as s:
        load_demo(s, now, settings)
    with db.session() as s:
        structure = s.exec(select(Structure).where(Structure.slug == "demo")).one()
        family = s.exec(select(Family).where(Family.name == "Martin")).one()
        child = s.exec(select(Child).where(Child.family_id == family.id)).first()
        service = s.exec(select(Service).where(Service.structure_id == structure.id)).first()
        return structure.id, family.id, child.id, service.id


def _reservation(ids, status="pending", day=date(2026, 12, 7), now=None) -> Reservation:
    structure_id, family_id, child_id, service_id = ids
    return Reservation(
        structure_id=structure_id,
        family_id=family_id,
        child_id=child_id,
        service_id=service_id,
        day=day,
        status=status,
        price_cents=385,
        created_at=now,
        updated_at=now,
    )


def _check_reservation_uniqueness(db: Database, now, settings) -> None:
    ids = _one_child(db, now, settings)
    with db.write_session() as s:
        s.add(_reservation(ids, now=now))
    with pytest.raises(IntegrityError):
        with db.write_session() as s:
            s.add(_reservation(ids, status="paid", now=now))
    # A cancelled reservation does not block booking the day again.
    with db.write_session() as s:
        existing = s.exec(select(Reservation)).one()
        existing.status = "cancelled"
        s.add(existing)
    with db.write_session() as s:
        s.add(_reservation(ids, now=now))
        s.add(_reservation(ids, day=date(2026, 12, 8), now=now))
    with db.session() as s:
        assert len(s.exec(select(Reservation)).all()) == 3


def test_one_active_reservation_per_child_service_day_sqlite(database, now, settings):
    _check_reservation_uniqueness(database, now, settings)


@pytest.mark.postgres
def test_one_active_reservation_per_child_service_day_postgres(postgres_url, now, settings):
    db = Database(postgres_url)
    _reset_postgres(db)
    _migrate(postgres_url)
    _check_reservation_uniqueness(db, now, settings)
    db.dispose()


def test_one_open_basket_per_family(demo_session, database, now):
    family = demo_session.exec(select(Family).where(Family.name == "Martin")).one()
    with database.write_session() as s:
        s.add(Basket(structure_id=family.structure_id, family_id=family.id, created_at=now, updated_at=now))
    with pytest.raises(IntegrityError):
        with database.write_session() as s:
            s.add(
                Basket(
                    structure_id=family.structure_id,
                    family_id=family.id,
                    status="checkout",
                    created_at=now,
                    updated_at=now,
                )
            )
    with database.write_session() as s:
        s.add(
            Basket(structure_id=family.structure_id, family_id=family.id, status="paid", created_at=now, updated_at=now)
        )


def test_demo_loader_is_idempotent(database, now, settings):
    with database.write_session() as s:
        first = load_demo(s, now, settings)
    with database.write_session() as s:
        second = load_demo(s, now, settings)
    assert first.created == ["demo", "autreville"]
    assert second.created == [] and second.skipped == ["demo", "autreville"]
    with database.session() as s:
        assert len(s.exec(select(Structure)).all()) == 2
        demo = s.exec(select(Structure).where(Structure.slug == "demo")).one()
        prices = {x.name: x.unit_price_cents for x in s.exec(select(Service).where(Service.structure_id == demo.id))}
    assert prices == {
        "Restauration scolaire": 385,
        "Garderie du matin": 150,
        "Garderie du soir": 210,
        "Accueil de loisirs du mercredi": 1200,
    }
