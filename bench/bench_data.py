"""The "bench" commune: a month-mode commune and a family of four children, for the benchmarks only.

Never part of the normal demo data (``python -m cantine_portal demo`` does not load it): the bench
scripts insert it into their own throw-away database, next to the demo communes.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/x.py` puts bench/, not the project, on sys.path
    sys.path.insert(0, str(ROOT))

from sqlmodel import Session, select  # noqa: E402  (after sys.path is set above)

from cantine_portal.french import PARIS  # noqa: E402  (after sys.path is set above)
from cantine_portal.models import Family, Structure  # noqa: E402  (after sys.path is set above)
from cantine_portal.services.demo import (  # noqa: E402  (after sys.path is set above)
    DEFAULT_DIETS,
    _add_closed_days,
    _add_family,
    _add_grid,
    _add_quotient,
    _add_service,
    school_year_start,
)
from cantine_portal.services.shared import calendar  # noqa: E402  (after sys.path is set above)

BENCH_SLUG = "bench"
BENCH_EMAIL = "famille.nombreuse@example.fr"
BENCH_PASSWORD = "Bench-Cantine-2026!"
CHILDREN = ("Léa", "Hugo", "Inès", "Malo")


@dataclass(frozen=True)
class BenchIds:
    structure_id: int
    family_id: int


def add_bench_commune(session: Session, now: datetime, grids: bool = True) -> BenchIds:
    """Commune "bench" in month mode (deadline 2 days before the month, 23:59), three services
    (canteen, morning and evening care, Mon/Tue/Thu/Fri), the public and school holidays, and a
    family of four children enrolled in the three services: 4 × 3 × 31 = 372 cells on a 31-day
    month view. ``grids=False``: single prices only (the « before grids » figures of issue 17).
    Idempotent; the caller commits."""
    existing = session.exec(select(Structure).where(Structure.slug == BENCH_SLUG)).first()
    if existing is None:
        structure = Structure(
            slug=BENCH_SLUG,
            name="Ville de Banc-d'Essai",
            address_line="Mairie, 1 place du Marché",
            postal_code="44100",
            city="Banc-d'Essai",
            phone="02 40 11 11 11",
            email="enfance@banc-essai.fr",
            period_mode="month",
            deadline_kind="days_before",
            deadline_days_before=2,
            deadline_time="23:59",
            diets=DEFAULT_DIETS,
            created_at=now,
        )
        session.add(structure)
        session.flush()
        start = school_year_start(now)
        services = [
            _add_service(session, structure, "Restauration scolaire", 385, "0,1,3,4", 0, start),
            _add_service(session, structure, "Garderie du matin", 150, "0,1,3,4", 1, start),
            _add_service(session, structure, "Garderie du soir", 210, "0,1,3,4", 2, start),
        ]
        _add_closed_days(session, structure, now)
        address = dict(address_line="12 rue des Écoles", postal_code="44100", city="Banc-d'Essai")
        _add_family(
            session,
            structure,
            now,
            "Nombreuse",
            guardians=[
                dict(
                    civility="Mme",
                    last_name="Nombreuse",
                    first_name="Anne",
                    relationship="Mère",
                    email=BENCH_EMAIL,
                    mobile="0612121212",
                    **address,
                )
            ],
            children=[
                dict(
                    last_name="Nombreuse",
                    first_name=name,
                    birth_date=date(2016 + i, 1 + i, 10),
                    school="École Jules Ferry",
                    class_name=("CM2", "CM1", "CE1", "CP")[i],
                    diet="",
                )
                for i, name in enumerate(CHILDREN)
            ],
            services=services,
            email=BENCH_EMAIL,
            password=BENCH_PASSWORD,
        )
        session.flush()
        # Priced by QF with sibling reductions (issue 17): the canteen and the evening care have the
        # demo's four-bracket grid, 10 % off from the 2nd child, so every tick prices a group.
        family = session.exec(select(Family).where(Family.structure_id == structure.id)).one()
        for service in (services[0], services[2]) if grids else ():
            _add_grid(session, structure, service, start, sibling_from_rank=2)
        if grids:
            _add_quotient(session, family, 640, start, now)
        existing = structure
    family_id = session.exec(select(Family.id).where(Family.structure_id == existing.id)).one()
    return BenchIds(existing.id, family_id)


def bench_month(now: datetime) -> calendar.Period:
    """The month the family lands on: the first still open (December 2026 on the fake clock)."""
    current = calendar.period_containing("month", now.astimezone(PARIS).date())
    return calendar.shift(current, 1)


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds, nearest-rank."""
    ordered = sorted(samples_ms)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return rank(0.50), rank(0.95)


def report(title: str, samples_ms: list[float], budget_ms: float | None = None) -> str:
    p50, p95 = percentiles(samples_ms)
    verdict = "" if budget_ms is None else f"  (budget p95 < {budget_ms:g} ms: {'OK' if p95 < budget_ms else 'OVER'})"
    line = f"{title}: n={len(samples_ms)}  p50={p50:.2f} ms  p95={p95:.2f} ms  max={max(samples_ms):.2f} ms{verdict}"
    print(line, flush=True)
    return line
