"""First-connection and forgotten-password links: invitations, link requests, token checks and
setting the password.

Answers never reveal whether an e-mail address has an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from cantine_portal.french import format_paris_datetime, format_paris_time
from cantine_portal.infra.mail import Mail, Mailer, render_html
from cantine_portal.models import Account, PasswordToken, Structure, row_id
from cantine_portal.services.accounts import throttle
from cantine_portal.services.accounts.hashing import hash_password, new_token, token_digest
from cantine_portal.services.accounts.login import account_by_email, normalize_email
from cantine_portal.services.accounts.passwords import PasswordCheck, check_password
from cantine_portal.services.accounts.sessions import revoke_all_sessions
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.branding import mail_brand

TOKEN_LIFETIME = timedelta(hours=24)


MSG_LINK_SENT = (
    "Si un compte correspond à cette adresse, vous allez recevoir un e-mail contenant le lien "
    "« Créer le mot de passe », valable 24 heures. Pensez à consulter vos courriers indésirables (spams)."
)


@dataclass(frozen=True)
class LinkRequestResult:
    message: str
    sent: bool = False
    retry_at: datetime | None = None


def password_link(base_url: str, structure: Structure, token: str) -> str:
    return f"{base_url}/{structure.slug}/mot-de-passe/creer?jeton={token}"


def issue_link_token(session: Session, now: datetime, account: Account) -> str:
    """A fresh link token (only its hash is stored); earlier unused ones are revoked."""
    # A new link revokes the earlier ones: only the latest e-mail works.
    account_id = row_id(account)
    session.exec(
        update(PasswordToken)
        .where(
            col(PasswordToken.account_id) == account_id,
            col(PasswordToken.used_at).is_(None),
            col(PasswordToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    token = new_token()
    session.add(
        PasswordToken(
            account_id=account_id, token_hash=token_digest(token), created_at=now, expires_at=now + TOKEN_LIFETIME
        )
    )
    return token


def send_invitation(
    session: Session,
    now: datetime,
    structure: Structure,
    account: Account,
    mailer: Mailer,
    base_url: str,
    *,
    by_account_id: int | None = None,
) -> None:
    """The commune invites a family to its portal: a first-connection link, invitation wording.

    Sent by the back office (one family, or every family of a CSV import); not throttled, since
    only a staff member can trigger it. The caller commits.
    """
    token = issue_link_token(session, now, account)
    audit.record(
        session,
        now,
        "password_link.invitation",
        structure_id=structure.id,
        account_id=by_account_id,
        target=f"account:{account.id}",
    )
    link = password_link(base_url, structure, token)
    paragraphs = [
        "Bonjour,",
        f"{structure.name} ouvre pour votre famille un compte sur son portail famille : vous pourrez y "
        "réserver les repas et les accueils de vos enfants, payer en ligne et retrouver vos reçus.",
        f"Votre identifiant est votre adresse e-mail : {account.email}. Cliquez sur le bouton ci-dessous pour "
        "choisir votre mot de passe.",
    ]
    after = [
        "Ce lien est valable 24 heures et ne sert qu'une fois. Passé ce délai, demandez un nouveau lien "
        f"depuis {base_url}/{structure.slug}/connexion, bouton « PREMIÈRE CONNEXION OU MOT DE PASSE OUBLIÉ ».",
        f"{structure.name} — {structure.phone}",
    ]
    mailer.send(
        Mail(
            brand=mail_brand(mailer.settings, structure),
            to=account.email,
            subject=f"{structure.name} — Votre portail famille : créez votre mot de passe",
            text="\n\n".join(paragraphs + [f"Créer le mot de passe : {link}"] + after),
            html=render_html("Bienvenue sur votre portail famille", paragraphs, ("Créer le mot de passe", link), after),
            reply_to=structure.email or None,
        ),
        now,
    )


def request_password_link(
    session: Session, now: datetime, structure: Structure, email: str, mailer: Mailer, base_url: str, ip: str = ""
) -> LinkRequestResult:
    """PREMIÈRE CONNEXION OU MOT DE PASSE OUBLIÉ: same answer whether or not the account exists."""
    email = normalize_email(email)
    structure_id = row_id(structure)
    verdict = throttle.check_link_request(session, structure_id, email, ip, now)
    if not verdict.allowed:
        assert verdict.retry_at is not None  # a refusal always says when to retry
        return LinkRequestResult(
            f"Trop de demandes pour le moment. Réessayez à partir de {format_paris_time(verdict.retry_at)}.",
            retry_at=verdict.retry_at,
        )
    throttle.record(session, structure_id, f"link:account:{email}", now)
    throttle.record(session, structure_id, f"link:ip:{ip}", now)
    account = account_by_email(session, structure_id, email)
    if account is None or not account.active:
        audit.record(session, now, "password_link.unknown", structure_id=structure_id, ip=ip)
        return LinkRequestResult(MSG_LINK_SENT)
    token = issue_link_token(session, now, account)
    audit.record(session, now, "password_link.sent", structure_id=structure_id, account_id=account.id, ip=ip)
    link = password_link(base_url, structure, token)
    first_time = account.password_hash is None
    intro = (
        "Vous avez demandé à accéder au portail famille de "
        if first_time
        else "Vous avez demandé à changer votre mot de passe du portail famille de "
    )
    paragraphs = [
        "Bonjour,",
        intro + structure.name + ". Cliquez sur le bouton ci-dessous pour choisir votre mot de passe.",
    ]
    after = [
        "Attention : ce lien est valable 24 heures et ne peut servir qu'une fois.",
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe ne change pas.",
        f"{structure.name} — {structure.phone}",
    ]
    mailer.send(
        Mail(
            brand=mail_brand(mailer.settings, structure),
            to=account.email,
            subject=f"{structure.name} — Créer le mot de passe de votre portail famille",
            text="\n\n".join(paragraphs + [f"Créer le mot de passe : {link}"] + after),
            html=render_html("Créer le mot de passe", paragraphs, ("Créer le mot de passe", link), after),
        ),
        now,
    )
    return LinkRequestResult(MSG_LINK_SENT, sent=True)


def valid_token(session: Session, now: datetime, structure: Structure, token: str | None) -> PasswordToken | None:
    if not token or len(token) > 200:
        return None
    row = session.exec(
        select(PasswordToken, Account)
        .join(Account, col(Account.id) == col(PasswordToken.account_id))
        .where(PasswordToken.token_hash == token_digest(token))
    ).first()
    if row is None:
        return None
    stored, account = row
    if (
        stored.used_at is not None
        or stored.revoked_at is not None
        or now >= stored.expires_at
        or account.structure_id != structure.id
        or not account.active
    ):
        return None
    return stored


def token_account_email(session: Session, stored: PasswordToken) -> str:
    account = session.get(Account, stored.account_id)
    return account.email if account else ""


@dataclass(frozen=True)
class SetPasswordResult:
    ok: bool
    message: str
    check: PasswordCheck | None = None


MSG_LINK_INVALID = (
    "Ce lien n'est plus valable : il a expiré (24 heures), a déjà servi ou a été remplacé par "
    "un lien plus récent. Demandez un nouveau lien."
)


def set_password_with_token(
    session: Session, now: datetime, structure: Structure, token: str, password: str, mailer: Mailer, ip: str = ""
) -> SetPasswordResult:
    stored = valid_token(session, now, structure, token)
    if stored is None:
        return SetPasswordResult(False, MSG_LINK_INVALID)
    account = session.get(Account, stored.account_id)
    if account is None:  # valid_token() joined the account: it exists
        return SetPasswordResult(False, MSG_LINK_INVALID)
    check = check_password(password, account.email)
    if not check.ok:
        return SetPasswordResult(False, " ".join(check.errors) or "Mot de passe refusé.", check)
    first_time = account.password_hash is None
    account.password_hash = hash_password(password)
    account.password_changed_at = now
    stored.used_at = now
    session.add(account)
    session.add(stored)
    revoke_all_sessions(session, now, row_id(account))
    throttle.clear(session, row_id(structure), f"login:account:{account.email}")
    audit.record(
        session,
        now,
        "password.set" if first_time else "password.changed",
        structure_id=structure.id,
        account_id=account.id,
        ip=ip,
    )
    when = format_paris_datetime(now)
    paragraphs = [
        "Bonjour,",
        f"Le mot de passe de votre portail famille de {structure.name} a été "
        f"{'créé' if first_time else 'modifié'} le {when}.",
    ]
    after = [
        "Si vous n'êtes pas à l'origine de ce changement, contactez immédiatement votre mairie "
        f"({structure.phone}, {structure.email}) et demandez un nouveau lien depuis la page de connexion."
    ]
    mailer.send(
        Mail(
            brand=mail_brand(mailer.settings, structure),
            to=account.email,
            subject=f"{structure.name} — Votre mot de passe a été {'créé' if first_time else 'modifié'}",
            text="\n\n".join(paragraphs + after),
            html=render_html("Mot de passe enregistré", paragraphs, None, after),
        ),
        now,
    )
    return SetPasswordResult(True, "Votre mot de passe a été enregistré. Vous pouvez maintenant vous connecter.")
