"""The parent back from PayFiP or Systempay: a POST (the bank's form) or a GET on the return route.

Recorded PayFiP answers are replayed (tests/fixtures/payfip, as in test_payfip.py); no network. What
the browser brings is never trusted: only PayFiP's own detail call, or Systempay's signature, makes
anything paid; the parent always lands on the return page of the payment, by a GET.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from cantine_portal.api.middleware import SlugCache, portal_middleware
from cantine_portal.api.routes import build_api
from cantine_portal.models import Payment, Receipt, Structure
from cantine_portal.services.payments.eopayment_provider import EopaymentProvider
from cantine_portal.usecases import payments_pending
from tests.integration.test_booking import NOW, summary
from tests.integration.test_payfip import (  # noqa: F401  (fixtures)
    IDOP,
    _answer,
    d,
    replay,
    settings,
    systempay_checkout,
)

BANK = "https://www.payfip.gouv.fr"


@pytest.fixture
def wired(d, settings, monkeypatch):
    """The use cases on the test's database and settings, the route's clock on ``now[0]``."""
    for module in ("payments_pending", "payments"):
        monkeypatch.setattr(f"cantine_portal.usecases.{module}.get_settings", lambda: settings)
        monkeypatch.setattr(f"cantine_portal.usecases.{module}.get_database", lambda: d.db)
    monkeypatch.setattr("cantine_portal.usecases.payments.after_notification", lambda job_id: None)
    now = [NOW + timedelta(minutes=15)]
    monkeypatch.setattr("cantine_portal.api.payment_routes.clock.now", lambda: now[0])
    return now


def client(settings, adapter, monkeypatch) -> TestClient:
    """The API behind the portal's edge middleware; PayFiP answered by the recorded adapter."""
    import requests

    session = requests.Session()
    session.mount("https://", adapter)
    monkeypatch.setattr(payments_pending, "EopaymentProvider", functools.partial(EopaymentProvider, http=session))
    app = portal_middleware(
        build_api(), slug_cache=SlugCache(lambda: {"demo"}), max_connections=0, settings=settings, script_hashes=()
    )
    return TestClient(app, base_url=settings.base_url, follow_redirects=False)


def landed(response, payment: Payment) -> None:
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/demo/paiement/retour?ref={payment.reference}"


def status(d, payment: Payment) -> str:
    with d.db.session() as s:
        return s.get(Payment, payment.id).status


def test_the_bank_form_posted_to_the_return_url_is_verified_then_the_parent_sees_the_ticket(
    d, settings, wired, monkeypatch
):
    _provider, payment, adapter = replay(d, settings, "detail_paid.xml", "detail_paid.xml")
    http = client(settings, adapter, monkeypatch)
    response = http.post(
        f"/api/paiement/payfip/demo/retour?ref={payment.reference}",
        data={"idOp": IDOP},
        headers={"Origin": BANK},  # the bank's page posts the form: a foreign origin, let in here only
    )
    landed(response, payment)
    # PayFiP was told to send the parent back to the return route, with the payment's reference.
    assert f"/api/paiement/payfip/demo/retour?ref={payment.reference}</urlredirect>" in adapter.sent[0].decode()
    assert b"<idOp>" + IDOP.encode() in adapter.sent[-1]  # PayFiP was asked, the browser was not believed
    assert status(d, payment) == "succeeded"
    # The notification arrives afterwards: nothing twice.
    notified = http.post("/api/paiement/payfip/demo/notification", data={"idOp": IDOP})
    assert notified.json()["outcome"] == "duplicate"
    with d.db.session() as s:
        assert len(s.exec(select(Receipt)).all()) == 1


def test_a_get_return_and_a_post_to_the_page_address_work_alike(d, settings, wired, monkeypatch):
    _provider, payment, adapter = replay(d, settings, "detail_paid.xml", "detail_paid.xml")
    http = client(settings, adapter, monkeypatch)
    landed(http.get(f"/api/paiement/payfip/demo/retour?ref={payment.reference}&idop={IDOP}"), payment)
    assert status(d, payment) == "succeeded"
    again = http.post(f"/demo/paiement/retour?ref={payment.reference}", data={"idOp": IDOP}, headers={"Origin": BANK})
    landed(again, payment)  # already paid: the same page, nothing applied twice
    with d.db.session() as s:
        assert len(s.exec(select(Receipt)).all()) == 1


