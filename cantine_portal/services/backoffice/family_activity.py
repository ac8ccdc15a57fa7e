"""Back-office family page: who did what, when (issue 20). Two guardians, two logins: the staff
see which one booked, paid, edited the family or left, and what the staff themselves did.

Read from the audit log: entries made by one of the family's logins, and entries about the family
or one of its guardians, children or logins (whoever made them). Never a secret nor health data
(the audit log holds none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from cantine_portal.french import PARIS
from cantine_portal.models import Account, AccountRole, AuditLog, Child, Guardian, row_id
from cantine_portal.services.backoffice.access import check_staff, owned_family

ACTION_LABELS = {
    "booking.saved": "Réservations modifiées (Valider)",
    "payment.started": "Paiement commencé",
    "guardian.updated": "Responsable modifié",
    "child.updated": "Enfant modifié",
    "account.email_changed": "Adresse de connexion modifiée",
    "guardian.invited": "Invitation à créer un accès",
    "guardian.access_removed": "Accès retiré",
    "guardian.left": "Accès supprimé par le responsable lui-même",
    "account.mail_choices": "Choix des e-mails modifiés",
    "password.set": "Mot de passe créé",
    "password.changed": "Mot de passe modifié",
    "login.success": "Connexion",
    "login.failure": "Connexion refusée",
    "logout": "Déconnexion",
    "admin.guardian_created": "Responsable ajouté (agent)",
    "admin.guardian_updated": "Responsable modifié (agent)",
    "admin.child_created": "Enfant ajouté (agent)",
    "admin.child_updated": "Enfant modifié (agent)",
    "admin.family_created": "Famille créée (agent)",
}


@dataclass(frozen=True)
class ActivityLine:
    at: str  # "26/11/2026 14:05", Paris time
    who: str
    what: str


def _who(accounts: dict[int, Account], guardians: dict[int, Guardian], account_id: int | None) -> str:
    account = accounts.get(account_id) if account_id is not None else None
    if account is None:
        return "Système" if account_id is None else "Agent"
    if account.role == AccountRole.STAFF:
        return f"Agent ({account.email})"
    guardian = guardians.get(account.guardian_id) if account.guardian_id is not None else None
    return f"{guardian.first_name} {guardian.last_name}".strip() if guardian else account.email


def _paris(instant: datetime) -> str:
    return f"{instant.astimezone(PARIS):%d/%m/%Y %H:%M}"


def family_activity(
    session: Session, structure_id: int, staff_account_id: int, family_id: int, limit: int = 60
) -> list[ActivityLine]:
    """The family's latest actions, newest first."""
    check_staff(session, structure_id, staff_account_id)
    owned_family(session, family_id, structure_id)
    family_accounts = list(session.exec(select(Account).where(Account.family_id == family_id)))
    guardians = {row_id(g): g for g in session.exec(select(Guardian).where(Guardian.family_id == family_id))}
    children = [row_id(c) for c in session.exec(select(Child).where(Child.family_id == family_id))]
    account_ids = [row_id(a) for a in family_accounts]
    targets = (
        [f"family:{family_id}"]
        + [f"account:{a}" for a in account_ids]
        + [f"guardian:{g}" for g in guardians]
        + [f"child:{c}" for c in children]
    )
    entries = list(
        session.exec(
            select(AuditLog)
            .where(
                AuditLog.structure_id == structure_id,
                or_(col(AuditLog.account_id).in_(account_ids), col(AuditLog.target).in_(targets)),
            )
            .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
            .limit(limit)
        )
    )
    actor_ids = {e.account_id for e in entries if e.account_id is not None}
    accounts = {row_id(a): a for a in session.exec(select(Account).where(col(Account.id).in_(actor_ids)))}
    return [
        ActivityLine(_paris(e.at), _who(accounts, guardians, e.account_id), ACTION_LABELS.get(e.action, e.action))
        for e in entries
    ]
