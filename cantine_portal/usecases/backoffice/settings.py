"""« Paramètres »: the commune's identity, booking rules, toggles, diets and payment provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from cantine_portal.config import get_settings
from cantine_portal.infra import storage
from cantine_portal.infra.images import LOGO_MAX_BYTES, LogoError, check_logo
from cantine_portal.services.backoffice import identity
from cantine_portal.services.backoffice import settings as rules
from cantine_portal.services.shared.payment_availability import Availability
from cantine_portal.usecases.backoffice.common import StaffActor, read, write

SETTINGS_FIELDS = rules.SETTINGS_FIELDS
CHECKBOX_FIELDS = ("allow_family_edit", "allow_children_edit")
LOGO_READ_LIMIT = LOGO_MAX_BYTES + 1  # the state reads at most this much of an upload


@dataclass(frozen=True)
class SettingsPage:
    values: dict[str, str]
    # the deadline rule in words ("" while a deadline field is invalid)
    deadline_text: str
    # online payment on this server: why it is off (payment_ok False), or a caution (simulated bank)
    payment_notice: str = ""
    payment_ok: bool = True


@dataclass(frozen=True)
class SettingsSaved:
    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)
    deadline_text: str = ""
    payment_notice: str = ""
    payment_ok: bool = True


def settings_page(actor: StaffActor) -> SettingsPage:
    def work(session: Session) -> tuple[dict[str, str], Availability]:
        values = rules.settings_values(session, actor.structure_id, actor.account_id)
        return values, rules.payment_status(session, actor.structure_id, actor.account_id, get_settings())

    values, payment = read(work)
    return SettingsPage(values, rules.deadline_description(values), payment.staff_message, payment.ok)


def save_settings(actor: StaffActor, *, now: datetime, values: dict[str, str]) -> SettingsSaved:
    """Validate and save in one transaction; nothing is written when a field is wrong. In production
    the simulated bank cannot be chosen (services/shared/payment_availability.py)."""
    settings = get_settings()

    def work(session: Session) -> tuple[rules.SettingsResult, Availability]:
        result = rules.save_settings(
            session,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            values=values,
            ip=actor.ip,
            simulated_allowed=settings.simulated_bank_allowed,
        )
        return result, rules.payment_status(session, actor.structure_id, actor.account_id, settings)

    result, payment = write(work)
    deadline = rules.deadline_description(values) if result.ok else ""
    return SettingsSaved(result.ok, result.message, dict(result.errors), deadline, payment.staff_message, payment.ok)


@dataclass(frozen=True)
class LogoSaved:
    ok: bool
    message: str


def upload_logo(actor: StaffActor, *, now: datetime, data: bytes) -> LogoSaved:
    """« Enregistrer le logo »: check and clean the file (infra/images.py), store it privately,
    point the commune at it, then delete the previous file (after the commit: a failed save keeps
    the old logo on screen and on disk)."""
    try:
        logo = check_logo(data)
    except LogoError as error:
        return LogoSaved(False, error.message)
    settings = get_settings()
    path = storage.save_bytes(settings, "logos", logo.data, logo.suffix)
    try:
        previous = write(
            lambda session: identity.set_logo(
                session,
                now,
                structure_id=actor.structure_id,
                account_id=actor.account_id,
                path=path,
                mime=logo.mime,
                ip=actor.ip,
            )
        )
    except BaseException:
        storage.delete(settings, path)
        raise
    if previous:
        storage.delete(settings, previous)
    return LogoSaved(True, identity.MSG_LOGO_SAVED)


def remove_logo(actor: StaffActor, *, now: datetime) -> LogoSaved:
    """« Retirer le logo »: the header, e-mails and receipts go back to the commune's name alone."""
    previous = write(
        lambda session: identity.set_logo(
            session, now, structure_id=actor.structure_id, account_id=actor.account_id, path="", mime="", ip=actor.ip
        )
    )
    if previous:
        storage.delete(get_settings(), previous)
    return LogoSaved(True, identity.MSG_LOGO_REMOVED)