def test_what_the_browser_claims_is_never_applied(d, settings, wired, monkeypatch):
    _provider, payment, adapter = replay(d, settings, "fault_P1.xml")
    http = client(settings, adapter, monkeypatch)
    forged = http.post(
        f"/api/paiement/payfip/demo/retour?ref={payment.reference}",
        data={"idOp": "forged", "resultrans": "P", "montant": str(payment.amount_cents)},
        headers={"Origin": BANK},
    )
    # An idOp that is none of ours: « Paiement introuvable » at once, PayFiP not asked.
    assert forged.status_code == 303 and forged.headers["location"] == "/demo/paiement/retour"
    assert status(d, payment) == "created" and summary(d).status == "checkout"
    # Nothing but an idOp, nothing asked; a reference that is not one of ours is dropped.
    bare = http.post("/api/paiement/payfip/demo/retour?ref=//evil.example/x", data={"montant": "1"})
    assert bare.status_code == 303 and bare.headers["location"] == "/demo/paiement/retour"
    assert len(adapter.sent) == 1  # the creation; the forged idOp is not one of ours: PayFiP never asked
    # The other pages of the portal still refuse a foreign POST.
    assert http.post("/api/paiement/payfip/demo/notification", headers={"Origin": BANK}).status_code == 403


def test_a_cancellation_seen_at_once_waits_then_the_notification_reopens_the_basket(d, settings, wired, monkeypatch):
    """PayFiP says « cancelled » a moment after the parent cancelled: eopayment's rule (the parent
    may still pay for two minutes) read on the portal's clock; the later answer is not a duplicate."""
    _provider, payment, adapter = replay(d, settings)
    values = {"AMOUNT": str(payment.amount_cents), "REFDET": payment.reference.replace("-", "")}
    adapter.answers["recupererDetailPaiementSecurise"] = [
        ("detail_cancelled.xml", {**values, "<heurtrans>0950": "<heurtrans>1014"}),
        ("detail_cancelled.xml", {**values, "<heurtrans>0950": "<heurtrans>1014"}),
    ]
    http = client(settings, adapter, monkeypatch)
    wired[0] = NOW + timedelta(minutes=15)  # 10:15 in Paris, one minute after the cancellation
    landed(http.post(f"/demo/paiement/retour?ref={payment.reference}", data={"idOp": IDOP}), payment)
    assert status(d, payment) == "created"
    wired[0] = NOW + timedelta(minutes=20)
    assert http.post("/api/paiement/payfip/demo/notification", data={"idOp": IDOP}).json()["outcome"] == "reopened"
    assert status(d, payment) == "cancelled" and summary(d, now=wired[0]).status == "open"


def test_systempay_return_applies_only_a_signed_answer(d, settings, wired, monkeypatch):
    from tests.integration.test_payfip import Recorded

    with d.db.write_session() as s:
        s.get(Structure, d.structure).payment_provider = "systempay"
    _provider, payment, fields = systempay_checkout(d, settings)
    http = client(settings, Recorded({}), monkeypatch)
    forged = _answer(fields, payment, secret="not-the-secret")
    landed(http.get(f"/api/paiement/systempay/demo/retour?ref={payment.reference}&{forged}"), payment)
    assert status(d, payment) == "created"
    signed = _answer(fields, payment)
    landed(http.get(f"/api/paiement/systempay/demo/retour?ref={payment.reference}&{signed}"), payment)
    assert status(d, payment) == "succeeded"
    assert urlsplit(fields["vads_url_return"]).path == "/api/paiement/systempay/demo/retour"


