"""Guide section 2: a guardian's tab, validated and saved by the parents; a change of the login
e-mail follows the account after re-authentication. See ``family.py`` for the common rules.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from cantine_portal.french import format_paris_datetime
from cantine_portal.infra.mail import Mail, Mailer, render_html
from cantine_portal.models import (
    Account,
    Guardian,
    PasswordToken,
    Structure,
    row_id,
)
from cantine_portal.services.accounts import throttle
from cantine_portal.services.accounts.hashing import verify_password
from cantine_portal.services.accounts.login import blocked_message
from cantine_portal.services.families.family import (
    CIVILITIES,
    MSG_CONFLICT,
    MSG_INVALID,
    MSG_SAVED,
    EditingClosed,
    NotYourFamily,
    SaveResult,
    _owned,
    _structure,
    write_if_version,
)

# Re-exported (``X as X``): callers read the field lists and value types from this module.
from cantine_portal.services.families.fields import (
    GUARDIAN_FIELDS,
    PHONE_FIELDS,
    GuardianField,
    GuardianValues,
)
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.branding import mail_brand
from cantine_portal.services.shared.validation import (
    email_error,
    normalize_email,
    normalize_phone,
    phone_error,
    postal_code_error,
    required_error,
    too_long_error,
)

MSG_PASSWORD_NEEDED = "Pour changer l'adresse e-mail de connexion, saisissez votre mot de passe actuel."
MSG_PASSWORD_WRONG = "Mot de passe incorrect."
MSG_EMAIL_TAKEN = "Cette adresse e-mail est déjà utilisée par un autre compte de la commune."


_GUARDIAN_LIMITS: dict[GuardianField, int] = {
    "civility": 10,
    "last_name": 80,
    "first_name": 80,
    "relationship": 40,
    "email": 254,
    "address_line": 200,
    "city": 120,
    "employer": 120,
}


def validate_guardian(values: dict[str, str]) -> tuple[GuardianValues, dict[str, str]]:
    """(clean values to store, errors by field). Phones normalised, e-mail trimmed."""

    def text(name: GuardianField) -> str:
        return str(values.get(name, "") or "").strip()

    clean = GuardianValues(
        civility=text("civility"),
        last_name=text("last_name"),
        first_name=text("first_name"),
        relationship=text("relationship"),
        email=text("email"),
        mobile=text("mobile"),
        phone_home=text("phone_home"),
        phone_work=text("phone_work"),
        address_line=text("address_line"),
        postal_code=text("postal_code"),
        city=text("city"),
        employer=text("employer"),
    )
    errors: dict[str, str] = {}
    for name, limit in _GUARDIAN_LIMITS.items():
        if message := too_long_error(clean[name], limit):
            errors[name] = message
    required: tuple[GuardianField, ...] = ("last_name", "first_name")
    for name in required:
        if message := required_error(clean[name]):
            errors[name] = message
    if clean["civility"] not in CIVILITIES:
        errors["civility"] = "Choisissez Mme ou M."
    if message := email_error(clean["email"]):
        errors["email"] = message
    for name in PHONE_FIELDS:
        if message := phone_error(clean[name]):
            errors[name] = message
        else:
            clean[name] = normalize_phone(clean[name]) or ""
    if message := postal_code_error(clean["postal_code"]):
        errors["postal_code"] = message
    return clean, errors


def _notify_login_change(mailer: Mailer, now: datetime, structure: Structure, old: str, new: str) -> None:
    paragraphs = [
        "Bonjour,",
        f"L'adresse e-mail de connexion à votre portail famille de {structure.name} a été modifiée le "
        f"{format_paris_datetime(now)}. Votre nouvel identifiant est : {new}.",
    ]
    after = [
        "Ce message est envoyé à votre ancienne adresse. Si vous n'êtes pas à l'origine de ce changement, "
        f"contactez immédiatement votre structure ({structure.phone}, {structure.email})."
    ]
    mailer.send(
        Mail(
            brand=mail_brand(mailer.settings, structure),
            to=old,
            subject=f"{structure.name} — Votre adresse de connexion a été modifiée",
            text="\n\n".join(paragraphs + after),
            html=render_html("Adresse de connexion modifiée", paragraphs, None, after),
        ),
        now,
    )


MSG_OTHER_LOGIN = (
    "Cette adresse sert à l'autre responsable pour se connecter : lui seul peut la modifier (ou votre structure)."
)


def _login_of(session: Session, structure_id: int, family_id: int, old_email: str, new_email: str) -> Account | None:
    """The family's login whose e-mail is this guardian's, when the guardian's e-mail changes."""
    if not old_email or new_email == old_email:
        return None
    return session.exec(
        select(Account).where(
            Account.structure_id == structure_id, Account.family_id == family_id, Account.email == old_email
        )
    ).first()


def _login_email_error(
    session: Session, structure_id: int, login_account: Account, new_email: str, account_id: int | None
) -> str | None:
    """Why the login's e-mail cannot move to ``new_email`` (None: it can)."""
    if login_account.id != account_id and login_account.password_hash:
        # Two guardians, two logins (issue 20): nobody moves the other's login to an address of theirs.
        return MSG_OTHER_LOGIN
    if not new_email:
        return "Cette adresse sert à vous connecter : elle est obligatoire."
    taken = session.exec(
        select(Account.id).where(
            Account.structure_id == structure_id, Account.email == new_email, Account.id != login_account.id
        )
    ).first()
    return MSG_EMAIL_TAKEN if taken is not None else None


