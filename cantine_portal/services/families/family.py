"""Guide section 2: the family's guardians and children, read and saved by the parents.

Every function takes the DB session, ``now`` and the acting family and commune, and re-checks
that the guardian or child belongs to them: an id forged by a client is refused with
``NotYourFamily``. A closed toggle (``allow_family_edit`` / ``allow_children_edit``) is refused
with ``EditingClosed`` whatever the page showed.

Saves are optimistic: the caller passes the ``version`` it displayed, and the row is written
with ``UPDATE … WHERE id = ? AND version = ?`` so that two guardians saving at once (even from
two server processes) cannot overwrite each other silently.

Health data (PAI and its notes) never reaches the audit log or an e-mail: only the field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import delete, update
from sqlmodel import Session, col, func, select

from cantine_portal.french import PARIS, format_paris_datetime
from cantine_portal.infra.mail import Mail, Mailer, render_html
from cantine_portal.models import (
    Account,
    Basket,
    BasketStatus,
    Child,
    Enrollment,
    Family,
    Guardian,
    Reservation,
    ReservationStatus,
    Service,
    Structure,
    row_id,
)
from cantine_portal.services.accounts import throttle
from cantine_portal.services.accounts.hashing import verify_password
from cantine_portal.services.accounts.login import blocked_message

# Re-exported (``X as X``): callers read the field lists and value types from this module.
from cantine_portal.services.families.fields import (
    CHILD_FIELDS as CHILD_FIELDS,
)
from cantine_portal.services.families.fields import (
    GUARDIAN_FIELDS as GUARDIAN_FIELDS,
)
from cantine_portal.services.families.fields import (
    HEALTH_FIELDS as HEALTH_FIELDS,
)
from cantine_portal.services.families.fields import (
    PHONE_FIELDS as PHONE_FIELDS,
)
from cantine_portal.services.families.fields import (
    ChildValues as ChildValues,
)
from cantine_portal.services.families.fields import (
    GuardianField as GuardianField,
)
from cantine_portal.services.families.fields import (
    GuardianValues as GuardianValues,
)
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.branding import mail_brand
from cantine_portal.services.shared.validation import (
    email_error,
    format_phone,
    normalize_email,
    normalize_phone,
    phone_error,
    postal_code_error,
    required_error,
    too_long_error,
)

MSG_SAVED = "Les informations ont été enregistrées."
MSG_CONFLICT = (
    "Ces informations ont été modifiées entre-temps (par l'autre responsable ?). Elles ont été "
    "rechargées : vérifiez-les puis enregistrez à nouveau."
)
MSG_CLOSED = (
    "La modification de ces informations n'est pas ouverte en ligne par votre structure. Pour toute "
    "demande de modification, contactez votre structure."
)
MSG_INVALID = "Certaines informations sont à corriger : voir les messages sous les champs concernés."
MSG_PASSWORD_NEEDED = "Pour changer l'adresse e-mail de connexion, saisissez votre mot de passe actuel."
MSG_PASSWORD_WRONG = "Mot de passe incorrect."
MSG_EMAIL_TAKEN = "Cette adresse e-mail est déjà utilisée par un autre compte de la commune."

_Member = TypeVar("_Member", Guardian, Child)

CIVILITIES = ("", "Mme", "M.")
NO_DIET_LABEL = "Aucun"


class NotYourFamily(PermissionError):
    """The guardian, child or service does not belong to the acting family or commune."""


class EditingClosed(PermissionError):
    """The commune does not allow this edit online."""

    def __init__(self, message: str = MSG_CLOSED) -> None:
        super().__init__(message)


@dataclass
class SaveResult:
    ok: bool
    message: str = ""
    # field name → French message, shown next to the field
    errors: dict[str, str] = field(default_factory=dict)
    conflict: bool = False
    # extra information for the parent (kept reservations, …)
    notes: list[str] = field(default_factory=list)
    version: int | None = None
    # the acting account's login e-mail changed to this address
    new_login_email: str | None = None


# --- reading ---------------------------------------------------------------------------------


def _structure(session: Session, structure_id: int) -> Structure:
    structure = session.get(Structure, structure_id)
    if structure is None:
        raise NotYourFamily("commune inconnue")
    return structure


def _check_family(session: Session, structure_id: int, family_id: int) -> Family:
    family = session.get(Family, family_id)
    if family is None or family.structure_id != structure_id:
        raise NotYourFamily("famille inconnue")
    return family


def _owned(
    session: Session, model: type[_Member], structure_id: int, family_id: int, row_id: int, unknown: str
) -> _Member:
    """The family's guardian or child ``row_id``; NotYourFamily(unknown) for anyone else's (forged id)."""
    _check_family(session, structure_id, family_id)
    row = session.get(model, row_id)
    if row is None or row.family_id != family_id:
        raise NotYourFamily(unknown)
    return row


def write_if_version(session: Session, row: Guardian | Child, version: int, values: dict[str, object]) -> bool:
    """Writes ``values`` with ``UPDATE … WHERE id = ? AND version = ?`` (see the module doc).

    False when another save changed the row first: nothing is written. The row is expired either
    way, so that it reads what the database now holds.
    """
    model = type(row)
    result = session.exec(
        update(model)
        .where(col(model.id) == row.id, col(model.version) == version)
        .values(**values, version=version + 1)
    )
    session.expire(row)
    return result.rowcount == 1


def family_edit_allowed(session: Session, structure_id: int) -> bool:
    return bool(_structure(session, structure_id).allow_family_edit)


def children_edit_allowed(session: Session, structure_id: int) -> bool:
    return bool(_structure(session, structure_id).allow_children_edit)


def guardians_of(session: Session, structure_id: int, family_id: int) -> list[Guardian]:
    _check_family(session, structure_id, family_id)
    return list(
        session.exec(
            select(Guardian).where(Guardian.family_id == family_id).order_by(col(Guardian.position), col(Guardian.id))
        )
    )


def children_of(session: Session, structure_id: int, family_id: int) -> list[Child]:
    _check_family(session, structure_id, family_id)
    return list(
        session.exec(select(Child).where(Child.family_id == family_id).order_by(col(Child.position), col(Child.id)))
    )


def active_services(session: Session, structure_id: int) -> list[Service]:
    return list(
        session.exec(
            select(Service)
            .where(Service.structure_id == structure_id, Service.active)
            .order_by(col(Service.position), col(Service.id))
        )
    )


def enrolled_service_ids(session: Session, child_id: int) -> set[int]:
    return set(session.exec(select(Enrollment.service_id).where(Enrollment.child_id == child_id)))


def diet_choices(session: Session, structure_id: int) -> list[str]:
    """The commune's diets, one per line in ``Structure.diets``."""
    raw = _structure(session, structure_id).diets or ""
    return [line.strip() for line in raw.splitlines() if line.strip()]