def test_an_answer_still_lands_after_the_commune_changed_provider(d, settings, wired, monkeypatch):
    """A PayFiP payment under way when the commune switches to another provider: PayFiP's answer
    is still verified and applied (refusing it would lose money the DGFiP collected)."""
    _provider, payment, adapter = replay(d, settings, "detail_paid.xml")
    http = client(settings, adapter, monkeypatch)
    with d.db.write_session() as s:
        s.get(Structure, d.structure).payment_provider = "simulated"
    assert http.post("/api/paiement/payfip/demo/notification", data={"idOp": IDOP}).json()["outcome"] == "paid"
    assert status(d, payment) == "succeeded"
    # A commune that never had a PayFiP account gets nothing from that route.
    with d.db.write_session() as s:
        s.get(Structure, d.structure).payfip_numcli = ""
    assert http.post("/api/paiement/payfip/demo/notification", data={"idOp": IDOP}).status_code == 400


def detail_calls(adapter) -> int:
    """How many times PayFiP's web service was asked about a payment (not the creation)."""
    return sum(b"recupererDetailPaiementSecurise" in body for body in adapter.sent)


def test_an_unknown_idop_is_answered_at_once_without_asking_payfip(d, settings, wired, monkeypatch):
    """Anyone may call these routes: an idOp that is not one of our payments never reaches PayFiP."""
    _provider, payment, adapter = replay(d, settings)
    http = client(settings, adapter, monkeypatch)
    back = http.post(
        f"/api/paiement/payfip/demo/retour?ref={payment.reference}", data={"idOp": "made-up"}, headers={"Origin": BANK}
    )
    # The return page without a payment to show says « Paiement introuvable » (pages/payment.py).
    assert back.status_code == 303 and back.headers["location"] == "/demo/paiement/retour"
    assert http.get("/api/paiement/payfip/demo/retour?idop=made-up").headers["location"] == "/demo/paiement/retour"
    assert http.post("/api/paiement/payfip/demo/notification", data={"idOp": "made-up"}).status_code == 404
    assert http.get("/api/paiement/payfip/demo/notification?idOp=made-up").status_code == 404
    assert detail_calls(adapter) == 0
    assert status(d, payment) == "created"
    # Our own idOp, under another commune's address, is not one of that commune's payments either.
    with d.db.write_session() as s:
        other = s.get(Structure, d.autreville)
        other.payfip_numcli, other.payfip_mode = "123456", "T"
    assert http.post("/api/paiement/payfip/autreville/notification", data={"idOp": IDOP}).status_code == 404
    assert detail_calls(adapter) == 0


def test_answers_are_limited_per_address_and_behind_a_proxy_per_client(d, settings, wired, monkeypatch):
    _provider, payment, adapter = replay(d, settings, "fault_P5.xml", "fault_P5.xml", "fault_P5.xml")
    monkeypatch.setattr(payments_pending, "PROVIDER_ANSWERS_PER_IP_PER_HOUR", 2)
    http = client(settings, adapter, monkeypatch)
    for _ in range(2):
        assert http.post("/api/paiement/payfip/demo/notification", data={"idOp": IDOP}).status_code == 200
    assert detail_calls(adapter) == 2
    limited = http.post("/api/paiement/payfip/demo/notification", data={"idOp": IDOP})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3600"
    # The parent's browser from that address lands on the payment as the portal has it (the
    # notification, or the minutely check, settles it), without PayFiP being asked.
    landed(http.get(f"/api/paiement/payfip/demo/retour?ref={payment.reference}&idOp={IDOP}"), payment)
    # Unknown idOps count as well: flooding with made-up ones is limited too.
    assert http.post("/api/paiement/payfip/demo/notification", data={"idOp": "made-up"}).status_code == 429
    assert detail_calls(adapter) == 2
    # Behind the portal's own proxy (CANTINE_TRUSTED_PROXIES), each client has its own count…
    proxied = replace(settings, trusted_proxies=frozenset({"testclient"}))
    monkeypatch.setattr("cantine_portal.api.payment_routes.get_settings", lambda: proxied)
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    assert (
        http.post("/api/paiement/payfip/demo/notification", data={"idOp": IDOP}, headers=forwarded).status_code == 200
    )
    assert detail_calls(adapter) == 3
    # …and an hour later the first address may ask again.
    wired[0] += timedelta(hours=1, minutes=1)
    adapter.answers["recupererDetailPaiementSecurise"].append(("fault_P5.xml", {}))
    assert http.post("/api/paiement/payfip/demo/notification", data={"idOp": IDOP}).status_code == 200
    assert detail_calls(adapter) == 4
