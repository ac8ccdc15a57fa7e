"""States of the account pages: login messages, link requests, password creation."""

from __future__ import annotations

import reflex as rx

from cantine_portal import clock
from cantine_portal.infra.http import FLASH_COOKIE
from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.models import Structure
from cantine_portal.services.accounts import login as accounts
from cantine_portal.infra.mail import Mailer
from cantine_portal.services.accounts.passwords import check_password, generate_password, password_from_sentence
from cantine_portal.state.auth import AuthState


class LoginState(AuthState):
    error_message: str = ""
    info_message: str = ""
    email_prefill: str = ""
    next_path: str = ""

    @rx.event
    def load_login(self):
        self._load_portal()
        query = self.router.url.query_parameters
        error = query.get("erreur", "")
        self.error_message = accounts.login_error_message(query)
        if query.get("deconnecte"):
            self.info_message = "Vous êtes déconnecté. À bientôt !"
        elif query.get("cree"):
            self.info_message = "Votre mot de passe a été enregistré. Connectez-vous avec votre adresse e-mail."
        else:
            self.info_message = ""
        self.email_prefill = (self._cookie(FLASH_COOKIE) or "")[:254] if error else ""
        self.next_path = str(query.get("suite", ""))[:300]


class LinkRequestState(AuthState):
    """PREMIÈRE CONNEXION OU MOT DE PASSE OUBLIÉ, and the banner's Mot de Passe page."""

    email: str = ""
    email_error: str = ""
    sent_message: str = ""

    @rx.event
    def set_email(self, value: str):
        self.email = value[:254]
        self.email_error = ""

    @rx.event
    def load_public(self):
        self._load_portal()
        self.sent_message = ""
        self.email_error = ""

    @rx.event
    def load_logged_in(self):
        self.sent_message = ""
        self.email_error = ""
        if self._require_parent() is not None:
            self.email = self.account_email

    @rx.event
    def request_link(self):
        if not accounts.looks_like_email(self.email):
            self.email_error = "Saisissez une adresse e-mail valide, par exemple prenom.nom@exemple.fr."
            return
        settings = get_settings()
        with get_database().write_session() as session:
            structure = session.get(Structure, self._structure_id) if self._structure_id else None
            if structure is None:
                return
            result = accounts.request_password_link(session, clock.now(), structure, self.email,
                                                    Mailer(settings), settings.base_url, self._client_ip())
        self.sent_message = result.message


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
    # Choice 2
    generated: str = ""
    # Choice 3
    sentence: str = ""
    sentence_password: str = ""
    sentence_advice: list[str] = []
    sentence_ok: bool = False
    error_message: str = ""
    _token: str = ""

    @rx.event
    def load_token(self):
        self._load_portal()
        self._token = str(self.router.url.query_parameters.get("jeton", ""))[:200]
        self.password = self.confirmation = self.generated = self.sentence = self.sentence_password = ""
        self.error_message = ""
        self.hints, self.sentence_advice = [], []
        self.strength, self.strength_label, self.sentence_ok = 0, "", False
        self.link_valid, self.target_email = False, ""
        if self._structure_id is not None:
            with get_database().session() as session:
                structure = session.get(Structure, self._structure_id)
                stored = accounts.valid_token(session, clock.now(), structure, self._token)
                if stored is not None:
                    self.link_valid = True
                    self.target_email = accounts.token_account_email(session, stored)
        self.checked = True

    @rx.event
    def set_password(self, value: str):
        self.password = value[:256]
        self.error_message = ""
        result = check_password(self.password, self.target_email)
        self.strength, self.strength_label = (result.strength, result.strength_label) if self.password else (0, "")
        self.hints = result.errors + result.hints if self.password else []

    @rx.event
    def set_confirmation(self, value: str):
        self.confirmation = value[:256]
        self.error_message = ""

    @rx.event
    def generate(self):
        self.generated = generate_password()

    @rx.event
    def set_sentence(self, value: str):
        self.sentence = value[:500]
        self.error_message = ""
        result = password_from_sentence(self.sentence, self.target_email) if self.sentence.strip() else None
        self.sentence_password = result.password if result else ""
        self.sentence_ok = bool(result and result.check.ok)
        self.sentence_advice = (result.check.errors + result.advice) if result and not result.check.ok else []

    @rx.event
    def submit_own(self):
        if self.password != self.confirmation:
            self.error_message = "Les deux mots de passe saisis sont différents."
            return None
        return self._save(self.password)

    @rx.event
    def submit_generated(self):
        if not self.generated:
            self.error_message = "Générez d'abord un mot de passe."
            return None
        return self._save(self.generated)

    @rx.event
    def submit_sentence(self):
        if not self.sentence_password:
            self.error_message = "Saisissez d'abord une phrase."
            return None
        return self._save(self.sentence_password)

    def _save(self, password: str):
        settings = get_settings()
        with get_database().write_session() as session:
            structure = session.get(Structure, self._structure_id) if self._structure_id else None
            if structure is None:
                return None
            result = accounts.set_password_with_token(session, clock.now(), structure, self._token, password,
                                                      Mailer(settings), self._client_ip())
        if not result.ok:
            self.error_message = result.message
            if result.check is None:
                self.link_valid = False
            return None
        self.password = self.confirmation = self.generated = self.sentence = self.sentence_password = ""
        return rx.redirect(f"/{self.portal_slug}/connexion?cree=1", replace=True)
