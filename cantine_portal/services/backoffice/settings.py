"""Back-office « Paramètres »: the commune's identity, booking rules, toggles, diets, payment."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import TypedDict

from sqlmodel import Session

from cantine_portal.config import Settings
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.calendar import PERIOD_MODES, DeadlineRule
from cantine_portal.services.shared.colours import DEFAULT_COLOUR, colour_error, normalise_hex
from cantine_portal.services.shared.payment_availability import Availability, payment_availability
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

SETTINGS_FIELDS = (
    "name",
    "address_line",
    "postal_code",
    "city",
    "phone",
    "email",
    "period_mode",
    "deadline_kind",
    "deadline_weekday",
    "deadline_days_before",
    "deadline_time",
    "allow_family_edit",
    "allow_children_edit",
    "diets",
    "payment_provider",
    "primary_color",
    "reminder_days_before",
    "payfip_numcli",
    "payfip_mode",
    "systempay_site_id",
    "systempay_mode",
    "absence_deadline_time",
    "absence_carence_days",
)
DEADLINE_KINDS = ("weekday_before", "days_before")
DEFAULT_REMINDER_DAYS = 2
PAYMENT_PROVIDERS = ("simulated", "stripe", "payfip", "systempay")
PAYFIP_MODES = {"T": "test", "X": "activation", "W": "production"}
SYSTEMPAY_MODES = ("TEST", "PRODUCTION")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_LIMITS = {"name": 120, "address_line": 200, "city": 120}

MSG_SAVED = "Les paramètres ont été enregistrés."
MSG_INVALID = "Certains paramètres sont à corriger : voir les messages sous les champs concernés."
MSG_SIMULATED_DISABLED = (
    "Le paiement simulé n'encaisse aucune somme : il est désactivé sur ce serveur. Choisissez Stripe."
)
MSG_TEST_MODE_DISABLED = (
    "Le mode test n'encaisse aucune somme : il est désactivé sur ce serveur. "
    "Choisissez le mode activation ou production."
)


class SettingsValues(TypedDict):
    """The Structure columns this page edits, as ``validate_settings`` cleans them."""

    name: str
    address_line: str
    postal_code: str
    city: str
    phone: str
    email: str
    period_mode: str
    deadline_kind: str
    deadline_weekday: int
    deadline_days_before: int
    deadline_time: str
    allow_family_edit: bool
    allow_children_edit: bool
    diets: str
    payment_provider: str
    primary_color: str
    reminder_days_before: int
    payfip_numcli: str
    payfip_mode: str
    systempay_site_id: str
    systempay_mode: str
    absence_deadline_time: str
    absence_carence_days: int


@dataclass
class SettingsResult:
    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)


def settings_values(session: Session, structure_id: int, account_id: int) -> dict[str, str]:
    structure = check_staff(session, structure_id, account_id)
    values = {name: str(getattr(structure, name)) for name in SETTINGS_FIELDS}
    values["phone"] = format_phone(normalize_phone(structure.phone) or structure.phone)
    for name in ("allow_family_edit", "allow_children_edit"):
        values[name] = "1" if getattr(structure, name) else ""
    return values


def payment_status(session: Session, structure_id: int, account_id: int, settings: Settings) -> Availability:
    """Can the commune take payments on this server, and if not why (« Paramètres » shows
    ``staff_message``): the same rule as the parents' basket and « Payer »."""
    return payment_availability(check_staff(session, structure_id, account_id), settings)


def _truthy(value: object) -> bool:
    return str(value) in ("1", "true", "True", "on", "oui")


