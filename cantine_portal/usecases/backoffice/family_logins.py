"""Back-office family page, issue 20: each guardian's access (invite, remove) and who did what.

Removing an access (separated parents) deactivates that login and revokes its sessions in one
transaction: the guardian's next click lands on the login page with a French message, the other
guardian keeps theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.infra.mail import Mailer
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.backoffice.family_activity import ActivityLine, family_activity
from cantine_portal.services.families import logins as rules
from cantine_portal.services.families.family import NotYourFamily
from cantine_portal.services.families.logins import GuardianAccess
from cantine_portal.usecases.backoffice.common import StaffActor, read, refusing
from cantine_portal.usecases.errors import Refused
from cantine_portal.usecases.outbox import write_and_mail


@dataclass(frozen=True)
class FamilyLogins:
    guardians: list[GuardianAccess]
    activity: list[ActivityLine]


@dataclass(frozen=True)
class LoginsOutcome:
    ok: bool
    message: str
    page: FamilyLogins | None = None


def _chosen(family_id: int | None) -> int:
    if family_id is None:
        raise Refused()
    return family_id


def _page(actor: StaffActor, family_id: int, now: datetime) -> FamilyLogins:
    def work(session: Session) -> FamilyLogins:
        check_staff(session, actor.structure_id, actor.account_id)
        try:
            rows = rules.guardian_access(session, now, actor.structure_id, family_id, None, staff=True)
        except NotYourFamily:
            raise Refused() from None
        return FamilyLogins(rows, family_activity(session, actor.structure_id, actor.account_id, family_id))

    return read(work)


def family_logins(actor: StaffActor, *, family_id: int | None, now: datetime) -> FamilyLogins:
    """The family's guardians with their access, and its latest activity."""
    return _page(actor, _chosen(family_id), now)


def invite_guardian(actor: StaffActor, *, family_id: int | None, guardian_id: int, now: datetime) -> LoginsOutcome:
    """The staff invite one guardian (or restore a removed access with a new first-connection link)."""
    chosen = _chosen(family_id)
    base_url = get_settings().base_url

    def work(session: Session, mailer: Mailer) -> rules.Outcome:
        check_staff(session, actor.structure_id, actor.account_id)
        return rules.invite_guardian(
            session,
            now,
            structure_id=actor.structure_id,
            family_id=chosen,
            guardian_id=guardian_id,
            by_account_id=actor.account_id,
            mailer=mailer,
            base_url=base_url,
            staff=True,
            ip=actor.ip,
        )

    try:
        with refusing():
            outcome = write_and_mail(now, work)
    except NotYourFamily:
        raise Refused() from None
    return LoginsOutcome(outcome.ok, outcome.message, _page(actor, chosen, now))


def remove_access(actor: StaffActor, *, family_id: int | None, account_id: int, now: datetime) -> LoginsOutcome:
    """Remove one guardian's access; its sessions end now, the other logins are untouched."""
    chosen = _chosen(family_id)
    try:
        with refusing(), get_database().write_session() as session:
            check_staff(session, actor.structure_id, actor.account_id)
            outcome = rules.remove_access(
                session,
                now,
                structure_id=actor.structure_id,
                family_id=chosen,
                account_id=account_id,
                by_account_id=actor.account_id,
                ip=actor.ip,
            )
    except NotYourFamily:
        raise Refused() from None
    return LoginsOutcome(outcome.ok, outcome.message, _page(actor, chosen, now))
