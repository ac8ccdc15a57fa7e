"""Each guardian their own login (issue 20): invitations, removing an access, leaving, and who
receives which e-mail.

A family's guardians each may have one parent ``Account`` (``Account.guardian_id``); all of them
see and book for the same children and share the family's one open basket. A second guardian is
invited by the first (Famille) or by the staff (the back-office family page): the invitation is
the first-connection link of ``password_links`` (24 hours, single use, only for its commune), so
the guardian goes through the same CNIL password page as everyone.

Removing an access (staff, separated parents) or leaving (the guardian) deactivates the login and
revokes its sessions in the same transaction: the next handler of that browser finds no session
(``sessions.resolve_session`` refuses an inactive account) and goes to the login page. The last
login of a family cannot leave by itself: the family would lose its portal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from cantine_portal.french import format_paris_datetime
from cantine_portal.infra.mail import Mail, Mailer, render_html
from cantine_portal.models import Account, AccountRole, Family, Guardian, PasswordToken, Structure, row_id
from cantine_portal.services.accounts.password_links import issue_link_token, password_link
from cantine_portal.services.accounts.sessions import revoke_all_sessions
from cantine_portal.services.families.family import NotYourFamily
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.branding import mail_brand
from cantine_portal.services.shared.validation import normalize_email

MSG_EMAIL_TAKEN = "Cette adresse e-mail est déjà utilisée par un autre compte de la commune."
MSG_NO_EMAIL = "Ce responsable n'a pas d'adresse e-mail : ajoutez-la sur son onglet et enregistrez, puis invitez-le."
MSG_ALREADY = "Ce responsable a déjà son accès au portail."
MSG_REMOVED_BY_STAFF = "L'accès de ce responsable a été retiré. Seule votre structure peut le rétablir : contactez-la."
MSG_LAST_LOGIN = (
    "Vous êtes le seul responsable à avoir un accès au portail : vous ne pouvez pas le supprimer. "
    "Pour fermer le compte de la famille, contactez votre structure."
)
MSG_LEFT = "Votre accès au portail a été supprimé. L'autre responsable garde le sien."


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


@dataclass(frozen=True)
class GuardianAccess:
    """One guardian of the family and the state of their login."""

    guardian_id: int
    name: str
    email: str
    # "active" (password created), "invited" (link sent, no password yet), "removed", "none"
    status: str
    status_text: str
    account_id: int | None
    is_me: bool
    can_invite: bool


def _family(session: Session, structure_id: int, family_id: int) -> Family:
    family = session.get(Family, family_id)
    if family is None or family.structure_id != structure_id:
        raise NotYourFamily("famille inconnue")
    return family


def _guardian(session: Session, structure_id: int, family_id: int, guardian_id: int) -> Guardian:
    _family(session, structure_id, family_id)
    guardian = session.get(Guardian, guardian_id)
    if guardian is None or guardian.family_id != family_id:
        raise NotYourFamily("responsable inconnu")
    return guardian


def family_accounts(session: Session, family_id: int) -> list[Account]:
    """Every parent login of the family, active or not, oldest first."""
    return list(
        session.exec(
            select(Account)
            .where(Account.family_id == family_id, Account.role == AccountRole.PARENT)
            .order_by(col(Account.id))
        )
    )


def _status(account: Account | None, now: datetime, last_link: PasswordToken | None) -> tuple[str, str]:
    if account is None:
        return "none", "Pas d'accès au portail"
    if not account.active:
        return "removed", "Accès retiré"
    if account.password_hash:
        return "active", f"Accès actif ({account.email})"
    if last_link is not None and last_link.used_at is None and now < last_link.expires_at:
        return "invited", f"Invitation envoyée le {format_paris_datetime(last_link.created_at)}, en attente"
    return "invited", "Invitation expirée ou non envoyée : renvoyez-la"


def _last_link(session: Session, account: Account | None) -> PasswordToken | None:
    if account is None:
        return None
    return session.exec(
        select(PasswordToken)
        .where(PasswordToken.account_id == row_id(account))
        .order_by(col(PasswordToken.created_at).desc(), col(PasswordToken.id).desc())
    ).first()


def guardian_access(
    session: Session, now: datetime, structure_id: int, family_id: int, me: int | None, *, staff: bool = False
) -> list[GuardianAccess]:
    """The family's guardians with their login's state, in the Famille page's order."""
    _family(session, structure_id, family_id)
    by_guardian = {a.guardian_id: a for a in family_accounts(session, family_id) if a.guardian_id is not None}
    rows = []
    guardians = session.exec(
        select(Guardian).where(Guardian.family_id == family_id).order_by(col(Guardian.position), col(Guardian.id))
    )
    for guardian in guardians:
        account = by_guardian.get(row_id(guardian))
        status, text = _status(account, now, _last_link(session, account))
        invitable = status in ("none", "invited") or (staff and status == "removed")
        rows.append(
            GuardianAccess(
                row_id(guardian),
                f"{guardian.first_name} {guardian.last_name}".strip(),
                guardian.email,
                status,
                text,
                account.id if account else None,
                account is not None and account.id == me,
                invitable,
            )
        )
    return rows


