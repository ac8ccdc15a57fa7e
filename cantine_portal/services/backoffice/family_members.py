"""Back-office « Familles »: staff edits of a family's guardians and children.

Staff edits bypass the parents' toggles (allow_family_edit / allow_children_edit) but use the
same validation as the parents' pages (services/families/) and the same optimistic ``version``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from cantine_portal.french import PARIS
from cantine_portal.models import (
    Account,
    Child,
    Enrollment,
    Guardian,
    Service,
    row_id,
)
from cantine_portal.services.backoffice.access import NotAllowed, check_staff, owned_child, owned_family, owned_guardian
from cantine_portal.services.backoffice.families import MSG_CONFLICT, MSG_INVALID, MSG_SAVED, Result, _email_taken
from cantine_portal.services.families import children as child_rules
from cantine_portal.services.families import family as family_rules
from cantine_portal.services.families import guardians as guardian_rules
from cantine_portal.services.families.fields import ChildValues, GuardianValues
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.validation import normalize_email


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
    clean, errors = guardian_rules.validate_guardian(values)
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
            errors["email"] = guardian_rules.MSG_EMAIL_TAKEN
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
    return _update_guardian(session, now, structure_id, account_id, guardian, login, clean, ip)


def _update_guardian(
    session: Session,
    now: datetime,
    structure_id: int,
    account_id: int,
    guardian: Guardian,
    login: Account | None,
    clean: GuardianValues,
    ip: str,
) -> Result:
    """Write what changed (if the version still matches); the login e-mail follows the guardian's."""
    new_email = clean["email"]
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
    clean, errors = child_rules.validate_child(
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
    return _update_child(session, now, structure_id, account_id, child, clean, offered, service_ids, ip)


def _update_child(
    session: Session,
    now: datetime,
    structure_id: int,
    account_id: int,
    child: Child,
    clean: ChildValues,
    offered: dict[int | None, Service],
    service_ids: set[int],
    ip: str,
) -> Result:
    """Write what changed (if the version still matches) and move the enrollments to ``service_ids``."""
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
        notes += child_rules._unenroll(session, now, child, offered[service_id])
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