def login_guardian_ids(session: Session, family_id: int) -> dict[int, str]:
    """Guardians whose e-mail is the login of one of the family's accounts: guardian id → account e-mail."""
    emails = {a.email for a in session.exec(select(Account).where(Account.family_id == family_id))}
    return {
        row_id(g): normalize_email(g.email)
        for g in session.exec(select(Guardian).where(Guardian.family_id == family_id))
        if g.email and normalize_email(g.email) in emails
    }


def guardian_form_values(guardian: Guardian) -> dict[str, str]:
    """What the form shows: stored values, phones formatted the French way."""
    values: dict[str, str] = {name: str(getattr(guardian, name) or "") for name in GUARDIAN_FIELDS}
    for name in PHONE_FIELDS:
        values[name] = format_phone(values[name])
    return values


def child_form_values(child: Child) -> dict[str, str]:
    return {
        "last_name": child.last_name,
        "first_name": child.first_name,
        "birth_date": child.birth_date.isoformat() if child.birth_date else "",
        "birth_date_fr": child.birth_date.strftime("%d/%m/%Y") if child.birth_date else "",
        "school": child.school,
        "class_name": child.class_name,
        "diet": child.diet,
        "pai": "1" if child.pai else "",
        "pai_notes": child.pai_notes or "",
    }


