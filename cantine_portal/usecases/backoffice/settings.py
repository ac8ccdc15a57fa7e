"""« Paramètres »: the commune's identity, booking rules, toggles, diets and payment provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cantine_portal.services.backoffice import settings as rules
from cantine_portal.usecases.backoffice.common import StaffActor, read, write

SETTINGS_FIELDS = rules.SETTINGS_FIELDS
CHECKBOX_FIELDS = ("allow_family_edit", "allow_children_edit")


@dataclass(frozen=True)
class SettingsPage:
    values: dict[str, str]
    # the deadline rule in words ("" while a deadline field is invalid)
    deadline_text: str


@dataclass(frozen=True)
class SettingsSaved:
    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)
    deadline_text: str = ""


def settings_page(actor: StaffActor) -> SettingsPage:
    values = read(lambda s: rules.settings_values(s, actor.structure_id, actor.account_id))
    return SettingsPage(values, rules.deadline_description(values))


def save_settings(actor: StaffActor, *, now: datetime, values: dict[str, str]) -> SettingsSaved:
    """Validate and save in one transaction; nothing is written when a field is wrong."""
    result = write(lambda s: rules.save_settings(s, now, structure_id=actor.structure_id,
                                                 account_id=actor.account_id, values=values, ip=actor.ip))
    deadline = rules.deadline_description(values) if result.ok else ""
    return SettingsSaved(result.ok, result.message, dict(result.errors), deadline)
