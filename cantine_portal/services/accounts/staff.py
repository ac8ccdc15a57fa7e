"""Staff (back-office) accounts, created from the command line."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from cantine_portal.models import Account, AccountRole, StaffRole, row_id
from cantine_portal.services.accounts.hashing import hash_password
from cantine_portal.services.accounts.login import account_by_email, normalize_email
from cantine_portal.services.accounts.passwords import check_password
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.tenants import structure_by_slug
from cantine_portal.services.shared.validation import email_error


class StaffError(ValueError):
    """A French message explaining why the account was not created."""


def create_staff(
    session: Session,
    now: datetime,
    slug: str,
    email: str,
    password: str,
    role: str = StaffRole.ADMINISTRATION,
) -> Account:
    """A staff account of the commune ``slug`` with ``role`` (« administration »: the whole back
    office; « restauration »: Effectifs and the roll call). The caller commits."""
    if role not in tuple(StaffRole):
        raise StaffError(f"Rôle inconnu : {role} (administration ou restauration).")
    structure = structure_by_slug(session, slug.strip().lower())
    if structure is None:
        raise StaffError(f"Commune inconnue : {slug}.")
    if email_error(email, required=True):
        raise StaffError(f"Adresse e-mail invalide : {email}.")
    email = normalize_email(email)
    structure_id = row_id(structure)
    if account_by_email(session, structure_id, email) is not None:
        raise StaffError(f"Un compte existe déjà avec l'adresse {email} dans la commune {structure.slug}.")
    check = check_password(password, email)
    if not check.ok:
        raise StaffError("Mot de passe refusé : " + " ".join(check.errors))
    account = Account(
        structure_id=structure_id,
        role=AccountRole.STAFF,
        staff_role=StaffRole(role),
        email=email,
        password_hash=hash_password(password),
        created_at=now,
        password_changed_at=now,
    )
    session.add(account)
    session.flush()
    audit.record(
        session,
        now,
        "staff.created",
        structure_id=structure_id,
        target=f"account:{account.id}",
        email=email,
        staff_role=str(role),
    )
    return account
