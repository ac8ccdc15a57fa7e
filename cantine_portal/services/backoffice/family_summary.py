"""Back-office « Familles »: read-only summary of a family's basket, reservations, credits,
payments and receipts (the family's page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from cantine_portal.french import PARIS, format_euros, provider_label
from cantine_portal.models import (
    Account,
    Basket,
    BasketStatus,
    Child,
    Credit,
    Guardian,
    Payment,
    Receipt,
    Reservation,
    ReservationStatus,
    Service,
    row_id,
)
from cantine_portal.services.backoffice.access import check_staff, owned_family
from cantine_portal.services.backoffice.families import PAYMENT_LABELS, STATUS_LABELS
from cantine_portal.services.families import family as family_rules


@dataclass
class FamilySummary:
    id: int
    name: str
    reference: str
    accounts: list[str]
    guardians: list[Guardian]
    guardian_logins: set[int]
    children: list[Child]
    enrollments: dict[int, set[int]]
    services: list[Service]
    basket_lines: list[dict[str, str]]
    reservations: list[dict[str, str]]
    credit_balance: str
    credits: list[dict[str, str]]
    payments: list[dict[str, str]]
    receipts: list[dict[str, str]]


def _paris(instant: datetime | None) -> str:
    return f"{instant.astimezone(PARIS):%d/%m/%Y %H:%M}" if instant else ""


def _payment_row(p: Payment, who: dict[int, str]) -> dict[str, str]:
    return {
        "date": _paris(p.created_at),
        "reference": p.reference,
        "provider": provider_label(p.provider),
        "status": PAYMENT_LABELS.get(p.status, p.status),
        "amount": format_euros(p.amount_cents),
        "by": who.get(p.account_id or 0, ""),
    }


def _login_names(session: Session, accounts: list[Account]) -> dict[int, str]:
    """account id → the guardian's full name (else the login e-mail): who ticked a day, who pressed
    « Payer » (issue 20; "" for what was done before, or by the staff)."""
    names = {}
    for account in accounts:
        guardian = session.get(Guardian, account.guardian_id) if account.guardian_id else None
        names[row_id(account)] = f"{guardian.first_name} {guardian.last_name}".strip() if guardian else account.email
    return names


def family_summary(session: Session, structure_id: int, account_id: int, family_id: int) -> FamilySummary:
    check_staff(session, structure_id, account_id)
    family = owned_family(session, family_id, structure_id)
    guardians = list(
        session.exec(
            select(Guardian).where(Guardian.family_id == family.id).order_by(col(Guardian.position), col(Guardian.id))
        )
    )
    children = list(
        session.exec(select(Child).where(Child.family_id == family.id).order_by(col(Child.position), col(Child.id)))
    )
    accounts = list(session.exec(select(Account).where(Account.family_id == family.id)))
    services = list(
        session.exec(
            select(Service).where(Service.structure_id == structure_id).order_by(col(Service.position), col(Service.id))
        )
    )
    who = _login_names(session, accounts)
    basket_lines, reservations = _reservation_lines(session, row_id(family), children, services, who)
    credits, payments, receipts = _money_rows(session, row_id(family), who)
    return FamilySummary(
        id=row_id(family),
        name=family.name,
        reference=family.reference,
        accounts=[
            f"{a.email} ({'mot de passe créé' if a.password_hash else 'mot de passe non créé'})" for a in accounts
        ],
        guardians=guardians,
        guardian_logins={a.guardian_id for a in accounts if a.guardian_id},
        children=children,
        enrollments={row_id(c): family_rules.enrolled_service_ids(session, row_id(c)) for c in children},
        services=services,
        basket_lines=basket_lines,
        reservations=reservations,
        credit_balance=format_euros(sum(c.amount_cents for c in credits)),
        credits=[
            {"date": _paris(c.created_at), "label": c.label, "amount": format_euros(c.amount_cents)} for c in credits
        ],
        payments=payments,
        receipts=receipts,
    )


def _reservation_lines(
    session: Session, family_id: int, children: list[Child], services: list[Service], who: dict[int, str]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The family's open basket's lines, then its other reservations (the latest 300, newest first)."""
    names = {s.id: s.name for s in services}
    child_names = {c.id: f"{c.first_name} {c.last_name}" for c in children}
    reservations = list(
        session.exec(
            select(Reservation)
            .where(Reservation.family_id == family_id)
            .order_by(col(Reservation.day).desc(), col(Reservation.id))
            .limit(300)
        )
    )

    def line(r: Reservation) -> dict[str, str]:
        return {
            "day": f"{r.day:%d/%m/%Y}",
            "child": child_names.get(r.child_id, ""),
            "service": names.get(r.service_id, ""),
            "status": STATUS_LABELS.get(r.status, r.status),
            "price": format_euros(r.price_cents),
            "by": who.get(r.booked_by_account_id or 0, ""),
        }

    basket = session.exec(
        select(Basket).where(
            Basket.family_id == family_id, col(Basket.status).in_((BasketStatus.OPEN, BasketStatus.CHECKOUT))
        )
    ).first()

    def in_basket(r: Reservation) -> bool:
        return basket is not None and r.basket_id == basket.id and r.status == ReservationStatus.PENDING

    return [line(r) for r in reservations if in_basket(r)], [line(r) for r in reservations if not in_basket(r)]


def _money_rows(
    session: Session, family_id: int, who: dict[int, str]
) -> tuple[list[Credit], list[dict[str, str]], list[dict[str, str]]]:
    """The family's credit movements, payments and receipts, newest first."""
    credits = list(
        session.exec(select(Credit).where(Credit.family_id == family_id).order_by(col(Credit.created_at).desc()))
    )
    payments = session.exec(
        select(Payment).where(Payment.family_id == family_id).order_by(col(Payment.created_at).desc())
    )
    receipts = session.exec(
        select(Receipt).where(Receipt.family_id == family_id).order_by(col(Receipt.issued_at).desc())
    )
    return (
        credits,
        [_payment_row(p, who) for p in payments],
        [{"date": _paris(r.issued_at), "number": r.number, "amount": format_euros(r.amount_cents)} for r in receipts],
    )
