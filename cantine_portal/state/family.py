"""States of the Famille and Enfants pages (guide section 2).

The client only ever sends a tab index; the server maps it to its own list of ids, kept in
backend-only vars with the versions it displayed. Every handler re-checks the session first.
"""

from __future__ import annotations

import reflex as rx

from cantine_portal import clock
from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.services.families import family as family_service
from cantine_portal.services.families.family import MSG_CLOSED, EditingClosed, NotYourFamily, SaveResult
from cantine_portal.infra.mail import Mailer
from cantine_portal.state.auth import AuthState

MSG_REFUSED = "Cette modification n'est pas possible."

_GUARDIAN_EDITABLE = frozenset(family_service.GUARDIAN_FIELDS)
_CHILD_EDITABLE = frozenset(family_service.CHILD_FIELDS)
_GUARDIAN_ERROR_KEYS = (*family_service.GUARDIAN_FIELDS, "current_password")
_MAX_VALUE = 4000


def _blank(fields) -> dict[str, str]:
    """Every field present, so that the page can read any of them without a missing key."""
    return {name: "" for name in fields}


def _with_item(items: list, i: int, item) -> list:
    """A copy of ``items`` with item i replaced: Reflex sends a list var only when it is assigned anew."""
    copy = list(items)
    copy[i] = item
    return copy


def _tab_index(value: int | str, size: int) -> int | None:
    try:
        index = int(value)
    except (TypeError, ValueError):
        return None
    return index if 0 <= index < size else None


class FamilyState(AuthState):
    """Famille: one tab per guardian."""

    can_edit: bool = False
    guardians: list[dict[str, str]] = []
    # Tab titles, from the saved names (they do not change while typing).
    guardian_labels: list[str] = []
    # Errors by field, one dict per tab; "current_password" when a login e-mail changes.
    guardian_errors: list[dict[str, str]] = []
    # "1" when the tab's e-mail is a login and has been changed: the password field shows.
    password_needed: list[bool] = []
    success_message: str = ""
    error_message: str = ""
    notes: list[str] = []
    password_field_key: int = 0
    _guardian_ids: list[int] = []
    _guardian_versions: list[int] = []
    _login_emails: list[str] = []
    _current_password: str = ""

    def _clear_messages(self) -> None:
        self.success_message = self.error_message = ""
        self.notes = []

    def _read(self, only: int | None = None) -> None:
        with get_database().session() as session:
            self.can_edit = family_service.family_edit_allowed(session, self._structure_id)
            guardians = family_service.guardians_of(session, self._structure_id, self._family_id)
            logins = family_service.login_guardian_ids(session, self._family_id)
        rows = [family_service.guardian_form_values(g) for g in guardians]
        if only is not None and [g.id for g in guardians] == self._guardian_ids:
            self.guardians = [rows[i] if i == only else g for i, g in enumerate(self.guardians)]
            self._guardian_versions = [guardians[i].version if i == only else v
                                       for i, v in enumerate(self._guardian_versions)]
            self.guardian_errors = _with_item(self.guardian_errors, only, _blank(_GUARDIAN_ERROR_KEYS))
            self.password_needed = _with_item(self.password_needed, only, False)
        else:
            self.guardians = rows
            self._guardian_versions = [g.version for g in guardians]
            self.guardian_errors = [_blank(_GUARDIAN_ERROR_KEYS) for _ in guardians]
            self.password_needed = [False for _ in guardians]
        self._guardian_ids = [g.id for g in guardians]
        self.guardian_labels = [f"{g.first_name} {g.last_name}".strip() or f"Responsable {n + 1}"
                                for n, g in enumerate(guardians)]
        self._login_emails = [logins.get(g.id, "") for g in guardians]

    @rx.event
    def load(self):
        self._clear_messages()
        self._current_password = ""
        if self._require_parent() is None:
            return
        self._read()

    @rx.event
    def set_guardian_field(self, index: int, name: str, value: str):
        if self._require_parent() is None:
            return
        i = _tab_index(index, len(self.guardians))
        if i is None or name not in _GUARDIAN_EDITABLE:
            return
        self.guardians = _with_item(self.guardians, i, {**self.guardians[i], name: str(value)[:_MAX_VALUE]})
        if self.guardian_errors[i].get(name):
            self.guardian_errors = _with_item(self.guardian_errors, i, {**self.guardian_errors[i], name: ""})
        if name == "email":
            login = self._login_emails[i]
            self.password_needed = _with_item(self.password_needed, i,
                                              bool(login) and str(value).strip().lower() != login)
        self.success_message = ""

    @rx.event
    def tab_changed(self, _value: str):
        self._clear_messages()

    @rx.event
    def set_current_password(self, value: str):
        # Backend-only: the password is never sent back to the browser in a state delta.
        self._current_password = str(value)[:256]

    @rx.event
    def save_guardian(self, index: int):
        info = self._require_parent()
        if info is None:
            return self._login_redirect()
        self._clear_messages()
        i = _tab_index(index, len(self._guardian_ids))
        if i is None:
            self.error_message = MSG_REFUSED
            return None
        settings = get_settings()
        try:
            with get_database().write_session() as session:
                result = family_service.save_guardian(
                    session, clock.now(), structure_id=self._structure_id, family_id=self._family_id,
                    account_id=self._account_id, guardian_id=self._guardian_ids[i],
                    expected_version=self._guardian_versions[i], values=self.guardians[i],
                    current_password=self._current_password, mailer=Mailer(settings), ip=self._client_ip())
        except (EditingClosed, NotYourFamily) as refused:
            self._read()
            self.error_message = MSG_CLOSED if isinstance(refused, EditingClosed) else MSG_REFUSED
            return None
        self._after_save(i, result)
        return None

    def _after_save(self, i: int, result: SaveResult) -> None:
        if result.conflict:
            self._read(only=i)
            self.error_message = result.message
            return
        if not result.ok:
            self.guardian_errors = _with_item(self.guardian_errors, i,
                                              {**_blank(_GUARDIAN_ERROR_KEYS), **result.errors})
            self.error_message = result.message
            return
        self._current_password = ""
        self.password_field_key += 1
        if result.new_login_email:
            self.account_email = result.new_login_email
        self._read(only=i)
        self.success_message = result.message
        self.notes = list(result.notes)


