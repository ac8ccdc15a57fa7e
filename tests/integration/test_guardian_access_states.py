"""Issue 20 states: the session checked in the database on every handler (a removed guardian's tab
goes to the login page with a French message at its next event), forged row numbers refused, the
leave confirmation, and the back-office access block."""

from __future__ import annotations

import pytest
from sqlmodel import select

from cantine_portal.models import Account, Guardian
from cantine_portal.services.accounts.sessions import open_session
from cantine_portal.services.demo import MARTIN_EMAIL, STAFF_EMAIL
from cantine_portal.services.families import logins as rules
from cantine_portal.state.offload import run_handler
from cantine_portal.usecases.backoffice import family_logins

JULIEN_EMAIL = "julien.martin@example.fr"


@pytest.fixture
def jar(database, demo_session, settings, now, monkeypatch):
    """Handlers run against the test database; the cookies are this dict."""
    from cantine_portal.state import auth as auth_state
    from cantine_portal.state import guardian_access
    from cantine_portal.state.admin import StaffState
    from cantine_portal.state.auth import AuthState
    from cantine_portal.state.portal import PortalState

    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    for module in (auth_state, guardian_access):
        monkeypatch.setattr(module.clock, "now", lambda: now)
    monkeypatch.setattr("cantine_portal.state.admin.clock.now", lambda: now)
    monkeypatch.setattr("cantine_portal.state.admin_family_logins.clock.now", lambda: now)
    monkeypatch.setattr(PortalState, "_current_slug", lambda self: "demo")
    monkeypatch.setattr(PortalState, "_client_ip", lambda self: "127.0.0.1")
    monkeypatch.setattr(StaffState, "_staff_login_redirect", lambda self: "redirect-to-staff-login")
    cookies: dict[str, str] = {}
    monkeypatch.setattr(PortalState, "_cookie", lambda self, name: cookies.get(name))
    monkeypatch.setattr(AuthState, "_login_redirect", lambda self: f"login:{self._access_removed}")
    return cookies


def _julien_account(database, now) -> Account:
    """Julien's own login, with a password (as if he had followed his invitation)."""
    with database.write_session() as s:
        julien = s.exec(select(Guardian).where(Guardian.email == JULIEN_EMAIL)).one()
        claire = s.exec(select(Account).where(Account.email == MARTIN_EMAIL)).one()
        account = Account(
            structure_id=claire.structure_id,
            family_id=claire.family_id,
            guardian_id=julien.id,
            email=JULIEN_EMAIL,
            password_hash="argon2-not-checked-here",
            created_at=now,
        )
        s.add(account)
        s.flush()
        s.expunge(account)
        return account


def _token(database, now, email: str) -> str:
    with database.write_session() as s:
        return open_session(s, now, s.exec(select(Account).where(Account.email == email)).one())


def _access_state():
    from cantine_portal.state.guardian_access import GuardianAccessState

    return GuardianAccessState(_reflex_internal_init=True)


def test_famille_lists_the_accesses_and_refuses_forged_rows(jar, database, now):
    jar["cp_session_demo"] = _token(database, now, MARTIN_EMAIL)
    state = _access_state()
    run_handler(state.load_access())
    assert [r["status"] for r in state.access_rows] == ["active", "none"]
    assert state.access_rows[0]["is_me"] == "1" and state.access_rows[0]["can_invite"] == ""
    assert state.access_rows[1]["can_invite"] == "1" and not state.can_leave
    for forged in (2, -1, "x", 99):
        run_handler(state.invite_guardian(forged))
        assert state.error_message == "Cette action n'est pas possible."
    run_handler(state.invite_guardian(1))
    assert state.access_message.startswith(f"Une invitation a été envoyée à {JULIEN_EMAIL}")
    assert state.access_rows[1]["status"] == "invited"


def test_the_last_guardian_is_told_they_cannot_leave(jar, database, now):
    jar["cp_session_demo"] = _token(database, now, MARTIN_EMAIL)
    state = _access_state()
    run_handler(state.load_access())
    run_handler(state.ask_leave())
    assert state.confirm_leave
    run_handler(state.cancel_leave())
    assert not state.confirm_leave
    run_handler(state.ask_leave())
    assert run_handler(state.leave()) is None
    assert state.error_message == rules.MSG_LAST_LOGIN and not state.confirm_leave
    with database.session() as s:
        assert s.exec(select(Account).where(Account.email == MARTIN_EMAIL)).one().active


def test_a_guardian_who_leaves_goes_to_the_login_page(jar, database, now):
    _julien_account(database, now)
    jar["cp_session_demo"] = _token(database, now, JULIEN_EMAIL)
    state = _access_state()
    run_handler(state.load_access())
    assert state.can_leave
    run_handler(state.ask_leave())
    redirect = run_handler(state.leave())
    assert "/demo/connexion?quitte=1" in str(redirect)
    assert run_handler(state.load_access()) == "login:True"  # the same tab is logged out now


def test_a_removed_guardian_tab_goes_to_the_login_page_at_its_next_event(jar, database, now):
    from cantine_portal.state.admin_family_logins import AdminFamilyLoginsState
    from cantine_portal.state.reservations import ReservationState

    julien = _julien_account(database, now)
    jar["cp_session_demo"] = _token(database, now, JULIEN_EMAIL)
    julien_tab = ReservationState(_reflex_internal_init=True)
    assert julien_tab._require_parent() is not None

    jar["cp_staff_demo"] = _token(database, now, STAFF_EMAIL)
    staff = AdminFamilyLoginsState(_reflex_internal_init=True)
    staff._family_id = julien.family_id
    assert staff._require_staff() is not None
    staff._show(family_logins.family_logins(staff._actor(), family_id=julien.family_id, now=now))
    row = [r["email"] for r in staff.login_rows].index(JULIEN_EMAIL)
    for forged in (-1, 7, "x"):
        run_handler(staff.ask_remove(forged))
        assert staff.confirm_row == -1
    run_handler(staff.remove())  # nothing asked: refused, nothing removed
    assert staff.error_message == "Action refusée."
    run_handler(staff.ask_remove(row))
    assert staff.confirm_row == row
    run_handler(staff.remove())
    assert "retiré" in staff.success_message and staff.login_rows[row]["status"] == "removed"

    # Julien's tab: its next event (here « Valider votre panier maintenant ») lands on the login page, with
    # the reason (``?erreur=acces``: « Votre accès au portail a été retiré… »).
    assert run_handler(julien_tab.show_basket()) == "login:True"
    assert julien_tab._family_id is None and not julien_tab.logged_in
    # Claire's tab is untouched.
    jar["cp_session_demo"] = _token(database, now, MARTIN_EMAIL)
    claire_tab = _access_state()
    run_handler(claire_tab.load_access())
    assert claire_tab.logged_in and [r["status"] for r in claire_tab.access_rows] == ["active", "removed"]