def _login_for(
    session: Session, now: datetime, structure_id: int, family_id: int, guardian: Guardian, email: str
) -> Account:
    """The guardian's login (new, or the existing one made ready for a first password)."""
    account = session.exec(
        select(Account).where(Account.family_id == family_id, Account.guardian_id == row_id(guardian))
    ).first()
    if account is None:
        account = Account(
            structure_id=structure_id,
            role=AccountRole.PARENT,
            family_id=family_id,
            guardian_id=row_id(guardian),
            email=email,
            created_at=now,
        )
    elif not account.active:  # restored by the staff: a new password, the old one is forgotten
        account.active = True
        account.password_hash = None
    account.email = email
    session.add(account)
    session.flush()
    return account


def invite_guardian(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    family_id: int,
    guardian_id: int,
    by_account_id: int,
    mailer: Mailer,
    base_url: str,
    staff: bool = False,
    ip: str = "",
) -> Outcome:
    """Create (or renew) a guardian's login and mail its first-connection link. The caller commits.

    Raises ``NotYourFamily`` for a guardian outside the family or commune.
    """
    guardian = _guardian(session, structure_id, family_id, guardian_id)
    email = normalize_email(guardian.email)
    if not email:
        return Outcome(False, MSG_NO_EMAIL)
    current = session.exec(
        select(Account).where(Account.family_id == family_id, Account.guardian_id == guardian_id)
    ).first()
    if current is not None and current.active and current.password_hash:
        return Outcome(False, MSG_ALREADY)
    if current is not None and not current.active and not staff:
        return Outcome(False, MSG_REMOVED_BY_STAFF)
    taken = session.exec(
        select(Account.id).where(
            Account.structure_id == structure_id,
            Account.email == email,
            Account.id != (current.id if current is not None else -1),
        )
    ).first()
    if taken is not None:
        return Outcome(False, MSG_EMAIL_TAKEN)
    account = _login_for(session, now, structure_id, family_id, guardian, email)
    structure = session.get(Structure, structure_id)
    assert structure is not None  # _guardian checked the family's commune
    token = issue_link_token(session, now, account)
    audit.record(
        session,
        now,
        "guardian.invited",
        structure_id=structure_id,
        account_id=by_account_id,
        target=f"account:{account.id}",
        ip=ip,
        guardian=guardian_id,
        by_staff=staff,
    )
    inviter = "" if staff else _name_of(session, by_account_id)
    _send_invitation(mailer, now, structure, email, inviter, password_link(base_url, structure, token))
    return Outcome(
        True, f"Une invitation a été envoyée à {email}. Le lien est valable 24 heures et ne sert qu'une fois."
    )


def _name_of(session: Session, account_id: int | None) -> str:
    account = session.get(Account, account_id) if account_id is not None else None
    guardian = session.get(Guardian, account.guardian_id) if account and account.guardian_id else None
    if guardian is not None:
        return f"{guardian.first_name} {guardian.last_name}".strip()
    return account.email if account is not None else ""


