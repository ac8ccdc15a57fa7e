"""A generated commune for load tests: thousands of families, never part of the demo data.

Month periods with a deadline two days before the month (23h59), canteen and evening care
on school days, 1 to 3 children per family. Every parent logs in as
``parent{n}@{slug}.bench`` with the same password (hashed once: argon2id is slow on purpose).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, insert
from sqlmodel import Session, select

from cantine_portal.models import (
    Account,
    Basket,
    Child,
    ClosedDay,
    Credit,
    Enrollment,
    Family,
    Guardian,
    LoginSession,
    LoginThrottle,
    Payment,
    PaymentEvent,
    Receipt,
    ReceiptCounter,
    Reservation,
    Service,
    ServicePrice,
    Structure,
)
from cantine_portal.services.accounts.hashing import hash_password
from cantine_portal.services.demo import school_year_start
from cantine_portal.services.shared import calendar

BENCH_SLUG = "nuit"
BENCH_PASSWORD = "Nuit-Butoir-2026!"
FIRST_NAMES = [
    "Léa",
    "Hugo",
    "Emma",
    "Louis",
    "Jade",
    "Gabriel",
    "Louise",
    "Arthur",
    "Alice",
    "Jules",
    "Chloé",
    "Adam",
    "Lina",
    "Raphaël",
    "Mia",
    "Paul",
    "Inès",
    "Nathan",
    "Rose",
    "Tom",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
]


def parent_email(n: int, slug: str = BENCH_SLUG) -> str:
    return f"parent{n}@{slug}.bench"


@dataclass(frozen=True)
class CommuneSize:
    structure_id: int
    families: int
    children: int
    created: bool


def generate_commune(
    session: Session, now: datetime, families: int = 2000, children: int = 3500, slug: str = BENCH_SLUG, seed: int = 9
) -> CommuneSize:
    """Create the bench commune unless a commune with ``slug`` exists. The caller commits."""
    existing = session.exec(select(Structure).where(Structure.slug == slug)).first()
    if existing is not None:
        n_families = session.exec(
            select(func.count()).select_from(Family).where(Family.structure_id == existing.id)
        ).one()
        n_children = session.exec(
            select(func.count()).select_from(Child).join(Family).where(Family.structure_id == existing.id)
        ).one()
        return CommuneSize(existing.id, n_families, n_children, False)
    if children < families:
        raise ValueError("every family has at least one child")
    rng = random.Random(seed)
    structure = Structure(
        slug=slug,
        name="Ville de la Nuit Butoir",
        address_line="Mairie, place du Marché",
        postal_code="44100",
        city="Nuit-sur-Loire",
        phone="02 40 11 22 33",
        email="enfance@nuit.bench",
        period_mode="month",
        deadline_kind="days_before",
        deadline_days_before=2,
        deadline_time="23:59",
        created_at=now,
    )
    session.add(structure)
    session.flush()
    start = school_year_start(now)
    services = []
    for position, (name, cents) in enumerate([("Restauration scolaire", 385), ("Garderie du soir", 210)]):
        service = Service(
            structure_id=structure.id, name=name, unit_price_cents=cents, weekdays="0,1,3,4", position=position
        )
        session.add(service)
        session.flush()
        session.add(ServicePrice(service_id=service.id, valid_from=start, price_cents=cents, created_at=now))
        services.append(service)
    days = calendar.french_public_holidays([start.year, start.year + 1]) + calendar.school_holiday_days(
        calendar.SCHOOL_HOLIDAYS
    )
    seen: set[date] = set()
    for closed in days:
        if closed.day not in seen and start <= closed.day <= date(start.year + 1, 8, 31):
            seen.add(closed.day)
            session.add(ClosedDay(structure_id=structure.id, day=closed.day, kind=closed.kind, reason=closed.reason))

    # Children per family: everyone has one, the extra ones go to random families (at most 3).
    per_family = [1] * families
    extra = children - families
    while extra > 0:
        i = rng.randrange(families)
        if per_family[i] < 3:
            per_family[i] += 1
            extra -= 1
    password_hash = hash_password(BENCH_PASSWORD)
    for n in range(families):
        last = LAST_NAMES[n % len(LAST_NAMES)]
        family = Family(structure_id=structure.id, name=last, reference=f"N-{n:05d}", created_at=now)
        session.add(family)
        session.flush()
        guardian = Guardian(
            family_id=family.id,
            position=0,
            civility="Mme",
            last_name=last,
            first_name=rng.choice(FIRST_NAMES),
            relationship="Mère",
            email=parent_email(n, slug),
            mobile=f"06{n:08d}",
            address_line=f"{n} rue des Écoles",
            postal_code="44100",
            city="Nuit-sur-Loire",
        )
        session.add(guardian)
        session.flush()
        child_rows = [
            dict(
                family_id=family.id,
                position=p,
                last_name=last,
                first_name=rng.choice(FIRST_NAMES),
                birth_date=date(2016 + rng.randrange(6), 1 + rng.randrange(12), 1 + rng.randrange(28)),
                school="École du Bourg",
                class_name="CE1",
                diet="",
            )
            for p in range(per_family[n])
        ]
        child_ids = [
            session.execute(insert(Child).values(**row).returning(Child.id)).scalar_one() for row in child_rows
        ]
        session.execute(
            insert(Enrollment),
            [
                dict(child_id=c, service_id=s.id)
                for c in child_ids
                for s in services
                if s is services[0] or rng.random() < 0.5
            ],
        )
        session.add(
            Account(
                structure_id=structure.id,
                role="parent",
                family_id=family.id,
                guardian_id=guardian.id,
                email=parent_email(n, slug),
                password_hash=password_hash,
                created_at=now,
                password_changed_at=now,
            )
        )
    session.flush()
    return CommuneSize(structure.id, families, children, True)


def reset_activity(session: Session, structure_id: int) -> None:
    """Forget earlier runs: credits, receipts (and their numbering), payments, reservations,
    baskets, sessions and login throttling of the commune (receipt PDFs stay in storage)."""
    payment_ids = select(Payment.id).where(Payment.structure_id == structure_id)
    for statement in (
        delete(Credit).where(Credit.structure_id == structure_id),
        delete(Receipt).where(Receipt.structure_id == structure_id),
        delete(ReceiptCounter).where(ReceiptCounter.structure_id == structure_id),
        delete(PaymentEvent).where(PaymentEvent.payment_id.in_(payment_ids)),  # type: ignore[union-attr]  # SQLModel column operator on an Optional-typed field
        delete(Reservation).where(Reservation.structure_id == structure_id),
        delete(Payment).where(Payment.structure_id == structure_id),
        delete(Basket).where(Basket.structure_id == structure_id),
        delete(LoginSession).where(LoginSession.structure_id == structure_id),
        delete(LoginThrottle).where(LoginThrottle.structure_id == structure_id),
    ):
        session.exec(statement)  # type: ignore[call-overload]  # sqlmodel's exec has no overload for a Delete statement
