"""Staff roles (issue 20, item 4): « administration » opens everything, « restauration » only
Effectifs and the roll call (Pointage) — refused by the SERVER on every other page load, handler
and HTTP route, with a French message.

The pages, handlers and routes are enumerated from the app itself (every substate of StaffState,
every route of the API under /admin/), so a new one cannot be forgotten: it is administration
unless it says otherwise, and this test then knows it.
"""

from __future__ import annotations

import inspect
from datetime import date

import pytest
from sqlmodel import select
from starlette.routing import Route
from starlette.testclient import TestClient

from cantine_portal import __main__ as cli
from cantine_portal.api.routes import build_api
from cantine_portal.models import Account, Service, StaffRole, Structure
from cantine_portal.services.accounts.sessions import open_session
from cantine_portal.services.accounts.staff import StaffError, create_staff
from cantine_portal.services.backoffice.access import MSG_WRONG_ROLE, Area, role_of
from cantine_portal.services.demo import STAFF_EMAIL
from cantine_portal.state.handlers import STAFF_AREA
from cantine_portal.state.offload import run_handler

COOK = "cuisine@demo.fr"
COOK_PASSWORD = "Cantine-Midi-2026!x"
DAY = date(2026, 11, 26)  # the tests' "now" (Thursday, a canteen day)

# What a « restauration » account may open: Effectifs and Pointage, the home page (its menu) and
# the frame's own load. Anything else is administration.
RESTAURATION_HANDLERS = {
    "StaffState.load_staff",
    "AdminHomeState.load_home",
    "AdminAttendanceState.load",
    "AdminAttendanceState.show",
    "AdminRollCallState.load",
    "AdminRollCallState.show",
    "AdminRollCallState.mark_present",
    "AdminRollCallState.mark_absent",
    "AdminRollCallState.remove",
    "AdminRollCallState.refresh",
    "AdminRollCallState.auto_refresh",
    "AdminRollCallState.search",
    "AdminRollCallState.add",
}
# Staff-state events that are not @staff_event: the login page's own (public by nature) and
# setters that only copy a typed value into the tab's memory (no database, no use case).
NOT_STAFF_EVENTS = {
    "StaffLoginState.load_login",
    "AdminDocumentsState.set_new_title",
    "AdminDocumentsState.set_new_category",
    "AdminDocumentsState.set_new_published",
    "AdminDocumentsState.set_replace_choice",
}
RESTAURATION_ROUTES = {
    "/api/{slug}/admin/effectifs.csv",
    "/api/{slug}/admin/effectifs.pdf",
    "/api/{slug}/admin/pointage.csv",
}
RESTAURATION_PAGES = {"[slug]/admin", "[slug]/admin/effectifs", "[slug]/admin/pointage"}


def _staff_states():
    from cantine_portal.state.admin import StaffState

    found, todo = [StaffState], list(StaffState.get_substates())
    while todo:
        state = todo.pop()
        found.append(state)
        todo.extend(state.get_substates())
    return found


def _handlers():
    """(state class, name, area or None) of every event a back-office state accepts."""
    import cantine_portal.cantine_portal  # noqa: F401 - registers every state

    for state in _staff_states():
        for name, handler in state.event_handlers.items():
            if name == "setvar":  # Reflex's own: calls only the explicit set_* handlers
                continue
            if state.__name__ != "StaffState" and name in _inherited(state):
                continue
            yield state, name, getattr(handler.fn, STAFF_AREA, None)


def _inherited(state) -> set[str]:
    parent = state.get_parent_state()
    return set(parent.event_handlers) if parent is not None else set()


@pytest.fixture
def cook(database, demo_session, now):
    with database.write_session() as s:
        create_staff(s, now, "demo", COOK, COOK_PASSWORD, role="restauration")
    return COOK


def _token(database, now, address):
    with database.write_session() as s:
        account = s.exec(select(Account).where(Account.email == address)).one()
        return open_session(s, now, account)


