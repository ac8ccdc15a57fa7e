"""State of the Préférences page: deadline reminders on/off, the private calendar address.

Thin: each handler checks the session (``@parent_event``) and makes one call to
``usecases/preferences.py``. The feed's secret address is only in this tab's memory, right after
« Générer une nouvelle adresse » (the database keeps its hash only).
"""

from __future__ import annotations

from cantine_portal import clock
from cantine_portal.state.auth import AuthState
from cantine_portal.state.handlers import parent_event
from cantine_portal.usecases import preferences as usecases
from cantine_portal.usecases.preferences import PreferencesPage


class PreferencesState(AuthState):
    reminders_enabled: bool = True
    feed_active: bool = False
    feed_url: str = ""
    preferences_message: str = ""
    preferences_loaded: bool = False

    def _show(self, page: PreferencesPage, message: str = "") -> None:
        self.reminders_enabled = page.reminders_enabled
        self.feed_active = page.feed_active
        self.feed_url = page.feed_url
        self.preferences_message = message
        self.preferences_loaded = True

    @parent_event
    def load(self) -> None:
        self._show(usecases.preferences(self._actor()))

    @parent_event
    def set_reminders(self, enabled: bool) -> None:
        page = usecases.set_reminders(self._actor(), bool(enabled), now=clock.now())
        self._show(page, "Rappels activés." if page.reminders_enabled else "Rappels désactivés.")

    @parent_event
    def regenerate_feed(self) -> None:
        self._show(
            usecases.regenerate_feed(self._actor(), now=clock.now()),
            "Nouvelle adresse créée : l'ancienne ne fonctionne plus.",
        )

    @parent_event
    def revoke_feed(self) -> None:
        self._show(
            usecases.revoke_feed(self._actor(), now=clock.now()),
            "Adresse supprimée : votre agenda ne reçoit plus les réservations.",
        )
