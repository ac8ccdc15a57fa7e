"""Guide section 2: a child's tab (identity, diet, PAI, services), validated and saved by the
parents. See ``family.py`` for the common rules.

Health data (PAI and its notes) never reaches the audit log or an e-mail: only the field names.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, func, select

from cantine_portal.french import PARIS
from cantine_portal.models import (
    Basket,
    BasketStatus,
    Child,
    Enrollment,
    Reservation,
    ReservationStatus,
    Service,
)
from cantine_portal.services.families.family import (
    MSG_CONFLICT,
    MSG_INVALID,
    MSG_SAVED,
    EditingClosed,
    NotYourFamily,
    SaveResult,
    _owned,
    _structure,
    active_services,
    diet_choices,
    enrolled_service_ids,
    write_if_version,
)

# Re-exported (``X as X``): callers read the field lists and value types from this module.
from cantine_portal.services.families.fields import (
    CHILD_FIELDS,
    HEALTH_FIELDS,
    ChildValues,
)
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.validation import (
    required_error,
    too_long_error,
)

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

    changes: dict[str, list[Any]] = {
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
    audit.record(
        session,
        now,
        "child.updated",
        structure_id=structure_id,
        account_id=account_id,
        target=f"child:{child_id}",
        ip=ip,
        **_audit_details(changes, [offered[i].name for i in added], [offered[i].name for i in removed]),
    )
    return SaveResult(True, MSG_SAVED, notes=notes, version=expected_version + 1)


def _audit_details(changes: dict[str, list[Any]], added: list[str], removed: list[str]) -> dict[str, object]:
    """What the audit trail keeps of a child's save: before/after of ordinary fields, only the
    names of the health fields changed (their values are sensitive data), the services added and
    removed by name."""
    details: dict[str, object] = {
        "changes": {name: before_after for name, before_after in changes.items() if name not in HEALTH_FIELDS},
    }
    health = sorted(name for name in changes if name in HEALTH_FIELDS)
    if health:
        details["health_fields_changed"] = health
    if added:
        details["services_added"] = added
    if removed:
        details["services_removed"] = removed
    return details
