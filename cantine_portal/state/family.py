"""States of the Famille and Enfants pages (guide section 2).

The client only ever sends a tab index; the server maps it to its own list of ids, kept in
backend-only vars with the versions it displayed. Every handler re-checks the session first
(``@parent_event``) and makes at most one call to ``usecases/family.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import reflex as rx

from cantine_portal import clock
from cantine_portal.services.families import family as family_service
from cantine_portal.state.auth import AuthState
from cantine_portal.state.handlers import parent_event
from cantine_portal.usecases import family as usecases
from cantine_portal.usecases.family import MSG_REFUSED, ChildrenView, GuardiansView, Saved

_GUARDIAN_EDITABLE = frozenset(family_service.GUARDIAN_FIELDS)
_CHILD_EDITABLE = frozenset(family_service.CHILD_FIELDS)
_GUARDIAN_ERROR_KEYS = (*family_service.GUARDIAN_FIELDS, "current_password")
_MAX_VALUE = 4000
T = TypeVar("T")


def _blank(fields: Iterable[str]) -> dict[str, str]:
    """Every field present, so that the page can read any of them without a missing key."""
    return {name: "" for name in fields}


def _with_item(items: list[T], i: int, item: T) -> list[T]:
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

    def _show(self, view: GuardiansView | None, only: int | None = None) -> None:
        """The tabs of ``view``; with ``only``, just that tab is replaced (the others keep what is typed)."""
        if view is None:
            return
        tabs = view.tabs
        self.can_edit = view.can_edit
        if only is not None and [t.guardian_id for t in tabs] == self._guardian_ids:
            self.guardians = [tabs[i].values if i == only else g for i, g in enumerate(self.guardians)]
            self._guardian_versions = [
                tabs[i].version if i == only else v for i, v in enumerate(self._guardian_versions)
            ]
            self.guardian_errors = _with_item(self.guardian_errors, only, _blank(_GUARDIAN_ERROR_KEYS))
            self.password_needed = _with_item(self.password_needed, only, False)
        else:
            self.guardians = [t.values for t in tabs]
            self._guardian_versions = [t.version for t in tabs]
            self.guardian_errors = [_blank(_GUARDIAN_ERROR_KEYS) for _ in tabs]
            self.password_needed = [False for _ in tabs]
        self._guardian_ids = [t.guardian_id for t in tabs]
        self.guardian_labels = [t.label for t in tabs]
        self._login_emails = [t.login_email for t in tabs]

    @parent_event
    def load(self) -> None:
        self._clear_messages()
        self._current_password = ""
        self._show(usecases.family_tabs(self._actor()))

    @parent_event
    def set_guardian_field(self, index: int, name: str, value: str) -> None:
        i = _tab_index(index, len(self.guardians))
        if i is None or name not in _GUARDIAN_EDITABLE:
            return
        self.guardians = _with_item(self.guardians, i, {**self.guardians[i], name: str(value)[:_MAX_VALUE]})
        if self.guardian_errors[i].get(name):
            self.guardian_errors = _with_item(self.guardian_errors, i, {**self.guardian_errors[i], name: ""})
        if name == "email":
            login = self._login_emails[i]
            self.password_needed = _with_item(
                self.password_needed, i, bool(login) and str(value).strip().lower() != login
            )
        self.success_message = ""

    @rx.event
    def tab_changed(self, _value: str) -> None:
        self._clear_messages()

    @rx.event
    def set_current_password(self, value: str) -> None:
        # Backend-only: the password is never sent back to the browser in a state delta.
        self._current_password = str(value)[:256]

    @parent_event
    def save_guardian(self, index: int) -> None:
        self._clear_messages()
        i = _tab_index(index, len(self._guardian_ids))
        if i is None:
            self.error_message = MSG_REFUSED
            return
        result = usecases.save_guardian(
            self._actor(),
            self._guardian_ids[i],
            self._guardian_versions[i],
            self.guardians[i],
            self._current_password,
            now=clock.now(),
        )
        self._after_save(i, result)

    def _after_save(self, i: int, result: Saved[GuardiansView]) -> None:
        if result.refused:
            self._show(result.view)
            self.error_message = result.message
            return
        if result.conflict:
            self._show(result.view, only=i)
            self.error_message = result.message
            return
        if not result.ok:
            self.guardian_errors = _with_item(
                self.guardian_errors, i, {**_blank(_GUARDIAN_ERROR_KEYS), **result.errors}
            )
            self.error_message = result.message
            return
        self._current_password = ""
        self.password_field_key += 1
        if result.new_login_email:
            self.account_email = result.new_login_email
        self._show(result.view, only=i)
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

    def _show(self, view: ChildrenView | None, only: int | None = None) -> None:
        """The tabs of ``view``; with ``only``, just that tab is replaced (the others keep what is typed)."""
        if view is None:
            return
        tabs = view.tabs
        self.can_edit = view.can_edit
        same = [t.child_id for t in tabs] == self._child_ids and view.service_ids == self._service_ids
        if only is not None and same:
            self.children = [tabs[i].values if i == only else c for i, c in enumerate(self.children)]
            self.enrolled = [tabs[i].enrolled if i == only else t for i, t in enumerate(self.enrolled)]
            self._child_versions = [tabs[i].version if i == only else v for i, v in enumerate(self._child_versions)]
            self.child_errors = _with_item(self.child_errors, only, _blank(_CHILD_EDITABLE))
        else:
            self.children = [t.values for t in tabs]
            self.enrolled = [t.enrolled for t in tabs]
            self._child_versions = [t.version for t in tabs]
            self.child_errors = [_blank(_CHILD_EDITABLE) for _ in tabs]
        self._child_ids = [t.child_id for t in tabs]
        self.child_labels = [t.label for t in tabs]
        self._service_ids = list(view.service_ids)
        self.service_names = list(view.service_names)
        self.diet_options = view.diet_options

    @parent_event
    def load(self) -> None:
        self._clear_messages()
        self._show(usecases.children_tabs(self._actor()))

    @parent_event
    def set_child_field(self, index: int, name: str, value: str) -> None:
        i = _tab_index(index, len(self.children))
        if i is None or name not in _CHILD_EDITABLE:
            return
        self.children = _with_item(self.children, i, {**self.children[i], name: str(value)[:_MAX_VALUE]})
        if self.child_errors[i].get(name):
            self.child_errors = _with_item(self.child_errors, i, {**self.child_errors[i], name: ""})
        self.success_message = ""

    @rx.event
    def tab_changed(self, _value: str) -> None:
        self._clear_messages()

    @parent_event
    def toggle_service(self, index: int, service_index: int) -> None:
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

    @parent_event
    def save_child(self, index: int) -> None:
        self._clear_messages()
        i = _tab_index(index, len(self._child_ids))
        if i is None:
            self.error_message = MSG_REFUSED
            return
        service_ids = {sid for sid, ticked in zip(self._service_ids, self.enrolled[i], strict=False) if ticked}
        result = usecases.save_child(
            self._actor(), self._child_ids[i], self._child_versions[i], self.children[i], service_ids, now=clock.now()
        )
        if result.refused:
            self._show(result.view)
            self.error_message = result.message
        elif result.conflict:
            self._show(result.view, only=i)
            self.error_message = result.message
        elif not result.ok:
            self.child_errors = _with_item(self.child_errors, i, {**_blank(_CHILD_EDITABLE), **result.errors})
            self.error_message = result.message
        else:
            self._show(result.view, only=i)
            self.success_message = result.message
            self.notes = list(result.notes)
