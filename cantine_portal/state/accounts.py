"""States of the account pages: login messages, link requests, password creation.

Each handler reads its inputs, makes one call to ``usecases/accounts.py`` and copies the result.
The password checks while typing are pure functions (no database), called directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import reflex as rx
from reflex.event import EventSpec

from cantine_portal import clock
from cantine_portal.infra.http import FLASH_COOKIE
from cantine_portal.services.accounts.passwords import (
    check_password,
    generate_password,
    password_from_sentence,
    rule_checklist,
)
from cantine_portal.state.auth import AuthState
from cantine_portal.state.handlers import parent_event
from cantine_portal.state.offload import db_event
from cantine_portal.usecases import accounts as usecases


class LoginPageBase(rx.State, mixin=True):
    """The parents' and the staff's login page: one code, only the door differs (``_staff_door``).

    The form itself posts to ``api/session_routes.py``; this only shows why the browser came back.
    """

    error_message: str = ""
    info_message: str = ""
    email_prefill: str = ""
    next_path: str = ""

    if TYPE_CHECKING:  # given by the concrete state (PortalState); declared here for the type checker only

        def _load_portal(self) -> None: ...
        def _cookie(self, name: str) -> str | None: ...

    def _staff_door(self) -> bool:
        return False

    @db_event
    def load_login(self) -> None:
        self._load_portal()
        page = usecases.login_page(
            self.router.url.query_parameters, self._cookie(FLASH_COOKIE), staff=self._staff_door()
        )
        self.error_message, self.info_message = page.error_message, page.info_message
        self.email_prefill, self.next_path = page.email_prefill, page.next_path


class LoginState(LoginPageBase, AuthState):
    pass


class LinkRequestState(AuthState):
    """PREMIÈRE CONNEXION OU MOT DE PASSE OUBLIÉ, and the banner's Mot de Passe page."""

    email: str = ""
    email_error: str = ""
    sent_message: str = ""

    @rx.event
    def set_email(self, value: str) -> None:
        self.email = value[:254]
        self.email_error = ""

    @db_event
    def load_public(self) -> None:
        self._load_portal()
        self.sent_message = ""
        self.email_error = ""

    @parent_event
    def load_logged_in(self) -> None:
        """« Mot de Passe »: the same link request, the address of the account already typed."""
        self.sent_message = ""
        self.email_error = ""
        self.email = self.account_email

    @db_event
    def request_link(self) -> None:
        """Public (first connection, forgotten password) as well as from the « Mot de Passe » page."""
        outcome = usecases.request_password_link(self._structure_id, self.email, self._client_ip(), now=clock.now())
        self.email_error = outcome.email_error
        if outcome.sent_message:
            self.sent_message = outcome.sent_message


class CreatePasswordState(AuthState):
    """The password creation page reached from the e-mail's « Créer le mot de passe »."""

    link_valid: bool = False
    checked: bool = False
    target_email: str = ""
    # Choice 1
    password: str = ""
    confirmation: str = ""
    strength: int = 0
    strength_label: str = ""
    hints: list[str] = []
    # The CNIL rule as a live checklist: "✓ Une majuscule" / "✗ Un chiffre" (words, not colour only).
    checklist: list[str] = []
    checklist_ok: list[bool] = []
    password_ok: bool = False
    show_password: bool = False
    # One message per failure, under its field (choice 1); cleared when the parent switches tabs.
    password_error: str = ""
    confirm_error: str = ""
    # Choice 2
    generated: str = ""
    # Choice 3
    sentence: str = ""
    sentence_password: str = ""
    sentence_advice: list[str] = []
    sentence_ok: bool = False
    error_message: str = ""
    _token: str = ""

    @db_event
    def load_token(self) -> None:
        self._load_portal()
        self._token = str(self.router.url.query_parameters.get("jeton", ""))[:200]
        self.password = self.confirmation = self.generated = self.sentence = self.sentence_password = ""
        self.error_message = ""
        self.hints, self.sentence_advice = [], []
        self.password_error = self.confirm_error = ""
        self.password_ok, self.show_password = False, False
        items = rule_checklist("", None)
        self.checklist, self.checklist_ok = [text for text, _ in items], [False] * len(items)
        self.strength, self.strength_label, self.sentence_ok = 0, "", False
        link = usecases.check_password_link(self._structure_id, self._token, now=clock.now())
        self.link_valid, self.target_email = link.valid, link.email
        self.checked = True

    @rx.event
    def set_password(self, value: str) -> None:
        self.password = value[:256]
        self.error_message = ""
        self.password_error = ""
        result = check_password(self.password, self.target_email)
        self.strength, self.strength_label = (result.strength, result.strength_label) if self.password else (0, "")
        self.password_ok = result.ok
        items = rule_checklist(self.password, self.target_email)
        self.checklist = [text for text, _ in items]
        self.checklist_ok = [ok for _, ok in items]

    @rx.event
    def toggle_show_password(self, value: bool) -> None:
        """« Afficher le mot de passe »: the two fields of choice 1 show their text."""
        self.show_password = bool(value)

    @rx.event
    def clear_errors(self, _tab: str = "") -> None:
        """Another tab: the messages of the one left no longer apply."""
        self.error_message = self.password_error = self.confirm_error = ""

    @rx.event
    def set_confirmation(self, value: str) -> None:
        self.confirmation = value[:256]
        self.error_message = ""
        self.confirm_error = ""

    @rx.event
    def generate(self) -> None:
        self.generated = generate_password()

    @rx.event
    def set_sentence(self, value: str) -> None:
        self.sentence = value[:500]
        self.error_message = ""
        result = password_from_sentence(self.sentence, self.target_email) if self.sentence.strip() else None
        self.sentence_password = result.password if result else ""
        self.sentence_ok = bool(result and result.check.ok)
        self.sentence_advice = (result.check.errors + result.advice) if result and not result.check.ok else []

    @db_event
    def submit_own(self) -> EventSpec | None:
        self.error_message = ""
        self.password_error = (
            ""
            if check_password(self.password, self.target_email).ok
            else "Ce mot de passe ne respecte pas encore la règle : voyez les points marqués ✗."
        )
        self.confirm_error = (
            "" if self.password == self.confirmation else "Les deux mots de passe saisis sont différents."
        )
        if self.password_error or self.confirm_error:
            return None
        return self._save(self.password)

    @db_event
    def submit_generated(self) -> EventSpec | None:
        if not self.generated:
            self.error_message = "Générez d'abord un mot de passe."
            return None
        return self._save(self.generated)

    @db_event
    def submit_sentence(self) -> EventSpec | None:
        if not self.sentence_password:
            self.error_message = "Saisissez d'abord une phrase."
            return None
        return self._save(self.sentence_password)

    def _save(self, password: str) -> EventSpec | None:
        outcome = usecases.create_password(
            self._structure_id, self._token, password, self._client_ip(), now=clock.now()
        )
        if outcome is None:
            return None
        if not outcome.ok:
            self.error_message = outcome.message
            self.link_valid = outcome.link_valid
            return None
        self.password = self.confirmation = self.generated = self.sentence = self.sentence_password = ""
        return rx.redirect(f"/{self.portal_slug}/connexion?cree=1", replace=True)