def _send_invitation(mailer: Mailer, now: datetime, structure: Structure, to: str, inviter: str, link: str) -> None:
    who = f"{inviter} vous invite" if inviter else f"{structure.name} vous invite"
    paragraphs = [
        "Bonjour,",
        f"{who} à créer votre propre accès au portail famille de {structure.name} : vous verrez les "
        "mêmes enfants, réserverez et paierez avec le même panier, avec votre propre mot de passe.",
        f"Votre identifiant est votre adresse e-mail : {to}. Cliquez sur le bouton ci-dessous pour choisir "
        "votre mot de passe.",
    ]
    after = [
        "Ce lien est valable 24 heures et ne sert qu'une fois. Passé ce délai, demandez un nouveau lien "
        "depuis la page de connexion, bouton « PREMIÈRE CONNEXION OU MOT DE PASSE OUBLIÉ ».",
        f"{structure.name} — {structure.phone}",
    ]
    mailer.send(
        Mail(
            brand=mail_brand(mailer.settings, structure),
            to=to,
            subject=f"{structure.name} — Invitation : créez votre accès au portail famille",
            text="\n\n".join(paragraphs + [f"Créer le mot de passe : {link}"] + after),
            html=render_html("Votre accès au portail famille", paragraphs, ("Créer le mot de passe", link), after),
            reply_to=structure.email or None,
        ),
        now,
    )


def _close(session: Session, now: datetime, account: Account) -> None:
    """Deactivate a login: its sessions and unused links die in the same transaction."""
    account.active = False
    session.add(account)
    revoke_all_sessions(session, now, row_id(account))
    session.exec(
        update(PasswordToken)
        .where(
            col(PasswordToken.account_id) == row_id(account),
            col(PasswordToken.used_at).is_(None),
            col(PasswordToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )


def remove_access(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    family_id: int,
    account_id: int,
    by_account_id: int,
    ip: str = "",
) -> Outcome:
    """Staff: remove one guardian's login (separated parents); the other logins are untouched."""
    _family(session, structure_id, family_id)
    account = session.get(Account, account_id)
    if account is None or account.family_id != family_id or account.role != AccountRole.PARENT:
        raise NotYourFamily("compte inconnu")
    if not account.active:
        return Outcome(True, "Cet accès était déjà retiré.")
    _close(session, now, account)
    audit.record(
        session,
        now,
        "guardian.access_removed",
        structure_id=structure_id,
        account_id=by_account_id,
        target=f"account:{account_id}",
        ip=ip,
    )
    return Outcome(
        True, f"L'accès de {account.email} a été retiré : ses sessions sont fermées. Les autres accès restent."
    )


def leave(
    session: Session, now: datetime, *, structure_id: int, family_id: int, account_id: int, ip: str = ""
) -> Outcome:
    """A guardian removes their own login; refused for the family's last login with a password."""
    _family(session, structure_id, family_id)
    account = session.get(Account, account_id)
    if account is None or account.family_id != family_id or not account.active:
        raise NotYourFamily("compte inconnu")
    others = [a for a in family_accounts(session, family_id) if a.id != account_id and a.active and a.password_hash]
    if not others:
        return Outcome(False, MSG_LAST_LOGIN)
    _close(session, now, account)
    audit.record(
        session,
        now,
        "guardian.left",
        structure_id=structure_id,
        account_id=account_id,
        target=f"account:{account_id}",
        ip=ip,
    )
    return Outcome(True, MSG_LEFT)


def login_names(session: Session, family_id: int) -> dict[int, str]:
    """account id → the guardian's first name, when the family has two logins or more (else empty:
    « réservé par … » only helps when somebody else may have booked)."""
    accounts = [a for a in family_accounts(session, family_id) if a.password_hash or not a.active]
    if len(accounts) < 2:
        return {}
    names = {}
    for account in accounts:
        guardian = session.get(Guardian, account.guardian_id) if account.guardian_id else None
        names[row_id(account)] = guardian.first_name if guardian and guardian.first_name else account.email
    return names


def ticket_addresses(session: Session, family_id: int, payer_id: int | None) -> list[str]:
    """Who receives a payment's ticket: the login that paid, and every other active login that
    asked for the other guardian's tickets too (Préférences). A payment without a payer (the
    counter, older payments) goes to the family's first active login, as before issue 20."""
    active = [a for a in family_accounts(session, family_id) if a.active]
    if not active:
        return []
    payer = next((a for a in active if a.id == payer_id), active[0])
    return [payer.email] + [a.email for a in active if a is not payer and a.mail_all_payments and a.password_hash]


def notice_accounts(session: Session, family_id: int) -> list[Account]:
    """The active logins that receive the commune's closure notices (each login's choice)."""
    return [a for a in family_accounts(session, family_id) if a.active and a.mail_notices]