@pytest.fixture
def as_staff(database, demo_session, settings, now, monkeypatch):
    """Handlers run with the cookie of the account whose address is put in the returned dict."""
    from cantine_portal.state import admin as admin_state
    from cantine_portal.state.admin import StaffState

    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    monkeypatch.setattr(admin_state.clock, "now", lambda: now)
    monkeypatch.setattr(StaffState, "_current_slug", lambda self: "demo")
    monkeypatch.setattr(StaffState, "_client_ip", lambda self: "127.0.0.1")
    monkeypatch.setattr(StaffState, "_staff_login_redirect", lambda self: "redirect-to-staff-login")
    jar: dict[str, str] = {}
    monkeypatch.setattr(StaffState, "_cookie", lambda self, name: jar.get(name))

    def login(address: str) -> None:
        jar["cp_staff_demo"] = _token(database, now, address)

    return login


def _dummy_arguments(handler) -> list:
    """Plausible arguments for a handler, from its signature (the refusal comes before any use)."""
    fn = inspect.unwrap(handler.fn)
    values = []
    for parameter in list(inspect.signature(fn).parameters.values())[1:]:
        annotation = str(parameter.annotation)
        values.append({} if "dict" in annotation else [] if "list" in annotation else 0 if "int" in annotation else "")
    return values


def test_create_staff_takes_the_role(database, demo_session, now, monkeypatch, capsys):
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    argv = ["create-staff", "--commune", "demo", "--email", COOK, "--password", COOK_PASSWORD, "--role", "restauration"]
    assert cli.main(argv) == 0
    assert "rôle restauration" in capsys.readouterr().out
    assert cli.main(["create-staff", "--commune", "demo", "--email", "chef@demo.fr", "--password", COOK_PASSWORD]) == 0
    with pytest.raises(SystemExit):  # argparse refuses an unknown role
        cli.main([*argv[:4], "--email", "x@demo.fr", "--password", COOK_PASSWORD, "--role", "maire"])
    with database.write_session() as s, pytest.raises(StaffError, match="Rôle inconnu"):
        create_staff(s, now, "demo", "y@demo.fr", COOK_PASSWORD, role="maire")
    with database.session() as s:
        accounts = {a.email: a for a in s.exec(select(Account).where(Account.role == "staff")).all()}
    assert accounts[COOK].staff_role == StaffRole.RESTAURATION
    assert accounts["chef@demo.fr"].staff_role == StaffRole.ADMINISTRATION  # the default: everything
    # an account that names no role (the demo's, those of before roles) opens everything, as before
    assert accounts[STAFF_EMAIL].staff_role == "" and role_of(accounts[STAFF_EMAIL]) == StaffRole.ADMINISTRATION


def test_every_staff_handler_declares_its_area_and_only_effectifs_and_pointage_open_to_restauration():
    areas = {f"{state.__name__}.{name}": area for state, name, area in _handlers()}
    assert {name for name, area in areas.items() if area is None} == NOT_STAFF_EVENTS
    assert {name for name, area in areas.items() if area == Area.RESTAURATION} == RESTAURATION_HANDLERS
    administration = {name for name, area in areas.items() if area == Area.ADMINISTRATION}
    assert len(administration) > 50  # settings, families, money, messages, documents, prices…


def test_a_restauration_account_is_refused_on_every_administration_handler(cook, as_staff, monkeypatch):
    from cantine_portal.state.admin import StaffState

    as_staff(cook)

    def body_ran(self):
        raise AssertionError("the handler's body ran for a « restauration » account")

    monkeypatch.setattr(StaffState, "_actor", body_ran)
    refused = 0
    for state_class, name, area in _handlers():
        if area != Area.ADMINISTRATION:
            continue
        state = state_class(_reflex_internal_init=True)
        handler = state_class.event_handlers[name]
        run_handler(getattr(state, name)(*_dummy_arguments(handler)))
        label = f"{state_class.__name__}.{name}"
        assert state.staff_logged_in, label  # the session was good: only the role refused it
        if hasattr(state, "error_message"):
            assert state.error_message == MSG_WRONG_ROLE, label
        refused += 1
    assert refused > 50


