"""Issue 20: the login page says why a guardian's browser landed there (no database)."""

from __future__ import annotations

from cantine_portal.services.accounts.login import MSG_ACCESS_REMOVED
from cantine_portal.usecases.accounts import MSG_LEFT, login_page


def test_a_removed_access_is_said_in_french_and_prefills_nothing():
    page = login_page({"erreur": "acces"}, None, staff=False)
    assert page.error_message == MSG_ACCESS_REMOVED
    assert MSG_ACCESS_REMOVED.startswith("Votre accès au portail a été retiré")
    assert page.email_prefill == ""


def test_a_guardian_who_left_is_told_the_other_keeps_their_access():
    page = login_page({"quitte": "1"}, None, staff=False)
    assert page.info_message == MSG_LEFT and "L'autre responsable garde le sien" in MSG_LEFT
    assert login_page({"quitte": "1"}, None, staff=True).info_message == ""
