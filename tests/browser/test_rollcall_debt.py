"""Issue 20 in Chromium, on a phone (390×844): under the « facturé à la famille » rule, the office's
agent adds Hugo present without a reservation on Pointage; the night's settlement bills his family;
the parent sees the sum owed and what it is made of in Factures, and pays it online (« Régler la
somme due »). The test gives back what it takes: the rule, the mark, the family's balance."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import col, delete, select

from cantine_portal.infra.db import Database
from cantine_portal.models import (
    Account,
    Basket,
    Child,
    Credit,
    CreditKind,
    Reservation,
    ReservationStatus,
    RollCallMark,
    Structure,
)
from cantine_portal.services.booking.basket import basket_summary
from cantine_portal.services.booking.queries import credit_balance
from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD, STAFF_EMAIL, STAFF_PASSWORD
from cantine_portal.services.rollcall import billing
from tests.browser.conftest import PHONE, _new_ui, sign_in
from tests.browser.test_payment import _give_back_martin_credit

DAY = date(2026, 11, 26)  # FAKE_NOW's day: a Thursday, the canteen is open
NIGHT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 3h the next night in Paris: the nightly task


def _db(portal) -> Database:
    return Database(f"sqlite:///{portal.var_dir / 'cantine.db'}")


def _ids(s) -> tuple[Structure, int, int]:
    demo = s.exec(select(Structure).where(Structure.slug == "demo")).one()
    martin = s.exec(select(Account).where(Account.email == MARTIN_EMAIL)).one().family_id
    hugo = s.exec(select(Child).where(Child.family_id == martin, Child.first_name == "Hugo")).one().id
    return demo, martin, hugo


def _prepare(portal) -> tuple[str, int]:
    """The billing rule for the test (the commune's rule before, to put back); Martin owes nothing,
    has no credit and, once unticked, no day waiting in his basket. Returns (rule before, last credit id)."""
    _give_back_martin_credit(portal)
    db = _db(portal)
    try:
        with db.write_session() as s:
            demo, martin, _hugo = _ids(s)
            assert credit_balance(s, demo.id, martin) == 0, "Martin owes the régie before the test"
            _untick_what_other_tests_left(s, demo.id, martin)
            assert basket_summary(s, NIGHT, demo.id, martin).empty
            before, demo.rollcall_unbooked_rule = demo.rollcall_unbooked_rule, "bill"
            s.add(demo)
            last = max(s.exec(select(Credit.id)).all(), default=0) or 0
        return before, last
    finally:
        db.dispose()


def _untick_what_other_tests_left(s, structure_id: int, family: int) -> None:
    """Days an earlier test of this portal left waiting in Martin's basket (test_reservations ticks
    and validates without paying) go, as when the parent unticks them and presses Valider: paying
    the sum owed alone, from Factures, is offered when the basket holds no day."""
    summary = basket_summary(s, NIGHT, structure_id, family)
    if summary.empty:
        return
    s.exec(
        delete(Reservation).where(
            col(Reservation.basket_id) == summary.basket_id, col(Reservation.status) == ReservationStatus.PENDING
        )
    )
    basket = s.get(Basket, summary.basket_id)
    basket.version += 1
    s.add(basket)
    s.flush()


def _settle_the_night(portal) -> int:
    """The nightly task's billing, as the task queue's consumer runs it (the browser layer has no
    clock to move): Hugo's day is over."""
    db = _db(portal)
    try:
        with db.write_session() as s:
            return billing.settle_unbooked(s, NIGHT, _ids(s)[0].id).amount_cents
    finally:
        db.dispose()


def _clean(portal, rule: str, last_credit: int) -> None:
    db = _db(portal)
    try:
        with db.write_session() as s:
            demo, martin, hugo = _ids(s)
            demo.rollcall_unbooked_rule = rule
            s.add(demo)
            for mark in s.exec(select(RollCallMark).where(RollCallMark.day == DAY, RollCallMark.child_id == hugo)):
                s.delete(mark)
            if credit_balance(s, demo.id, martin) < 0:  # the test stopped before paying: no debt left
                for credit in s.exec(
                    select(Credit).where(
                        Credit.family_id == martin, Credit.kind == CreditKind.UNBOOKED, Credit.id > last_credit
                    )
                ):
                    s.delete(credit)
    finally:
        db.dispose()


def _text(locator) -> str:
    return " ".join(locator.inner_text().replace("\u00a0", " ").split())


def test_a_meal_without_reservation_is_billed_and_the_parent_pays_it_on_a_phone(browser, portal, shots_dir):
    rule, last_credit = _prepare(portal)
    office_context, office = _new_ui(browser, portal, PHONE)
    parent_context, parent = _new_ui(browser, portal, PHONE)
    try:
        sign_in(office, STAFF_EMAIL, STAFF_PASSWORD, staff=True)
        office.goto("/demo/admin/pointage")
        office.page.get_by_role("heading", level=1, name="Pointage").wait_for()
        office.page.get_by_text("facturé à la famille au prix de son tarif", exact=False).wait_for()
        office.page.get_by_label("Nom ou prénom de l'enfant").fill("Hugo")
        office.page.get_by_role("button", name="Rechercher").click()
        office.page.get_by_role("button", name="Ajouter comme présent : MARTIN Hugo").click()
        card = office.page.locator("li.rc-row").filter(has=office.page.get_by_text("MARTIN Hugo", exact=True))
        card.locator(".rc-status").get_by_text("Présent sans réservation").wait_for()
        office.check_a11y()
        office.shot(shots_dir, "pointage-present-sans-reservation")

        assert _settle_the_night(portal) == 385  # Martin's tariff (QF 1 350 €): 3,85 €

        sign_in(parent, MARTIN_EMAIL, MARTIN_PASSWORD)
        parent.goto("/demo/factures")
        parent.page.get_by_text("Somme due à la régie", exact=False).first.wait_for()
        assert _text(parent.page.locator("#credit-balance")) == "Somme due à la régie : 3,85 €"
        owed = _text(parent.page.locator("#owed-meals"))
        assert "jeudi 26 novembre 2026" in owed and "Hugo" in owed and "Restauration scolaire" in owed
        pay = parent.page.get_by_role("button", name="Régler la somme due en ligne")
        box = pay.bounding_box()
        assert box is not None and box["height"] >= 44
        parent.check_a11y()
        parent.shot(shots_dir, "factures-somme-due")
        pay.click()
        parent.page.wait_for_url(lambda url: "/banque-simulee/sim_" in url)
        parent.page.get_by_text("3,85", exact=False).first.wait_for()
        parent.page.get_by_role("button", name="Payer", exact=True).click()
        parent.page.wait_for_url(lambda url: "/demo/paiement/retour" in url)
        parent.page.get_by_text("Paiement reçu : la somme due à la régie est réglée.").wait_for()
        parent.page.get_by_text("Somme due à la régie réglée :", exact=False).wait_for()  # the ticket

        parent.goto("/demo/factures")
        parent.page.locator("#credit-balance").get_by_text("Avoir disponible", exact=False).wait_for()
        assert _text(parent.page.locator("#credit-balance")) == "Avoir disponible : 0,00 €"
        assert parent.page.locator("#owed-meals").count() == 0
        assert parent.page.get_by_role("button", name="Régler la somme due en ligne").count() == 0
        office.assert_no_csp_violation()
        parent.assert_no_csp_violation()
    finally:
        office_context.close()
        parent_context.close()
        _clean(portal, rule, last_credit)
