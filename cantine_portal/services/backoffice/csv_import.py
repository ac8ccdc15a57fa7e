"""Import families from a CSV file (docs/csv-import.md): all or nothing.

The whole file is read and checked first; a single bad line means nothing is written, and every
bad line is reported with its number (line 1 is the header). Only then are the families,
guardians, accounts, children and enrollments written, in the caller's one transaction, and the
invitations sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from cantine_portal.french import PARIS
from cantine_portal.infra.mail import Mailer
from cantine_portal.models import Account, AccountRole, Child, Enrollment, Family, Guardian, row_id
from cantine_portal.services.accounts.password_links import send_invitation
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.backoffice.csv_parsing import LineError, ParsedFamily, parse
from cantine_portal.services.shared import audit


@dataclass
class ImportResult:
    ok: bool
    message: str
    errors: list[LineError] = field(default_factory=list)
    families: int = 0
    children: int = 0
    invitations: int = 0


def import_families(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    data: bytes,
    mailer: Mailer | None,
    base_url: str,
    invite: bool = True,
    ip: str = "",
) -> ImportResult:
    """Import every family of the file, or none. The caller commits (one transaction)."""
    structure = check_staff(session, structure_id, account_id)
    families, errors = parse(session, structure_id, data, now.astimezone(PARIS).date())
    if errors:
        audit.record(
            session,
            now,
            "admin.import_refused",
            structure_id=structure_id,
            account_id=account_id,
            ip=ip,
            errors=len(errors),
        )
        return ImportResult(
            False,
            "Aucune famille n'a été importée : corrigez les lignes signalées puis importez "
            "à nouveau le fichier complet.",
            errors,
        )
    children = 0
    new_accounts: list[Account] = []
    for parsed in families:
        account, written = _write_family(session, now, structure_id, parsed)
        new_accounts.append(account)
        children += written
    session.flush()
    audit.record(
        session,
        now,
        "admin.import_done",
        structure_id=structure_id,
        account_id=account_id,
        ip=ip,
        families=len(families),
        children=children,
    )
    invitations = 0
    if invite and mailer is not None:
        for account in new_accounts:
            send_invitation(session, now, structure, account, mailer, base_url, by_account_id=account_id)
            invitations += 1
    message = f"{len(families)} famille(s) et {children} enfant(s) importé(s)."
    if invitations:
        message += f" {invitations} invitation(s) envoyée(s)."
    return ImportResult(True, message, families=len(families), children=children, invitations=invitations)


def _write_family(session: Session, now: datetime, structure_id: int, parsed: ParsedFamily) -> tuple[Account, int]:
    """Write one checked family: its guardians in file order, the parent account of the first one
    (who receives the invitation), its children and their enrollments. Returns that account and
    the number of children written."""
    guardians = list(parsed.guardians.values())
    first = guardians[0].values
    family = Family(structure_id=structure_id, name=first["last_name"], reference=parsed.key, created_at=now)
    session.add(family)
    session.flush()
    family_id = row_id(family)
    guardian_rows: list[Guardian] = []
    for position, guardian in enumerate(guardians):
        row = Guardian(family_id=family_id, position=position, **guardian.values)
        session.add(row)
        session.flush()
        guardian_rows.append(row)
    login_guardian = guardian_rows[0]
    account = Account(
        structure_id=structure_id,
        role=AccountRole.PARENT,
        family_id=family_id,
        guardian_id=login_guardian.id,
        email=login_guardian.email,
        created_at=now,
    )
    session.add(account)
    for position, child in enumerate(parsed.children):
        child_row = Child(family_id=family_id, position=position, **child.values)
        session.add(child_row)
        session.flush()
        for service_id in child.services:
            session.add(Enrollment(child_id=row_id(child_row), service_id=service_id))
    return account, len(parsed.children)
