"""Back-office « Familles »: search, create and edit families, guardians and children, invite,
and read-only summaries of a family's basket, reservations, credits, payments and receipts.

Staff edits bypass the parents' toggles (allow_family_edit / allow_children_edit) but use the
same validation as the parents' pages (services/family.py) and the same optimistic ``version``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from cantine_portal.french import PARIS, format_euros, provider_label
from cantine_portal.infra.mail import Mailer
from cantine_portal.models import (
    Account,
    AccountRole,
    Basket,
    BasketStatus,
    Child,
    Credit,
    Enrollment,
    Family,
    Guardian,
    Payment,
    Receipt,
    Reservation,
    ReservationStatus,
    Service,
    row_id,
)
from cantine_portal.services.accounts.login import send_invitation
from cantine_portal.services.backoffice.access import NotAllowed, check_staff, owned_child, owned_family, owned_guardian
from cantine_portal.services.families import family as family_rules
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.validation import normalize_email

MSG_SAVED = family_rules.MSG_SAVED
MSG_INVALID = family_rules.MSG_INVALID
MSG_CONFLICT = "Ces informations ont été modifiées entre-temps (par la famille ?). Elles ont été rechargées."
STATUS_LABELS = {"pending": "En attente (panier)", "paid": "Payée", "cancelled": "Annulée"}
PAYMENT_LABELS = {
    "created": "Créé",
    "succeeded": "Réussi",
    "failed": "Échoué",
    "expired": "Expiré",
    "cancelled": "Annulé",
}


@dataclass
class FamilyRow:
    id: int
    name: str
    reference: str
    guardians: str
    emails: str
    children: str
    account: str  # "Mot de passe créé" | "Invitation à envoyer" | "Pas de compte"


@dataclass
class Result:
    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)
    object_id: int | None = None
    conflict: bool = False


def _account_status(accounts: list[Account]) -> str:
    if not accounts:
        return "Pas de compte"
    if any(a.password_hash for a in accounts):
        return "Mot de passe créé"
    return "Mot de passe non créé"


def search_families(
    session: Session, structure_id: int, account_id: int, query: str = "", limit: int = 200
) -> list[FamilyRow]:
    """Families whose name, reference, guardian name or e-mail, or child name contains ``query``."""
    check_staff(session, structure_id, account_id)
    statement = select(Family).where(Family.structure_id == structure_id)
    words = query.strip().lower().split()
    for word in words[:5]:
        like = f"%{word}%"
        guardian_match = select(Guardian.family_id).where(
            or_(
                func.lower(Guardian.last_name).like(like),
                func.lower(Guardian.first_name).like(like),
                func.lower(Guardian.email).like(like),
            )
        )
        child_match = select(Child.family_id).where(
            or_(func.lower(Child.last_name).like(like), func.lower(Child.first_name).like(like))
        )
        account_match = select(Account.family_id).where(
            Account.structure_id == structure_id, func.lower(Account.email).like(like)
        )
        statement = statement.where(
            or_(
                func.lower(Family.name).like(like),
                func.lower(Family.reference).like(like),
                col(Family.id).in_(guardian_match),
                col(Family.id).in_(child_match),
                col(Family.id).in_(account_match),
            )
        )
    families = session.exec(statement.order_by(col(Family.name), col(Family.id)).limit(limit)).all()
    rows = []
    for family in families:
        guardians = session.exec(
            select(Guardian).where(Guardian.family_id == family.id).order_by(col(Guardian.position), col(Guardian.id))
        ).all()
        children = session.exec(
            select(Child).where(Child.family_id == family.id).order_by(col(Child.position), col(Child.id))
        ).all()
        accounts = list(session.exec(select(Account).where(Account.family_id == family.id)).all())
        rows.append(
            FamilyRow(
                row_id(family),
                family.name,
                family.reference,
                ", ".join(f"{g.first_name} {g.last_name}" for g in guardians),
                ", ".join(a.email for a in accounts),
                ", ".join(f"{c.first_name} {c.last_name}" for c in children),
                _account_status(accounts),
            )
        )
    return rows


def _validate_family(name: str, reference: str) -> dict[str, str]:
    errors = {}
    if not name.strip():
        errors["family_name"] = "Indiquez le nom de la famille."
    elif len(name.strip()) > 120:
        errors["family_name"] = "120 caractères au maximum."
    if len(reference.strip()) > 40:
        errors["reference"] = "40 caractères au maximum."
    return errors


def _email_taken(session: Session, structure_id: int, email: str, except_account: int | None = None) -> bool:
    statement = select(Account.id).where(Account.structure_id == structure_id, Account.email == email)
    if except_account is not None:
        statement = statement.where(Account.id != except_account)
    return session.exec(statement).first() is not None


def create_family(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    name: str,
    reference: str,
    guardian: dict[str, str],
    mailer: Mailer | None,
    base_url: str,
    invite: bool = True,
    ip: str = "",
) -> Result:
    """A family, its first guardian and its parent account (login = the guardian's e-mail)."""
    structure = check_staff(session, structure_id, account_id)
    errors = _validate_family(name, reference)
    clean, guardian_errors = family_rules.validate_guardian(guardian)
    errors.update(guardian_errors)
    email = normalize_email(clean["email"])
    if not email and "email" not in errors:
        errors["email"] = "L'adresse e-mail du responsable sert d'identifiant : elle est obligatoire."
    elif email and _email_taken(session, structure_id, email):
        errors["email"] = family_rules.MSG_EMAIL_TAKEN
    if errors:
        return Result(False, "La famille n'a pas été créée : corrigez les champs signalés.", errors)
    family = Family(structure_id=structure_id, name=name.strip(), reference=reference.strip(), created_at=now)
    session.add(family)
    session.flush()
    clean["email"] = email
    row = Guardian(family_id=row_id(family), position=0, **clean)
    session.add(row)
    session.flush()
    account = Account(
        structure_id=structure_id,
        role=AccountRole.PARENT,
        family_id=family.id,
        guardian_id=row.id,
        email=email,
        created_at=now,
    )
    session.add(account)
    session.flush()
    audit.record(
        session,
        now,
        "admin.family_created",
        structure_id=structure_id,
        account_id=account_id,
        ip=ip,
        target=f"family:{family.id}",
        name=family.name,
        email=email,
    )
    message = f"La famille « {family.name} » a été créée."
    if invite and mailer is not None:
        send_invitation(session, now, structure, account, mailer, base_url, by_account_id=account_id)
        message += f" Une invitation à créer le mot de passe a été envoyée à {email}."
    return Result(True, message, object_id=family.id)


def update_family(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    family_id: int,
    name: str,
    reference: str,
    ip: str = "",
) -> Result:
    check_staff(session, structure_id, account_id)
    family = owned_family(session, family_id, structure_id)
    errors = _validate_family(name, reference)
    if errors:
        return Result(False, MSG_INVALID, errors)
    changes = {
        k: [getattr(family, k), v]
        for k, v in (("name", name.strip()), ("reference", reference.strip()))
        if getattr(family, k) != v
    }
    for key, (_before, after) in changes.items():
        setattr(family, key, after)
    if changes:
        session.add(family)
        audit.record(
            session,
            now,
            "admin.family_updated",
            structure_id=structure_id,
            account_id=account_id,
            ip=ip,
            target=f"family:{family.id}",
            changes=changes,
        )
    return Result(True, MSG_SAVED, object_id=family.id)


def save_guardian(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    family_id: int,
    guardian_id: int | None,
    expected_version: int | None,
    values: dict[str, str],
    ip: str = "",
) -> Result:
    """Create (``guardian_id`` None) or update a guardian. A login e-mail moves with the guardian."""
    check_staff(session, structure_id, account_id)
    family = owned_family(session, family_id, structure_id)
    clean, errors = family_rules.validate_guardian(values)
    guardian = None
    login = None
    if guardian_id is not None:
        guardian = owned_guardian(session, guardian_id, structure_id)
        if guardian.family_id != family.id:
            raise NotAllowed("responsable d'une autre famille")
        if expected_version is not None and guardian.version != expected_version:
            return Result(False, MSG_CONFLICT, conflict=True)
        login = session.exec(
            select(Account).where(Account.family_id == family.id, Account.guardian_id == guardian.id)
        ).first()
    new_email = normalize_email(clean["email"])
    if login is not None and "email" not in errors and new_email != login.email:
        if not new_email:
            errors["email"] = "Cette adresse sert d'identifiant à la famille : elle est obligatoire."
        elif _email_taken(session, structure_id, new_email, login.id):
            errors["email"] = family_rules.MSG_EMAIL_TAKEN
    if errors:
        return Result(False, MSG_INVALID, errors)
    clean["email"] = new_email
    if guardian is None:
        position = session.exec(select(func.count()).select_from(Guardian).where(Guardian.family_id == family.id)).one()
        guardian = Guardian(family_id=family_id, position=position, **clean)
        session.add(guardian)
        session.flush()
        audit.record(
            session,
            now,
            "admin.guardian_created",
            structure_id=structure_id,
            account_id=account_id,
            ip=ip,
            target=f"guardian:{guardian.id}",
        )
        return Result(True, "Le responsable a été ajouté.", object_id=guardian.id)
    changes = {
        name: [getattr(guardian, name), clean[name]]
        for name in family_rules.GUARDIAN_FIELDS
        if (getattr(guardian, name) or "") != clean[name]
    }
    if not changes:
        return Result(True, MSG_SAVED, object_id=guardian.id)
    if not family_rules.write_if_version(
        session, guardian, guardian.version, {k: after for k, (_b, after) in changes.items()}
    ):
        return Result(False, MSG_CONFLICT, conflict=True)
    if login is not None and login.email != new_email:
        audit.record(
            session,
            now,
            "account.email_changed",
            structure_id=structure_id,
            account_id=account_id,
            ip=ip,
            target=f"account:{login.id}",
            before=login.email,
            after=new_email,
        )
        login.email = new_email
        session.add(login)
    audit.record(
        session,
        now,
        "admin.guardian_updated",
        structure_id=structure_id,
        account_id=account_id,
        ip=ip,
        target=f"guardian:{guardian.id}",
        changes=changes,
    )
    return Result(True, MSG_SAVED, object_id=guardian.id)


def save_child(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    family_id: int,
    child_id: int | None,
    expected_version: int | None,
    values: dict[str, str],
    service_ids: set[int],
    ip: str = "",
) -> Result:
    """Create or update a child and its enrollments (active services of this commune only)."""
    check_staff(session, structure_id, account_id)
    family = owned_family(session, family_id, structure_id)
    offered = {s.id: s for s in family_rules.active_services(session, structure_id)}
    if not set(service_ids) <= set(offered):
        raise NotAllowed("prestation inconnue")
    child = None
    if child_id is not None:
        child = owned_child(session, child_id, structure_id)
        if child.family_id != family.id:
            raise NotAllowed("enfant d'une autre famille")
        if expected_version is not None and child.version != expected_version:
            return Result(False, MSG_CONFLICT, conflict=True)
    today = now.astimezone(PARIS).date()
    clean, errors = family_rules.validate_child(
        values, family_rules.diet_choices(session, structure_id), child.diet if child else "", today
    )
    if errors:
        return Result(False, MSG_INVALID, errors)
    if child is None:
        position = session.exec(select(func.count()).select_from(Child).where(Child.family_id == family.id)).one()
        child = Child(family_id=family_id, position=position, **clean)
        session.add(child)
        session.flush()
        for service_id in sorted(service_ids):
            session.add(Enrollment(child_id=row_id(child), service_id=service_id))
        audit.record(
            session,
            now,
            "admin.child_created",
            structure_id=structure_id,
            account_id=account_id,
            ip=ip,
            target=f"child:{child.id}",
            services=[offered[i].name for i in sorted(service_ids)],
        )
        return Result(True, "L'enfant a été ajouté.", object_id=child.id)
    changes = {
        name: [getattr(child, name), clean[name]]
        for name in family_rules.CHILD_FIELDS
        if getattr(child, name) != clean[name]
    }
    enrolled = family_rules.enrolled_service_ids(session, row_id(child)) & set(offered)
    added, removed = sorted(set(service_ids) - enrolled), sorted(enrolled - set(service_ids))
    notes: list[str] = []
    if changes:
        if not family_rules.write_if_version(
            session, child, child.version, {k: after for k, (_b, after) in changes.items()}
        ):
            return Result(False, MSG_CONFLICT, conflict=True)
    for service_id in added:
        session.add(Enrollment(child_id=row_id(child), service_id=service_id))
    for service_id in removed:
        # Same rule as the parents' page: paid days kept, pending days leave the basket.
        notes += family_rules._unenroll(session, now, child, offered[service_id])
    if changes or added or removed:
        audit.record(
            session,
            now,
            "admin.child_updated",
            structure_id=structure_id,
            account_id=account_id,
            ip=ip,
            target=f"child:{child.id}",
            changes={k: v for k, v in changes.items() if k not in family_rules.HEALTH_FIELDS},
            health_fields_changed=sorted(k for k in changes if k in family_rules.HEALTH_FIELDS),
            services_added=[offered[i].name for i in added],
            services_removed=[offered[i].name for i in removed],
        )
    return Result(True, " ".join([MSG_SAVED, *notes]), object_id=child.id)


def invite_family(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    family_id: int,
    mailer: Mailer,
    base_url: str,
) -> Result:
    """(Re)send the first-connection e-mail to the family's parent accounts."""
    structure = check_staff(session, structure_id, account_id)
    family = owned_family(session, family_id, structure_id)
    accounts = session.exec(
        select(Account).where(
            Account.family_id == family.id, Account.role == AccountRole.PARENT, col(Account.active).is_(True)
        )
    ).all()
    if not accounts:
        return Result(False, "Cette famille n'a pas de compte : ajoutez un responsable avec une adresse e-mail.")
    for account in accounts:
        send_invitation(session, now, structure, account, mailer, base_url, by_account_id=account_id)
    return Result(True, "Invitation envoyée à " + ", ".join(a.email for a in accounts) + ".")


# --- read-only summary ------------------------------------------------------------------------


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
    names = {s.id: s.name for s in services}
    child_names = {c.id: f"{c.first_name} {c.last_name}" for c in children}
    enrollments = {row_id(c): family_rules.enrolled_service_ids(session, row_id(c)) for c in children}
    reservations = list(
        session.exec(
            select(Reservation)
            .where(Reservation.family_id == family.id)
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
        }

    basket = session.exec(
        select(Basket).where(
            Basket.family_id == family.id, col(Basket.status).in_((BasketStatus.OPEN, BasketStatus.CHECKOUT))
        )
    ).first()
    basket_lines = [
        line(r) for r in reservations if basket and r.basket_id == basket.id and r.status == ReservationStatus.PENDING
    ]
    credits = list(
        session.exec(select(Credit).where(Credit.family_id == family.id).order_by(col(Credit.created_at).desc()))
    )
    payments = list(
        session.exec(select(Payment).where(Payment.family_id == family.id).order_by(col(Payment.created_at).desc()))
    )
    receipts = list(
        session.exec(select(Receipt).where(Receipt.family_id == family.id).order_by(col(Receipt.issued_at).desc()))
    )
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
        enrollments=enrollments,
        services=services,
        basket_lines=basket_lines,
        reservations=[
            line(r)
            for r in reservations
            if r.status != ReservationStatus.PENDING or not basket or r.basket_id != basket.id
        ],
        credit_balance=format_euros(sum(c.amount_cents for c in credits)),
        credits=[
            {"date": _paris(c.created_at), "label": c.label, "amount": format_euros(c.amount_cents)} for c in credits
        ],
        payments=[
            {
                "date": _paris(p.created_at),
                "reference": p.reference,
                "provider": provider_label(p.provider),
                "status": PAYMENT_LABELS.get(p.status, p.status),
                "amount": format_euros(p.amount_cents),
            }
            for p in payments
        ],
        receipts=[
            {"date": _paris(r.issued_at), "number": r.number, "amount": format_euros(r.amount_cents)} for r in receipts
        ],
    )
