"""The régie in Chromium (issue 16): staff take a cheque at the counter for a family's open basket
and refund its credit, by the labels they see on the family's page; the parent then finds the days
paid in Réservations, the receipt (same numbering and PDF as online) and the refund in Factures."""

from __future__ import annotations

import re
import time

from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD, STAFF_EMAIL, STAFF_PASSWORD
from tests.browser.conftest import _new_ui, sign_in, step_to_period

SERVICE = "Garderie du matin"
# A week no other browser test books (the portal and its database are shared by the session).
WEEK = re.compile(r"Semaine du 1(er)? au 7 février 2027")
DAYS = ("lundi 1er février", "mardi 2 février")


def _box(ui, day: str):
    return ui.page.get_by_role("checkbox", name=f"Léa — {SERVICE} — {day}", exact=True)


def _open_week(ui) -> None:
    ui.goto("/demo/reservations")
    step_to_period(ui, WEEK, ui.page.get_by_role("button", name="Semaine suivante").click, limit=16)


def _money(text: str) -> str:
    """« 12,34 € » out of a sentence."""
    found = re.search(r"(-?\d[\d\s\u202f\u00a0]*,\d\d)\s*€", text)
    assert found, text
    return found.group(1)


def _staff_on_martin(staff) -> None:
    sign_in(staff, STAFF_EMAIL, STAFF_PASSWORD, staff=True)
    staff.goto("/demo/admin/familles")
    staff.page.get_by_role("link", name="Martin", exact=True).click()
    staff.page.get_by_role("heading", name="Enregistrer un paiement au guichet").wait_for()
    staff.page.get_by_text("Avoir disponible :").wait_for()
    staff.wait_hydrated()


def _cents(amount: str) -> int:
    return int(re.sub(r"\D", "", amount))


def _available_becomes(page, cents: int) -> str:
    """Wait until the family's « Avoir disponible » reads ``cents``; returns it as shown."""
    deadline = time.monotonic() + 20
    while True:
        shown = _money(page.get_by_text("Avoir disponible :").inner_text())
        if _cents(shown) == cents:
            return shown
        assert time.monotonic() < deadline, f"Avoir disponible : {shown}, expected {cents} cents"
        time.sleep(0.1)


def _give_the_credit_back(staff) -> str:
    """A 5 € cash deposit on the credit, then the whole credit refunded by transfer: the family's
    credit is 0 afterwards (and so the cheque below pays its basket in full). Whatever credit earlier
    tests left the family is part of what is refunded: the refund waits for the deposit to show."""
    page = staff.page
    before = _cents(_money(page.get_by_text("Avoir disponible :").inner_text()))
    page.get_by_label("Montant reçu (€)").fill("5,00")
    page.get_by_label("Affectation").select_option(label="Mettre sur l'avoir de la famille")
    page.get_by_role("button", name="Enregistrer le paiement").click()
    available = _available_becomes(page, before + 500)
    page.get_by_text("Versement", exact=False).first.wait_for()  # the deposit, in the family's ledger
    page.get_by_label("Montant à rembourser (€)").fill(available)
    page.get_by_label("Mode de remboursement").select_option(label="Virement")
    page.get_by_label("Référence (virement, n° de chèque)").fill("VIR-NAVIGATEUR")
    page.get_by_role("button", name="Rembourser").click()
    page.get_by_text(f"Remboursement de {available}").first.wait_for()
    page.get_by_text("Avoir disponible : 0,00").wait_for()
    return available


def _cheque_for_the_basket(staff) -> str:
    page = staff.page
    due = _money(page.get_by_text("À régler pour le panier en cours").inner_text())
    page.get_by_label("Mode de paiement", exact=True).select_option(label="Chèque")
    page.get_by_label("Banque").fill("Crédit Agricole")
    page.get_by_label("Numéro du chèque").fill("0012345")
    page.get_by_label("Montant reçu (€)").fill(due)
    page.get_by_label("Affectation").select_option(label="Payer le panier en cours")
    page.get_by_role("button", name="Enregistrer le paiement").click()
    done = page.get_by_text(re.compile(r"Panier payé au guichet : reçu n° 2026-\d{6}"))
    done.wait_for()
    staff.check_a11y()
    return re.search(r"2026-\d{6}", done.inner_text()).group(0)


def test_counter_cheque_pays_the_basket_and_the_parent_sees_days_receipt_and_refund(ui, browser, portal):
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    _open_week(ui)
    for day in DAYS:
        _box(ui, day).click()
    ui.page.get_by_role("button", name="Valider", exact=True).click()
    ui.page.get_by_text("ajouté").first.wait_for()

    context, staff = _new_ui(browser, portal)
    try:
        _staff_on_martin(staff)
        refunded = _give_the_credit_back(staff)
        number = _cheque_for_the_basket(staff)
        # The family's account shows the cheque, with its nature, and it can still be declared unpaid.
        assert staff.page.get_by_role("button", name="Chèque impayé").count() >= 1
        assert staff.page.get_by_role("cell", name="Guichet — Chèque (panier)").count() >= 1
    finally:
        context.close()

    # Réservations: the days are paid (green, and said in words).
    _open_week(ui)
    for day in DAYS:
        assert _box(ui, day).is_checked()
    assert ui.page.get_by_text("✔ Payée").count() >= len(DAYS)

    # Factures: the counter's receipt, numbered with the online ones, as a PDF; the refund.
    ui.goto("/demo/factures")
    row = ui.page.get_by_role("row").filter(has_text=number)
    assert row.count() == 1
    href = row.get_by_role("link", name="Ouvrir le reçu (PDF)").get_attribute("href")
    response = ui.page.context.request.get(ui.portal.url(href))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    refund = ui.page.get_by_role("row").filter(has_text="VIR-NAVIGATEUR")
    assert refund.count() == 1 and "Virement" in refund.inner_text() and refunded in refund.inner_text()
    assert ui.page.get_by_text("Avoir disponible : 0,00 €").is_visible()
    # AGPL §13: the source is offered from every page's footer.
    assert ui.page.get_by_role("link", name="Code source").get_attribute("href") == "/api/code-source"
