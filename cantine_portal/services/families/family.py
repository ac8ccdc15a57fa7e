"""Guide section 2: the family's guardians and children, read and saved by the parents.

This module reads them and holds the common checks and results; saves live in ``guardians.py``
and ``children.py``.

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
from typing import TypeVar

from sqlalchemy import update
from sqlmodel import Session, col, select

from cantine_portal.models import (
    Account,
    Child,
    Enrollment,
    Family,
    Guardian,
    Service,
    Structure,
    row_id,
)

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
from cantine_portal.services.shared.validation import (
    format_phone,
    normalize_email,
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