# --- guardians -------------------------------------------------------------------------------

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
    does not allow edits.
    """
    structure = _structure(session, structure_id)
    guardian = _owned(session, Guardian, structure_id, family_id, guardian_id, "responsable inconnu")
    if not structure.allow_family_edit:
        raise EditingClosed()
    if guardian.version != expected_version:
        return SaveResult(False, MSG_CONFLICT, conflict=True)
    clean, errors = validate_guardian(values)

    # Is this guardian's e-mail somebody's login? Then the account follows, after re-authentication.
    old_email = normalize_email(guardian.email)
    new_email = normalize_email(clean["email"])
    login_account = None
    if old_email and new_email != old_email:
        login_account = session.exec(
            select(Account).where(
                Account.structure_id == structure_id, Account.family_id == family_id, Account.email == old_email
            )
        ).first()
    if login_account is not None and "email" not in errors:
        if not new_email:
            errors["email"] = "Cette adresse sert à vous connecter : elle est obligatoire."
        else:
            taken = session.exec(
                select(Account.id).where(
                    Account.structure_id == structure_id, Account.email == new_email, Account.id != login_account.id
                )
            ).first()
            if taken is not None:
                errors["email"] = MSG_EMAIL_TAKEN
    if errors:
        return SaveResult(False, MSG_INVALID, errors=errors)
    if login_account is not None:
        actor = session.get(Account, account_id) if account_id is not None else None
        if not current_password:
            return SaveResult(False, MSG_PASSWORD_NEEDED, errors={"current_password": MSG_PASSWORD_NEEDED})
        if actor is None or actor.family_id != family_id:
            raise NotYourFamily("compte inconnu")
        # The password asked here counts against the same limits as the login form.
        verdict = throttle.check_login(session, structure_id, actor.email, ip, now)
        if not verdict.allowed:
            assert verdict.retry_at is not None  # a refusal always says until when
            message = blocked_message(verdict.retry_at)
            return SaveResult(False, message, errors={"current_password": message})
        if not verify_password(current_password, actor.password_hash):
            for scope in throttle.login_scopes(actor.email, ip):
                throttle.record(session, structure_id, scope, now)
            audit.record(
                session,
                now,
                "guardian.email_change_refused",
                structure_id=structure_id,
                account_id=account_id,
                target=f"guardian:{guardian.id}",
                ip=ip,
            )
            return SaveResult(False, MSG_PASSWORD_WRONG, errors={"current_password": MSG_PASSWORD_WRONG})

    changes = {
        name: [getattr(guardian, name), clean[name]]
        for name in GUARDIAN_FIELDS
        if (getattr(guardian, name) or "") != clean[name]
    }
    if not changes:
        return SaveResult(True, MSG_SAVED, version=guardian.version)
    if not write_if_version(
        session, guardian, expected_version, {name: after for name, (_before, after) in changes.items()}
    ):
        return SaveResult(False, MSG_CONFLICT, conflict=True)
    audit.record(
        session,
        now,
        "guardian.updated",
        structure_id=structure_id,
        account_id=account_id,
        target=f"guardian:{guardian_id}",
        ip=ip,
        changes=changes,
    )
    saved = SaveResult(True, MSG_SAVED, version=expected_version + 1)
    if login_account is not None:
        login_account.email = new_email
        session.add(login_account)
        audit.record(
            session,
            now,
            "account.email_changed",
            structure_id=structure_id,
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
    return saved


# --- children --------------------------------------------------------------------------------

_CHILD_LIMITS = {"last_name": 80, "first_name": 80, "school": 120, "class_name": 40, "diet": 60, "pai_notes": 4000}


def validate_child(
    values: dict[str, str], diets: list[str], current_diet: str, today: date
) -> tuple[ChildValues, dict[str, str]]:
    """(clean values to store, errors by field)."""
    text: dict[str, str] = {name: str(values.get(name, "") or "").strip() for name in CHILD_FIELDS}
    errors: dict[str, str] = {}
    for name, limit in _CHILD_LIMITS.items():
        if message := too_long_error(text[name], limit):
            errors[name] = message
    for name in ("last_name", "first_name"):
        if message := required_error(text[name]):
            errors[name] = message
    birth: date | None = None
    if text["birth_date"]:
        try:
            birth = date.fromisoformat(text["birth_date"])
        except ValueError:
            errors["birth_date"] = "Saisissez une date au format jj/mm/aaaa."
        else:
            if birth > today or birth.year < today.year - 25:
                errors["birth_date"] = "Cette date de naissance n'est pas plausible."
    # A diet no longer offered may be kept, not chosen anew.
    if text["diet"] and text["diet"] not in diets and text["diet"] != current_diet:
        errors["diet"] = "Choisissez un régime dans la liste."
    pai = text["pai"] in ("1", "true", "True", "oui")
    clean = ChildValues(
        last_name=text["last_name"],
        first_name=text["first_name"],
        birth_date=birth,
        school=text["school"],
        class_name=text["class_name"],
        diet=text["diet"],
        pai=pai,
        pai_notes=text["pai_notes"] if pai else "",
    )
    return clean, errors


def _reservations_word(n: int) -> str:
    return f"{n} réservation" + ("s" if n > 1 else "")


def _unenroll(session: Session, now: datetime, child: Child, service: Service) -> list[str]:
    """Drop the enrollment; paid future days are kept, pending (basket) ones deleted. Returns notes."""
    today = now.astimezone(PARIS).date()
    notes: list[str] = []
    paid = session.exec(
        select(func.count())
        .select_from(Reservation)
        .where(
            Reservation.child_id == child.id,
            Reservation.service_id == service.id,
            Reservation.status == ReservationStatus.PAID,
            Reservation.day >= today,
        )
    ).one()
    if paid:
        if paid == 1:
            sentence = (
                "La réservation déjà payée pour cette prestation est conservée ; vous pouvez l'annuler "
                "depuis Réservations."
            )
        else:
            sentence = (
                f"Les {paid} réservations déjà payées pour cette prestation sont conservées ; vous pouvez "
                "les annuler depuis Réservations."
            )
        notes.append(f"{service.name} : {sentence}")
    # Only pending days of a basket still open: a basket in checkout is frozen while the bank works.
    pending = list(
        session.exec(
            select(Reservation)
            .outerjoin(Basket, col(Basket.id) == col(Reservation.basket_id))
            .where(
                Reservation.child_id == child.id,
                Reservation.service_id == service.id,
                Reservation.status == ReservationStatus.PENDING,
                col(Reservation.basket_id).is_(None) | (col(Basket.status) == BasketStatus.OPEN),
            )
        )
    )
    if pending:
        basket_ids = {r.basket_id for r in pending if r.basket_id is not None}
        session.exec(delete(Reservation).where(col(Reservation.id).in_([r.id for r in pending])))
        for basket_id in basket_ids:
            session.exec(
                update(Basket)
                .where(col(Basket.id) == basket_id)
                .values(version=col(Basket.version) + 1, updated_at=now)
            )
        notes.append(
            f"{_reservations_word(len(pending)).capitalize()} en attente dans votre panier pour la "
            f"prestation « {service.name} » " + ("ont été retirées." if len(pending) > 1 else "a été retirée.")
        )
    session.exec(
        delete(Enrollment).where(col(Enrollment.child_id) == child.id, col(Enrollment.service_id) == service.id)
    )
    return notes


def save_child(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    family_id: int,
    account_id: int | None,
    child_id: int,
    expected_version: int,
    values: dict[str, str],
    service_ids: set[int],
    ip: str = "",
) -> SaveResult:
    """Save one child's tab: identity, diet, PAI and the services it is enrolled in.

    ``service_ids`` is the set of ACTIVE services ticked; enrollments in inactive services are
    left as they are. A service id outside the commune's active services is refused.
    """
    structure = _structure(session, structure_id)
    child = _owned(session, Child, structure_id, family_id, child_id, "enfant inconnu")
    if not structure.allow_children_edit:
        raise EditingClosed()
    offered = {s.id: s for s in active_services(session, structure_id)}
    if not set(service_ids) <= set(offered):
        raise NotYourFamily("prestation inconnue")
    if child.version != expected_version:
        return SaveResult(False, MSG_CONFLICT, conflict=True)
    today = now.astimezone(PARIS).date()
    clean, errors = validate_child(values, diet_choices(session, structure_id), child.diet, today)
    if errors:
        return SaveResult(False, MSG_INVALID, errors=errors)

    changes = {
        name: [getattr(child, name), clean[name]] for name in CHILD_FIELDS if getattr(child, name) != clean[name]
    }
    enrolled = enrolled_service_ids(session, child_id) & set(offered)
    added = sorted(set(service_ids) - enrolled)
    removed = sorted(enrolled - set(service_ids))
    if not changes and not added and not removed:
        return SaveResult(True, MSG_SAVED, version=child.version)
    values_to_write: dict[str, object] = {name: after for name, (_b, after) in changes.items()}
    if not write_if_version(session, child, expected_version, values_to_write):
        return SaveResult(False, MSG_CONFLICT, conflict=True)
    notes: list[str] = []
    for service_id in added:
        session.add(Enrollment(child_id=child_id, service_id=service_id))
    for service_id in removed:
        notes += _unenroll(session, now, child, offered[service_id])
    details: dict[str, object] = {
        "changes": {name: before_after for name, before_after in changes.items() if name not in HEALTH_FIELDS},
    }
    health = sorted(name for name in changes if name in HEALTH_FIELDS)
    if health:
        details["health_fields_changed"] = health
    if added:
        details["services_added"] = [offered[i].name for i in added]
    if removed:
        details["services_removed"] = [offered[i].name for i in removed]
    audit.record(
        session,
        now,
        "child.updated",
        structure_id=structure_id,
        account_id=account_id,
        target=f"child:{child_id}",
        ip=ip,
        **details,
    )
    return SaveResult(True, MSG_SAVED, notes=notes, version=expected_version + 1)
