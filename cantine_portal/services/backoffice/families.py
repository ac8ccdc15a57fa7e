"""Back-office « Familles »: search, create and edit families, invite them.

Guardians' and children's edits live in ``family_members.py``, the family's read-only summary
in ``family_summary.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from cantine_portal.infra.mail import Mailer
from cantine_portal.models import (
    Account,
    AccountRole,
    Child,
    Family,
    Guardian,
    row_id,
)
from cantine_portal.services.accounts.password_links import send_invitation
from cantine_portal.services.backoffice.access import check_staff, owned_family
from cantine_portal.services.families import family as family_rules
from cantine_portal.services.families import guardians as guardian_rules
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
    clean, guardian_errors = guardian_rules.validate_guardian(guardian)
    errors.update(guardian_errors)
    email = normalize_email(clean["email"])
    if not email and "email" not in errors:
        errors["email"] = "L'adresse e-mail du responsable sert d'identifiant : elle est obligatoire."
    elif email and _email_taken(session, structure_id, email):
        errors["email"] = guardian_rules.MSG_EMAIL_TAKEN
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
