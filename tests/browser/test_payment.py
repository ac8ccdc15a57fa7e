"""Guide 3.1 steps 5-6 and section 4 in Chromium: pay the basket at the simulated bank, the ticket,
green days, the receipt in Factures; and a refused payment that leaves the days blue."""

from __future__ import annotations

import email
import time
from datetime import UTC, datetime
from email import policy

from sqlmodel import select

from cantine_portal.infra.db import Database
from cantine_portal.models import Account, AccountRole, RefundMethod, Structure
from cantine_portal.services.booking.queries import credit_balance
from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD
from cantine_portal.services.regie import refunds
from tests.browser.conftest import sign_in, step_to_period

SERVICE = "Garderie du matin"
# A week no other browser test books: the portal (and its database) is shared by the session.
WEEK = "Semaine du 11 au 17 janvier 2027"


def _give_back_martin_credit(portal) -> None:
    """Earlier tests of the session (a validated absence…) may leave Martin a credit that would pay
    the basket without the bank: the régie gives it back, as staff would, so these walks reach the
    bank whatever ran before."""
    db = Database(f"sqlite:///{portal.var_dir / 'cantine.db'}")
    try:
        with db.write_session() as s:
            demo = s.exec(select(Structure).where(Structure.slug == "demo")).one()
            martin = s.exec(select(Account).where(Account.email == MARTIN_EMAIL)).one()
            staff = s.exec(
                select(Account).where(Account.structure_id == demo.id, Account.role == AccountRole.STAFF)
            ).first()
            balance = credit_balance(s, demo.id, martin.family_id)
            if balance > 0 and staff is not None and martin.family_id is not None:
                refunds.refund_credit(
                    s,
                    datetime.now(UTC),
                    demo.id,
                    staff.id,
                    martin.family_id,
                    balance,
                    RefundMethod.TRANSFER,
                    "TEST-PAIEMENT",
                    "Avoir rendu avant le parcours de paiement",
                    f"browser-payment-{time.monotonic_ns()}",
                )
    finally:
        db.dispose()


def _box(ui, child: str, day: str):
    return ui.page.get_by_role("checkbox", name=f"{child} — {SERVICE} — {day}", exact=True)


def _open_week(ui) -> None:
    ui.goto("/demo/reservations")
    step_to_period(ui, WEEK, ui.page.get_by_role("button", name="Semaine suivante").click, limit=12)


def _book_next_week(ui, child: str, day: str) -> None:
    _open_week(ui)
    _box(ui, child, day).click()
    ui.page.get_by_role("button", name="Valider", exact=True).click()
    ui.page.get_by_text("ajouté").first.wait_for()
    ui.page.get_by_role("button", name="Valider votre panier maintenant").click()
    ui.page.get_by_role("heading", name="Votre panier").wait_for()


def _pay_at_bank(ui, button: str) -> None:
    ui.page.get_by_role("button", name="Payer", exact=False).filter(has_text="en ligne").click()
    ui.page.wait_for_url(lambda url: "/banque-simulee/sim_" in url)
    ui.page.get_by_text("SIMULATION").first.wait_for()
    ui.check_a11y()
    ui.page.get_by_text("Ville de Démo").first.wait_for()
    ui.page.get_by_role("button", name=button, exact=True).click()
    ui.page.wait_for_url(lambda url: "/demo/paiement/retour" in url)
    ui.wait_hydrated()
    ui.check_a11y()


def _ticket_mail(portal, reference: str, within: float = 20.0) -> list:
    deadline = time.monotonic() + within
    while True:
        tickets = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in portal.mails()]
        found = [m for m in tickets if reference in m["Subject"]]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_pay_basket_ticket_green_days_and_receipt(ui, portal):
    _give_back_martin_credit(portal)
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    _book_next_week(ui, "Léa", "lundi 11 janvier")
    _pay_at_bank(ui, "Payer")
    ui.page.get_by_role("heading", name="Ticket de paiement").wait_for()
    reference = ui.page.get_by_text("Référence :").inner_text().split(":", 1)[1].strip()
    assert reference.startswith("P-")
    assert ui.page.get_by_text("Garderie du matin").first.is_visible()

    # The ticket arrives by e-mail, with the receipt attached (sent once the bank has been answered).
    ticket = _ticket_mail(portal, reference)
    assert ticket and ticket[0]["To"] == MARTIN_EMAIL
    assert any(part.get_filename("").startswith("recu-") for part in ticket[0].iter_attachments())

    # The day is now green (paid), said in words too.
    _open_week(ui)
    assert _box(ui, "Léa", "lundi 11 janvier").is_checked()
    assert ui.page.get_by_text("✔ Payée").first.is_visible()

    # Factures: the receipt, opened in a new tab as a PDF.
    ui.goto("/demo/factures")
    first = ui.page.get_by_role("row").nth(1)
    assert "Reçu n° 2026-" in first.inner_text()
    link = ui.page.get_by_role("link", name="Ouvrir le reçu").first
    assert link.get_attribute("target") == "_blank"
    response = ui.page.context.request.get(ui.portal.url(link.get_attribute("href")))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    assert "inline" in response.headers["content-disposition"]
    with ui.page.context.expect_page() as new_tab:
        link.click()
    new_tab.value.close()


def test_refused_payment_leaves_days_blue_and_nothing_paid(ui, portal):
    _give_back_martin_credit(portal)
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    ui.goto("/demo/factures")
    receipts_before = ui.page.get_by_role("row").count()
    _book_next_week(ui, "Hugo", "mardi 12 janvier")
    _pay_at_bank(ui, "Refuser")
    ui.page.get_by_text("Le paiement n'a pas abouti").wait_for()
    _open_week(ui)
    assert _box(ui, "Hugo", "mardi 12 janvier").is_checked()
    row = ui.page.get_by_text("🛒 Dans le panier")
    assert row.count() >= 1
    ui.goto("/demo/factures")
    assert ui.page.get_by_role("row").count() == receipts_before
    # Leave the basket as found: untick the blue day and Valider removes it.
    _open_week(ui)
    _box(ui, "Hugo", "mardi 12 janvier").click()
    ui.page.get_by_role("button", name="Valider", exact=True).click()
    ui.page.get_by_text("retiré").first.wait_for()
    assert not _box(ui, "Hugo", "mardi 12 janvier").is_checked()


def test_receipt_route_refuses_without_a_session(portal):
    import httpx

    response = httpx.get(portal.url("/api/demo/recus/1"))
    assert response.status_code == 404 and response.content == b""