def _password_refusal(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    family_id: int,
    account_id: int | None,
    guardian_id: int,
    current_password: str,
    ip: str,
) -> SaveResult | None:
    """A login e-mail moves only after the acting parent's current password (throttled like the login)."""
    actor = session.get(Account, account_id) if account_id is not None else None
    if not current_password:
        return SaveResult(False, MSG_PASSWORD_NEEDED, errors={"current_password": MSG_PASSWORD_NEEDED})
    if actor is None or actor.family_id != family_id:
        raise NotYourFamily("compte inconnu")
    verdict = throttle.check_login(session, structure_id, actor.email, ip, now)
    if not verdict.allowed:
        assert verdict.retry_at is not None  # a refusal always says until when
        message = blocked_message(verdict.retry_at)
        return SaveResult(False, message, errors={"current_password": message})
    if verify_password(current_password, actor.password_hash):
        return None
    for scope in throttle.login_scopes(actor.email, ip):
        throttle.record(session, structure_id, scope, now)
    audit.record(
        session,
        now,
        "guardian.email_change_refused",
        structure_id=structure_id,
        account_id=account_id,
        target=f"guardian:{guardian_id}",
        ip=ip,
    )
    return SaveResult(False, MSG_PASSWORD_WRONG, errors={"current_password": MSG_PASSWORD_WRONG})


def _move_login(
    session: Session,
    now: datetime,
    saved: SaveResult,
    *,
    structure: Structure,
    login_account: Account,
    old_email: str,
    new_email: str,
    account_id: int | None,
    mailer: Mailer | None,
    ip: str,
) -> None:
    """The login follows its guardian's new e-mail; the old address is warned, unused links die."""
    login_account.email = new_email
    session.add(login_account)
    session.exec(
        update(PasswordToken)
        .where(
            col(PasswordToken.account_id) == row_id(login_account),
            col(PasswordToken.used_at).is_(None),
            col(PasswordToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    audit.record(
        session,
        now,
        "account.email_changed",
        structure_id=structure.id,
        account_id=account_id,
        target=f"account:{login_account.id}",
        ip=ip,
        before=old_email,
        after=new_email,
    )
    if mailer is not None:
        _notify_login_change(mailer, now, structure, old_email, new_email)
    saved.notes.append(
        f"Votre identifiant de connexion est désormais {new_email}. Un message a été envoyé à l'ancienne adresse."
    )
    if login_account.id == account_id:
        saved.new_login_email = new_email


def save_guardian(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    family_id: int,
    account_id: int | None,
    guardian_id: int,
    expected_version: int,
    values: dict[str, str],
    current_password: str = "",
    mailer: Mailer | None = None,
    ip: str = "",
) -> SaveResult:
    """Save one guardian's tab. The caller commits (``write_session``).

    Raises ``NotYourFamily`` for a guardian outside the family, ``EditingClosed`` when the commune
    does not allow edits. A guardian whose e-mail is a login moves that login too, after the
    acting parent's password; another guardian's login with a password is theirs alone.
    """
    structure = _structure(session, structure_id)
    guardian = _owned(session, Guardian, structure_id, family_id, guardian_id, "responsable inconnu")
    if not structure.allow_family_edit:
        raise EditingClosed()
    if guardian.version != expected_version:
        return SaveResult(False, MSG_CONFLICT, conflict=True)
    clean, errors = validate_guardian(values)
    old_email, new_email = normalize_email(guardian.email), normalize_email(clean["email"])
    login_account = _login_of(session, structure_id, family_id, old_email, new_email)
    if login_account is not None and "email" not in errors:
        if message := _login_email_error(session, structure_id, login_account, new_email, account_id):
            errors["email"] = message
    if errors:
        return SaveResult(False, MSG_INVALID, errors=errors)
    if login_account is not None and (
        refusal := _password_refusal(
            session,
            now,
            structure_id=structure_id,
            family_id=family_id,
            account_id=account_id,
            guardian_id=guardian_id,
            current_password=current_password,
            ip=ip,
        )
    ):
        return refusal
    return _write_guardian(
        session, now, guardian, expected_version, clean, structure, login_account, account_id, mailer, ip
    )


def _write_guardian(
    session: Session,
    now: datetime,
    guardian: Guardian,
    expected_version: int,
    clean: GuardianValues,
    structure: Structure,
    login_account: Account | None,
    account_id: int | None,
    mailer: Mailer | None,
    ip: str,
) -> SaveResult:
    """The compare-and-set write of the changed fields, its audit entry, then the login's move."""
    changes = {
        name: [getattr(guardian, name), clean[name]]
        for name in GUARDIAN_FIELDS
        if (getattr(guardian, name) or "") != clean[name]
    }
    if not changes:
        return SaveResult(True, MSG_SAVED, version=guardian.version)
    old_email = normalize_email(guardian.email)
    if not write_if_version(
        session, guardian, expected_version, {name: after for name, (_before, after) in changes.items()}
    ):
        return SaveResult(False, MSG_CONFLICT, conflict=True)
    audit.record(
        session,
        now,
        "guardian.updated",
        structure_id=structure.id,
        account_id=account_id,
        target=f"guardian:{guardian.id}",
        ip=ip,
        changes=changes,
    )
    saved = SaveResult(True, MSG_SAVED, version=expected_version + 1)
    if login_account is not None:
        _move_login(
            session,
            now,
            saved,
            structure=structure,
            login_account=login_account,
            old_email=old_email,
            new_email=normalize_email(clean["email"]),
            account_id=account_id,
            mailer=mailer,
            ip=ip,
        )
    return saved
