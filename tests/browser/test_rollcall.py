"""Issue 20 in Chromium, on a phone (390×844): a « restauration » account sees only Effectifs and
Pointage, walks the roll call by its labels (Présent / Absent, a child added without a
reservation), while a second tablet (another browser context, another staff account) marks the same
list: each sees the other's taps on its next refresh. axe-core runs on every page shown."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from cantine_portal.infra.db import Database
from cantine_portal.models import Child, Family, Reservation, RollCallMark, Service, Structure
from cantine_portal.services.accounts.staff import create_staff
from cantine_portal.services.demo import STAFF_EMAIL, STAFF_PASSWORD
from tests.browser.conftest import PHONE, _new_ui
from tests.browser.test_admin import staff_login

DAY = date(2026, 11, 26)  # FAKE_NOW's day: a Thursday, the canteen is open
COOK, COOK_PASSWORD = "cuisine.pointage@demo.fr", "Cantine-Midi-2026!x"


def _db(portal) -> Database:
    return Database(f"sqlite:///{portal.var_dir / 'cantine.db'}")


def _prepare(portal) -> list[int]:
    """Léa and Hugo paid for the canteen today; a « restauration » account (once per session)."""
    db = _db(portal)
    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    try:
        with db.write_session() as s:
            demo = s.exec(select(Structure).where(Structure.slug == "demo")).one()
            canteen = s.exec(
                select(Service).where(Service.structure_id == demo.id, Service.name == "Restauration scolaire")
            ).one()
            ids = []
            for first_name in ("Léa", "Hugo"):
                child = s.exec(
                    select(Child)
                    .join(Family, Family.id == Child.family_id)
                    .where(Family.structure_id == demo.id, Child.first_name == first_name)
                ).one()
                row = Reservation(
                    structure_id=demo.id,
                    family_id=child.family_id,
                    child_id=child.id,
                    service_id=canteen.id,
                    day=DAY,
                    status="paid",
                    price_cents=385,
                    created_at=now,
                    updated_at=now,
                )
                s.add(row)
                s.flush()
                ids.append(row.id)
            create_staff(s, now, "demo", COOK, COOK_PASSWORD, role="restauration")
        return ids
    finally:
        db.dispose()


def _clean(portal, reservation_ids: list[int]) -> None:
    """The portal is shared by the whole session: leave today's canteen as we found it."""
    db = _db(portal)
    try:
        with db.write_session() as s:
            for mark in s.exec(select(RollCallMark).where(RollCallMark.day == DAY)).all():
                s.delete(mark)
            s.flush()
            for reservation_id in reservation_ids:
                s.delete(s.get(Reservation, reservation_id))
    finally:
        db.dispose()


def _card(ui, name: str):
    return ui.page.locator("li.rc-row").filter(has=ui.page.get_by_text(name, exact=True))


def test_the_canteen_walks_the_roll_call_on_a_phone_with_a_second_tablet(browser, portal):
    reservation_ids = _prepare(portal)
    kitchen_context, kitchen = _new_ui(browser, portal, PHONE)
    office_context, office = _new_ui(browser, portal, PHONE)
    try:
        staff_login(kitchen, COOK, COOK_PASSWORD)
        kitchen.expect_path("/demo/admin")
        menu = kitchen.page.get_by_role("navigation", name="Menu du back-office")
        assert menu.get_by_role("link", name="Pointage").is_visible()
        assert menu.get_by_role("link", name="Effectifs").is_visible()
        for hidden in ("Paramètres", "Familles", "Régie", "Paiements", "Messages"):
            assert menu.get_by_role("link", name=hidden).count() == 0, hidden
        menu.get_by_role("link", name="Pointage").click()
        kitchen.expect_path("/demo/admin/pointage")
        kitchen.page.get_by_role("heading", level=1, name="Pointage").wait_for()

        lea, hugo = _card(kitchen, "MARTIN Léa"), _card(kitchen, "MARTIN Hugo")
        hugo.get_by_text("Régime : Sans porc").wait_for()  # the diet in words (and an icon)
        assert lea.get_by_text("Non pointé").is_visible()
        present = kitchen.page.get_by_role("button", name="Présent : MARTIN Léa")
        box = present.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44  # a gloved thumb
        present.click()
        lea.locator(".rc-status").get_by_text("Présent").wait_for()
        kitchen.page.wait_for_function(
            "() => document.querySelector('[aria-label=\"Présent : MARTIN Léa\"]').getAttribute('aria-pressed') === 'true'"
        )
        kitchen.page.get_by_role("status").get_by_text("MARTIN Léa : présent.").wait_for()
        kitchen.check_a11y()

        # The second tablet: the office's agent on the same list taps Hugo absent.
        staff_login(office, STAFF_EMAIL, STAFF_PASSWORD)
        office.expect_path("/demo/admin")
        office.goto("/demo/admin/pointage")
        _card(office, "MARTIN Léa").locator(".rc-status").get_by_text("Présent").wait_for()  # the kitchen's tap
        office.page.get_by_role("button", name="Absent : MARTIN Hugo").click()
        _card(office, "MARTIN Hugo").locator(".rc-status").get_by_text("Absent").wait_for()
        # ... which the kitchen's phone shows on its next tick (every 5 s), without a reload
        hugo.locator(".rc-status").get_by_text("Absent").wait_for(timeout=15000)
        assert "cuisine.pointage@demo.fr" in lea.locator(".rc-marked").inner_text()

        # A child there without a reservation: found by name, added present, listed last.
        kitchen.page.get_by_label("Nom ou prénom de l'enfant").fill("Emma")
        kitchen.page.get_by_role("button", name="Rechercher").click()
        kitchen.page.get_by_role("button", name="Ajouter comme présent : DURAND Emma").click()
        _card(kitchen, "DURAND Emma").locator(".rc-status").get_by_text("Présent sans réservation").wait_for()
        kitchen.check_a11y()

        # Everything else is refused to this account, by the server, in French.
        kitchen.goto("/demo/admin/parametres")
        kitchen.page.get_by_text("Accès refusé : votre compte « restauration »").wait_for()
        assert kitchen.page.get_by_label("Nom affiché").count() == 0
        answer = kitchen.page.request.get(portal.url("/api/demo/admin/paiements.csv"))
        assert answer.status == 403 and "Accès refusé" in answer.text()

        # End of the service: the big « Terminer le service » on Pointage logs the tablet out.
        end = office.page.get_by_role("button", name="Terminer le service")
        box = end.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44
        end.click()
        office.expect_path("/demo/admin/connexion")
        office.goto("/demo/admin/pointage")
        office.expect_path("/demo/admin/connexion")  # logged out for good: the page asks to log in
    finally:
        kitchen_context.close()
        office_context.close()
        _clean(portal, reservation_ids)