def validate_settings(values: dict[str, str]) -> tuple[SettingsValues, dict[str, str]]:
    text = {name: str(values.get(name, "") or "").strip() for name in SETTINGS_FIELDS}
    errors: dict[str, str] = {}
    for name, limit in _LIMITS.items():
        if message := too_long_error(text[name], limit):
            errors[name] = message
    errors.update(_contact_errors(text))
    weekday, days, reminder_days, deadline_errors = _deadline_rules(text)
    errors.update(deadline_errors)
    diets = [line.strip() for line in text["diets"].splitlines() if line.strip()]
    if any(len(d) > 60 for d in diets):
        errors["diets"] = "Un régime fait 60 caractères au maximum."
    if text["payment_provider"] not in PAYMENT_PROVIDERS:
        errors["payment_provider"] = "Choisissez le paiement simulé, Stripe, PayFiP ou Systempay."
    errors.update(_online_account_errors(text))
    absence_time, carence, absence_errors = _absence_rules(text)
    errors.update(absence_errors)
    # an emptied field goes back to the portal's blue
    text["primary_color"] = text["primary_color"] or DEFAULT_COLOUR
    if message := colour_error(text["primary_color"]):
        errors["primary_color"] = message
    clean = SettingsValues(
        name=text["name"],
        address_line=text["address_line"],
        postal_code=text["postal_code"],
        city=text["city"],
        phone=format_phone(normalize_phone(text["phone"]) or ""),
        email=normalize_email(text["email"]),
        period_mode=text["period_mode"],
        deadline_kind=text["deadline_kind"],
        deadline_weekday=weekday,
        deadline_days_before=days,
        deadline_time=text["deadline_time"],
        allow_family_edit=_truthy(values.get("allow_family_edit")),
        allow_children_edit=_truthy(values.get("allow_children_edit")),
        diets="\n".join(dict.fromkeys(diets)),
        payment_provider=text["payment_provider"],
        primary_color=normalise_hex(text["primary_color"]) or text["primary_color"][:7],
        reminder_days_before=reminder_days,
        payfip_numcli=text["payfip_numcli"],
        payfip_mode=text["payfip_mode"] or "T",
        systempay_site_id=text["systempay_site_id"],
        systempay_mode=text["systempay_mode"] or "TEST",
        absence_deadline_time=absence_time,
        absence_carence_days=carence,
    )
    return clean, errors


def _contact_errors(text: dict[str, str]) -> dict[str, str]:
    """The commune's name and contact details, as shown to families."""
    errors: dict[str, str] = {}
    if message := required_error(text["name"]):
        errors["name"] = message
    if message := postal_code_error(text["postal_code"]):
        errors["postal_code"] = message
    if message := phone_error(text["phone"]):
        errors["phone"] = message
    if message := email_error(text["email"], required=True):
        errors["email"] = message
    return errors


def _deadline_rules(text: dict[str, str]) -> tuple[int, int, int, dict[str, str]]:
    """Periods, the booking deadline and the reminder: (weekday, days before, reminder days, errors)."""
    errors: dict[str, str] = {}
    if text["period_mode"] not in PERIOD_MODES:
        errors["period_mode"] = "Choisissez « semaine » ou « mois »."
    if text["deadline_kind"] not in DEADLINE_KINDS:
        errors["deadline_kind"] = "Choisissez une règle de date limite."
    weekday = int(text["deadline_weekday"]) if text["deadline_weekday"].isdigit() else -1
    if not 0 <= weekday <= 6:
        errors["deadline_weekday"] = "Choisissez un jour de la semaine."
    days = int(text["deadline_days_before"]) if text["deadline_days_before"].isdigit() else -1
    if not 0 <= days <= 60:
        errors["deadline_days_before"] = "Saisissez un nombre de jours entre 0 et 60."
    # Left empty (or a form of before this field): the default, 2 days.
    reminder_text = text["reminder_days_before"] or str(DEFAULT_REMINDER_DAYS)
    reminder_days = int(reminder_text) if reminder_text.isdigit() else -1
    if not 0 <= reminder_days <= 14:
        errors["reminder_days_before"] = "Saisissez un nombre de jours entre 0 (pas de rappel) et 14."
    if not _TIME.match(text["deadline_time"]):
        errors["deadline_time"] = "Saisissez une heure au format HH:MM, par exemple 23:59."
    return weekday, days, reminder_days, errors