class ChildrenState(AuthState):
    """Enfants: one tab per child, with its services, diet and PAI."""

    can_edit: bool = False
    children: list[dict[str, str]] = []
    child_labels: list[str] = []
    child_errors: list[dict[str, str]] = []
    # Active services of the commune (names only) and, per child, which are ticked.
    service_names: list[str] = []
    enrolled: list[list[bool]] = []
    # (value, label) of the diet select: "" is "Aucun".
    diet_options: list[list[str]] = []
    success_message: str = ""
    error_message: str = ""
    notes: list[str] = []
    _child_ids: list[int] = []
    _child_versions: list[int] = []
    _service_ids: list[int] = []

    def _clear_messages(self) -> None:
        self.success_message = self.error_message = ""
        self.notes = []

    def _read(self, only: int | None = None) -> None:
        with get_database().session() as session:
            self.can_edit = family_service.children_edit_allowed(session, self._structure_id)
            children = family_service.children_of(session, self._structure_id, self._family_id)
            services = family_service.active_services(session, self._structure_id)
            diets = family_service.diet_choices(session, self._structure_id)
            enrolled = [family_service.enrolled_service_ids(session, c.id) for c in children]
        rows = [family_service.child_form_values(c) for c in children]
        ticks = [[s.id in ids for s in services] for ids in enrolled]
        same = [c.id for c in children] == self._child_ids and [s.id for s in services] == self._service_ids
        if only is not None and same:
            self.children = [rows[i] if i == only else c for i, c in enumerate(self.children)]
            self.enrolled = [ticks[i] if i == only else t for i, t in enumerate(self.enrolled)]
            self._child_versions = [children[i].version if i == only else v
                                    for i, v in enumerate(self._child_versions)]
            self.child_errors = _with_item(self.child_errors, only, _blank(_CHILD_EDITABLE))
        else:
            self.children = rows
            self.enrolled = ticks
            self._child_versions = [c.version for c in children]
            self.child_errors = [_blank(_CHILD_EDITABLE) for _ in children]
        self._child_ids = [c.id for c in children]
        self.child_labels = [f"{c.first_name} {c.last_name}".strip() or f"Enfant {n + 1}"
                             for n, c in enumerate(children)]
        self._service_ids = [s.id for s in services]
        self.service_names = [s.name for s in services]
        extra = sorted({c.diet for c in children if c.diet and c.diet not in diets})
        self.diet_options = [["", family_service.NO_DIET_LABEL]] + [[d, d] for d in diets + extra]

    @rx.event
    def load(self):
        self._clear_messages()
        if self._require_parent() is None:
            return
        self._read()

    @rx.event
    def set_child_field(self, index: int, name: str, value: str):
        if self._require_parent() is None:
            return
        i = _tab_index(index, len(self.children))
        if i is None or name not in _CHILD_EDITABLE:
            return
        self.children = _with_item(self.children, i, {**self.children[i], name: str(value)[:_MAX_VALUE]})
        if self.child_errors[i].get(name):
            self.child_errors = _with_item(self.child_errors, i, {**self.child_errors[i], name: ""})
        self.success_message = ""

    @rx.event
    def tab_changed(self, _value: str):
        self._clear_messages()

    @rx.event
    def toggle_service(self, index: int, service_index: int):
        if self._require_parent() is None:
            return
        i = _tab_index(index, len(self.enrolled))
        if i is None:
            return
        j = _tab_index(service_index, len(self.enrolled[i]))
        if j is None:
            return
        ticks = [list(t) for t in self.enrolled]
        ticks[i][j] = not ticks[i][j]
        self.enrolled = ticks
        self.success_message = ""

    @rx.event
    def save_child(self, index: int):
        if self._require_parent() is None:
            return self._login_redirect()
        self._clear_messages()
        i = _tab_index(index, len(self._child_ids))
        if i is None:
            self.error_message = MSG_REFUSED
            return None
        service_ids = {sid for sid, ticked in zip(self._service_ids, self.enrolled[i]) if ticked}
        try:
            with get_database().write_session() as session:
                result = family_service.save_child(
                    session, clock.now(), structure_id=self._structure_id, family_id=self._family_id,
                    account_id=self._account_id, child_id=self._child_ids[i],
                    expected_version=self._child_versions[i], values=self.children[i],
                    service_ids=service_ids, ip=self._client_ip())
        except (EditingClosed, NotYourFamily) as refused:
            self._read()
            self.error_message = MSG_CLOSED if isinstance(refused, EditingClosed) else MSG_REFUSED
            return None
        if result.conflict:
            self._read(only=i)
            self.error_message = result.message
        elif not result.ok:
            self.child_errors = _with_item(self.child_errors, i, {**_blank(_CHILD_EDITABLE), **result.errors})
            self.error_message = result.message
        else:
            self._read(only=i)
            self.success_message = result.message
            self.notes = list(result.notes)
        return None