def test_every_administration_page_load_shows_the_refusal_instead_of_the_page(cook, as_staff):
    """Each back-office page's on_load (from the app's registry) refuses a « restauration » account,
    except Accueil, Effectifs and Pointage; the menu shows exactly those entries."""
    from cantine_portal.cantine_portal import app
    from cantine_portal.components.admin_layout import ADMIN_ITEMS, RESTAURATION_PATHS

    as_staff(cook)
    pages = {route: loads for route, loads in app._load_events.items() if route.startswith("[slug]/admin")}
    pages.pop("[slug]/admin/connexion")
    assert len(pages) >= 15
    for route, loads in pages.items():
        for load in loads:
            state_class = _state_of(load)
            state = state_class(_reflex_internal_init=True)
            run_handler(getattr(state, load.fn.__name__)())
            allowed = route in RESTAURATION_PAGES
            assert state.access_refused is (not allowed), route
            assert state.access_message == ("" if allowed else MSG_WRONG_ROLE), route
    assert {f"[slug]/admin/{path}" for _label, path, _icon in ADMIN_ITEMS if path in RESTAURATION_PATHS} == (
        RESTAURATION_PAGES - {"[slug]/admin"}
    )


def _state_of(load):
    for state in _staff_states():
        if state.get_full_name() == load.state_full_name:
            return state
    raise AssertionError(load)


def test_an_administration_account_opens_every_page(as_staff):
    from cantine_portal.cantine_portal import app

    as_staff(STAFF_EMAIL)
    for route, loads in app._load_events.items():
        if not route.startswith("[slug]/admin/") or route.endswith("connexion"):
            continue
        for load in loads:
            state = _state_of(load)(_reflex_internal_init=True)
            run_handler(getattr(state, load.fn.__name__)())
            assert not state.access_refused and state.staff_role == "administration", route


def test_a_restauration_account_works_on_effectifs_and_pointage(cook, as_staff, database):
    from cantine_portal.state.admin_daily import AdminAttendanceState
    from cantine_portal.state.admin_rollcall import AdminRollCallState
    from cantine_portal.state.admin_tasks import AdminHomeState

    as_staff(cook)
    home = AdminHomeState(_reflex_internal_init=True)
    run_handler(home.load_home())
    assert home.staff_role == "restauration" and not home.access_refused and not home.is_administration
    attendance = AdminAttendanceState(_reflex_internal_init=True)
    run_handler(attendance.load())
    assert attendance.shown and attendance.error_message == ""
    rollcall = AdminRollCallState(_reflex_internal_init=True)
    run_handler(rollcall.load())
    assert rollcall.shown and rollcall.error_message == "" and rollcall.service_names


@pytest.fixture
def client(database, settings, now, monkeypatch):
    monkeypatch.setattr("cantine_portal.clock.now", lambda: now)  # the sessions were opened at ``now``
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    return TestClient(build_api(), base_url="http://portail.test", follow_redirects=False)


def _admin_routes():
    for route in build_api().routes:
        if isinstance(route, Route) and route.path.startswith("/api/{slug}/admin/") and "GET" in (route.methods or ()):
            yield route.path


def test_every_administration_route_refuses_a_restauration_account_in_french(cook, client, database, now):
    with database.session() as s:
        demo = s.exec(select(Structure).where(Structure.slug == "demo")).one()
        canteen = s.exec(select(Service).where(Service.structure_id == demo.id)).first()
    query = f"?jour={DAY.isoformat()}&prestation={canteen.id}&mois=2026-11&periode=day"
    cook_token, staff_token = _token(database, now, cook), _token(database, now, STAFF_EMAIL)
    paths = sorted(_admin_routes())
    assert RESTAURATION_ROUTES <= set(paths) and len(paths) >= 10
    for path in paths:
        url = path.replace("{slug}", "demo").replace("{document_id}", "1").replace("{message_id}", "1") + query
        client.cookies.clear()
        answer = client.get(url, cookies={"cp_staff_demo": cook_token})
        if path in RESTAURATION_ROUTES:
            assert answer.status_code == 200, path
        else:
            assert answer.status_code == 403, path
            assert answer.text == MSG_WRONG_ROLE and answer.headers["cache-control"] == "private, no-store"
            # the same URL with an administration account is not refused for its role
            assert client.get(url, cookies={"cp_staff_demo": staff_token}).status_code in (200, 404), path
