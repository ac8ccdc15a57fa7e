"""The family's logins, from the parents' side (issue 20): who has an access (Famille), inviting the
other guardian, leaving, and each login's e-mail choices (Préférences).

The guardian to invite is chosen by its position in the list this use case returned (the state
keeps the ids, backend-only); the service checks again that it is the actor's family's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.infra.mail import Mailer
from cantine_portal.models import Account
from cantine_portal.services.families import logins as rules
from cantine_portal.services.families.family import NotYourFamily
from cantine_portal.services.families.logins import GuardianAccess
from cantine_portal.services.shared import audit
from cantine_portal.usecases.actors import ParentActor
from cantine_portal.usecases.errors import Refused
from cantine_portal.usecases.outbox import write_and_mail

MSG_REFUSED = "Cette action n'est pas possible."


@dataclass(frozen=True)
class AccessView:
    guardians: list[GuardianAccess]
    mail_all_payments: bool
    mail_notices: bool
    # Another guardian has an access with a password: this login may leave.
    can_leave: bool


def _view(session: Session, actor: ParentActor, now: datetime) -> AccessView:
    rows = rules.guardian_access(session, now, actor.structure_id, actor.family_id, actor.account_id)
    me = session.get(Account, actor.account_id)
    others = [
        a
        for a in rules.family_accounts(session, actor.family_id)
        if a.id != actor.account_id and a.active and a.password_hash
    ]
    return AccessView(
        rows,
        bool(me and me.mail_all_payments),
        bool(me is None or me.mail_notices),
        bool(others),
    )


def access_view(actor: ParentActor, *, now: datetime) -> AccessView:
    """The family's guardians and the state of their access, and this login's e-mail choices."""
    try:
        with get_database().session() as session:
            return _view(session, actor, now)
    except NotYourFamily as refused:
        raise Refused(MSG_REFUSED) from refused


@dataclass(frozen=True)
class AccessOutcome:
    ok: bool
    message: str
    view: AccessView | None = None


def invite(actor: ParentActor, guardian_id: int, *, now: datetime) -> AccessOutcome:
    """« Inviter ce responsable à créer son accès »: the invitation leaves from the queue after the commit."""
    base_url = get_settings().base_url

    def work(session: Session, mailer: Mailer) -> rules.Outcome:
        return rules.invite_guardian(
            session,
            now,
            structure_id=actor.structure_id,
            family_id=actor.family_id,
            guardian_id=guardian_id,
            by_account_id=actor.account_id,
            mailer=mailer,
            base_url=base_url,
            ip=actor.ip,
        )

    try:
        outcome = write_and_mail(now, work)
    except NotYourFamily:
        return AccessOutcome(False, MSG_REFUSED, access_view(actor, now=now))
    return AccessOutcome(outcome.ok, outcome.message, access_view(actor, now=now))


def leave(actor: ParentActor, *, now: datetime) -> AccessOutcome:
    """« Supprimer mon accès »: refused for the family's last login; otherwise this login's sessions end."""
    try:
        with get_database().write_session() as session:
            outcome = rules.leave(
                session,
                now,
                structure_id=actor.structure_id,
                family_id=actor.family_id,
                account_id=actor.account_id,
                ip=actor.ip,
            )
    except NotYourFamily as refused:
        raise Refused(MSG_REFUSED) from refused
    return AccessOutcome(outcome.ok, outcome.message)


def set_mail_choices(actor: ParentActor, *, all_payments: bool, notices: bool, now: datetime) -> AccessView:
    """This login's e-mail choices: the other guardian's tickets too, the closure notices."""
    with get_database().write_session() as session:
        account = session.get(Account, actor.account_id)
        if account is None or account.family_id != actor.family_id:
            raise Refused(MSG_REFUSED)
        account.mail_all_payments = all_payments
        account.mail_notices = notices
        session.add(account)
        audit.record(
            session,
            now,
            "account.mail_choices",
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            ip=actor.ip,
            all_payments=all_payments,
            notices=notices,
        )
    return access_view(actor, now=now)