def _absence_rules(text: dict[str, str]) -> tuple[str, int, dict[str, str]]:
    """Sick-day absences: the time of the day until which today's days may be declared (empty:
    09:00), and the carence (0 to 10 days; empty: 0, credit from the first day)."""
    errors: dict[str, str] = {}
    absence_time = text["absence_deadline_time"] or "09:00"
    if not _TIME.match(absence_time):
        errors["absence_deadline_time"] = "Saisissez une heure au format HH:MM, par exemple 09:00."
    carence_text = text["absence_carence_days"] or "0"
    carence = int(carence_text) if carence_text.isdigit() else -1
    if not 0 <= carence <= 10:
        errors["absence_carence_days"] = "Saisissez un nombre de jours de carence entre 0 (aucune) et 10."
    return absence_time, carence, errors


def _online_account_errors(text: dict[str, str]) -> dict[str, str]:
    """PayFiP's régie number and mode, Systempay's shop id and mode: required for the chosen one."""
    errors: dict[str, str] = {}
    payfip = text["payment_provider"] == "payfip"
    numcli = text["payfip_numcli"]
    if (numcli or payfip) and not (len(numcli) == 6 and numcli.isdigit()):
        errors["payfip_numcli"] = "Le numéro de régie PayFiP (numcli) compte 6 chiffres, fournis par la DGFiP."
    if (text["payfip_mode"] or "T") not in PAYFIP_MODES:
        errors["payfip_mode"] = "Choisissez le mode test, activation ou production."
    site = text["systempay_site_id"]
    if (site or text["payment_provider"] == "systempay") and not (len(site) == 8 and site.isdigit()):
        errors["systempay_site_id"] = "L'identifiant de boutique Systempay compte 8 chiffres."
    if (text["systempay_mode"] or "TEST") not in SYSTEMPAY_MODES:
        errors["systempay_mode"] = "Choisissez le mode TEST ou PRODUCTION."
    return errors


def deadline_description(values: dict[str, str]) -> str:
    """The rule in words ("le jeudi précédant la période à 23h59"), or "" while invalid."""
    clean, errors = validate_settings(values)
    if {"deadline_kind", "deadline_weekday", "deadline_days_before", "deadline_time"} & set(errors):
        return ""
    hour, minute = (int(x) for x in clean["deadline_time"].split(":"))
    rule = DeadlineRule(
        clean["deadline_kind"], clean["deadline_weekday"], clean["deadline_days_before"], time(hour, minute)
    )
    return rule.describe_fr()


def save_settings(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    values: dict[str, str],
    ip: str = "",
    simulated_allowed: bool = True,
) -> SettingsResult:
    """Validate and save. The caller commits. Nothing is written when a field is wrong.

    ``simulated_allowed`` is ``Settings.simulated_bank_allowed``: in production a commune cannot be
    put on the simulated bank (payments would be off, and the next start refused)."""
    structure = check_staff(session, structure_id, account_id)
    clean, errors = validate_settings(values)
    if clean["payment_provider"] == "simulated" and not simulated_allowed:
        errors["payment_provider"] = MSG_SIMULATED_DISABLED
    if not simulated_allowed and clean["payment_provider"] == "payfip" and clean["payfip_mode"] == "T":
        errors["payfip_mode"] = MSG_TEST_MODE_DISABLED
    if not simulated_allowed and clean["payment_provider"] == "systempay" and clean["systempay_mode"] == "TEST":
        errors["systempay_mode"] = MSG_TEST_MODE_DISABLED
    if errors:
        return SettingsResult(False, MSG_INVALID, errors)
    changes = {
        name: [getattr(structure, name), value] for name, value in clean.items() if getattr(structure, name) != value
    }
    if not changes:
        return SettingsResult(True, MSG_SAVED)
    for name, (_before, after) in changes.items():
        setattr(structure, name, after)
    session.add(structure)
    audit.record(
        session,
        now,
        "admin.settings_updated",
        structure_id=structure_id,
        account_id=account_id,
        target=f"structure:{structure_id}",
        ip=ip,
        changes=changes,
    )
    return SettingsResult(True, MSG_SAVED)
