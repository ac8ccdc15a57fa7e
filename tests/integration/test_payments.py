"""Payment fulfilment, receipts and the providers, with an injected clock and no network
(notification signatures: tests/unit/test_signatures.py)."""

from __future__ import annotations

import io
import json
import re
import threading
from datetime import timedelta

import pytest
import stripe
from pypdf import PdfReader
from sqlmodel import select

from cantine_portal.config import Settings
from cantine_portal.infra import storage
from cantine_portal.infra.db import Database
from cantine_portal.models import Basket, Credit, Payment, PaymentEvent, Receipt, Reservation
from cantine_portal.services.booking import checkout as booking_checkout
from cantine_portal.services.payments import events, fulfilment, providers, receipts, signatures
from cantine_portal.services.payments.events import ProviderEvent
from cantine_portal.usecases import payments as payment_cases
from tests.integration.test_booking import MON, NOW, THU, TUE, Demo, _load, apply, summary

SECRET = "whsec_test_secret"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env(
        {
            "CANTINE_VAR_DIR": str(tmp_path / "var"),
            "CANTINE_SECRET_KEY": "k" * 48,
            "STRIPE_SECRET_KEY": "sk_test_123",
            "STRIPE_WEBHOOK_SECRET": SECRET,
        }
    )


@pytest.fixture
def d(database: Database, monkeypatch, demo_rows) -> Demo:
    return _load(database, monkeypatch)


def start(d: Demo, days=(MON, TUE), now=NOW) -> Payment:
    """Martin's basket with Léa's canteen on ``days``, sent to the simulated bank."""
    assert apply(d, {(d.lea, d.canteen, day) for day in days}, now=now).ok
    with d.db.write_session() as s:
        result = booking_checkout.begin_checkout(
            s, now, d.structure, d.martin, providers.SimulatedBank(now), summary(d, now).version
        )
    assert result.ok and result.redirect_url.startswith("/banque-simulee/sim_")
    with d.db.session() as s:
        return s.get(Payment, result.payment_id)


def event(payment: Payment, kind="succeeded", amount=None, currency="eur", event_id="evt_1") -> ProviderEvent:
    return ProviderEvent(
        "simulated",
        event_id,
        kind,
        payment.provider_session_id,
        payment.amount_cents if amount is None else amount,
        currency,
        "pay_1",
        "{}",
        kind,
    )


def handle(d: Demo, settings, ev: ProviderEvent, now=NOW):
    with d.db.write_session() as s:
        return fulfilment.handle_event(s, now, settings, ev)


def statuses(d: Demo) -> list[str]:
    with d.db.session() as s:
        return sorted(r.status for r in s.exec(select(Reservation).where(Reservation.family_id == d.martin)))


def count(d: Demo, model) -> int:
    with d.db.session() as s:
        return len(s.exec(select(model)).all())


# --- fulfilment paths --------------------------------------------------------------------


def test_success_pays_once_with_receipt_and_ticket(d, settings):
    payment = start(d)
    result = handle(d, settings, event(payment))
    assert result.outcome == "paid"
    assert statuses(d) == ["paid", "paid"]
    ticket = payment_cases.ticket_after_commit(d.db, settings, result.receipt_id)
    assert ticket.to == "famille.martin@example.fr"
    assert ticket.attachments[0].filename == "recu-2026-000001.pdf"
    assert ticket.attachments[0].content.startswith(b"%PDF")
    # Same time notation as the return page and the PDF ("à 10h00", not "10:00").
    assert re.search(r"— le \d{2}/\d{2}/\d{4} à \d{1,2}h\d{2} — montant payé : 7,70", ticket.text)
    with d.db.session() as s:
        receipt = s.exec(select(Receipt)).one()
        assert receipt.number == "2026-000001" and receipt.amount_cents == 770
        assert s.get(Basket, payment.basket_id).status == "paid"


def test_same_event_twice_changes_nothing(d, settings):
    payment = start(d)
    handle(d, settings, event(payment))
    again = handle(d, settings, event(payment))
    assert again.outcome == "duplicate" and again.receipt_id is None
    assert count(d, Receipt) == 1 and count(d, PaymentEvent) == 1


def test_second_success_event_with_another_id_is_a_no_op(d, settings):
    payment = start(d)
    handle(d, settings, event(payment))
    assert handle(d, settings, event(payment, event_id="evt_2")).outcome == "already"
    assert count(d, Receipt) == 1


def test_refusal_reopens_basket_and_days_stay_pending(d, settings):
    payment = start(d)
    assert handle(d, settings, event(payment, "failed")).outcome == "reopened"
    assert statuses(d) == ["pending", "pending"]
    with d.db.session() as s:
        assert s.get(Basket, payment.basket_id).status == "open"
    # Paying again works, and counts once.
    again = start(d, days=(MON, TUE, THU))
    assert again.amount_cents == 3 * 385
    handle(d, settings, event(again, event_id="evt_3"))
    assert statuses(d) == ["paid", "paid", "paid"]


def test_notification_before_the_return_page_and_after_it(d, settings):
    payment = start(d)
    with d.db.session() as s:  # the return page only reads: nothing is paid by visiting it
        assert fulfilment.family_payment(s, d.structure, d.martin, payment.reference).status == "created"
    assert statuses(d) == ["pending", "pending"]
    handle(d, settings, event(payment))
    with d.db.session() as s:
        assert fulfilment.family_payment(s, d.structure, d.martin, payment.reference).status == "succeeded"


def test_amount_mismatch_reopens_and_credits_what_was_received(d, settings):
    payment = start(d)
    result = handle(d, settings, event(payment, amount=100))
    assert result.outcome == "anomaly"
    assert statuses(d) == ["pending", "pending"]
    with d.db.session() as s:
        credit = s.exec(select(Credit)).one()
        assert credit.amount_cents == 100
    assert count(d, Receipt) == 0


def test_wrong_currency_is_refused_and_reported(d, settings):
    payment = start(d)
    assert handle(d, settings, event(payment, currency="usd")).outcome == "anomaly"
    assert statuses(d) == ["pending", "pending"] and count(d, Receipt) == 0


def test_expired_then_late_success_becomes_a_credit(d, settings):
    """A real provider's late success moved real money: it is never lost, it becomes a credit."""
    payment = _stripe_payment(d)
    later = NOW + timedelta(minutes=31)
    with d.db.write_session() as s:
        assert fulfilment.expire_stale_checkouts(s, later, d.structure, d.martin) == 1
    assert statuses(d) == ["pending"]
    late = events.parse_stripe(_stripe_event("checkout.session.completed", payment.provider_session_id, 385))
    result = handle(d, settings, late, now=later)
    assert result.outcome == "anomaly"
    with d.db.session() as s:
        assert sum(c.amount_cents for c in s.exec(select(Credit))) == 385
    # The credit then pays the basket without the bank.
    with d.db.write_session() as s:
        settled = booking_checkout.begin_checkout(
            s, later, d.structure, d.martin, providers.SimulatedBank(later), summary(d, later).version
        )
        assert settled.paid
        fulfilment.settle_without_bank(s, later, settings, settled.payment_id)
    assert statuses(d) == ["paid"]
    assert count(d, Receipt) == 1


def _end_session(d: Demo, settings, payment: Payment, how: str) -> None:
    """The first tab of the simulated bank ends the session (or it expires)."""
    if how == "expired":
        with d.db.write_session() as s:
            assert fulfilment.expire_stale_checkouts(s, NOW + timedelta(minutes=31), d.structure, d.martin) == 1
    else:
        assert handle(d, settings, event(payment, how, event_id="evt_first_tab")).outcome == "reopened"


@pytest.mark.parametrize("how", ["failed", "cancelled", "expired"])
def test_simulated_bank_second_tab_cannot_pay_an_ended_session(d, settings, how):
    """No money moves at the simulated bank: « Payer » in a second tab after the first refused,
    cancelled or let the session expire must not become a credit (3,85 € then 7,70 € for nothing)."""
    payment = start(d)
    _end_session(d, settings, payment, how)
    result = handle(d, settings, event(payment, event_id="evt_second_tab"), now=NOW + timedelta(minutes=32))
    assert result.outcome == "closed" and result.receipt_id is None
    assert "terminée" in result.message
    assert statuses(d) == ["pending", "pending"]  # still in the basket, to be paid for real
    assert count(d, Credit) == 0 and count(d, Receipt) == 0
    with d.db.session() as s:
        assert s.get(Payment, payment.id).status == ("expired" if how == "expired" else how)
        assert (
            s.exec(select(PaymentEvent).where(PaymentEvent.event_id == "evt_second_tab"))
            .one()
            .outcome.startswith("refused: simulated session ended")
        )


def _choose_provider(d: Demo, provider: str) -> None:
    from cantine_portal.models import Structure

    with d.db.write_session() as s:
        s.get(Structure, d.structure).payment_provider = provider


@pytest.mark.parametrize(
    "provider, env",
    [
        ("stripe", {}),  # Stripe chosen, keys missing on the server
        ("simulated", {"CANTINE_BASE_URL": "https://portail.example.fr"}),  # production: no simulated bank
    ],
)
def test_payer_refused_when_the_communes_provider_is_unusable_never_another_one(d, tmp_path, provider, env):
    """Never a silent fallback to the simulated bank: the basket stays open, nothing is paid."""
    settings = Settings.from_env({"CANTINE_VAR_DIR": str(tmp_path / "var"), "CANTINE_SECRET_KEY": "k" * 48, **env})
    _choose_provider(d, provider)
    assert apply(d, {(d.lea, d.canteen, MON), (d.lea, d.canteen, TUE)}).ok
    with d.db.write_session() as s:
        started = fulfilment.start_checkout(s, NOW, settings, d.structure, d.martin, summary(d).version)
    assert not started.result.ok and started.result.redirect_url is None and started.receipt_id is None
    assert started.result.message.startswith("Le paiement en ligne est momentanément indisponible.")
    assert count(d, Payment) == 0 and count(d, Receipt) == 0
    assert statuses(d) == ["pending", "pending"] and summary(d).status == "open"
    with d.db.session() as s:
        from cantine_portal.models import Structure

        with pytest.raises(providers.PaymentUnavailable):
            providers.provider_for(s.get(Structure, d.structure), settings, NOW)


def test_payer_with_stripe_keys_goes_to_stripe(d, settings, monkeypatch):
    _choose_provider(d, "stripe")
    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    with d.db.write_session() as s:
        started = fulfilment.start_checkout(s, NOW, settings, d.structure, d.martin, summary(d).version)
    assert started.result.ok and started.result.pending is not None  # Stripe's page opens after the commit
    with d.db.session() as s:
        assert s.get(Payment, started.result.payment_id).provider == "stripe"


def test_checkout_within_its_lifetime_is_not_expired(d, settings):
    start(d)
    with d.db.write_session() as s:
        assert fulfilment.expire_stale_checkouts(s, NOW + timedelta(minutes=29), d.structure, d.martin) == 0


def test_event_for_unknown_session_is_logged_not_applied(d, settings):
    ghost = ProviderEvent("simulated", "evt_x", "succeeded", "sim_nope", 100, "eur", None, "{}", "payment.succeeded")
    assert handle(d, settings, ghost).outcome == "unknown"
    assert count(d, PaymentEvent) == 1


# --- receipts ------------------------------------------------------------------------------


def test_receipt_pdf_content(d, settings):
    payment = start(d)
    result = handle(d, settings, event(payment))
    path, pdf = payment_cases.ensure_receipt_pdf(d.db, settings, result.receipt_id)
    assert storage.read_bytes(settings, path) == pdf
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("Ville de Démo", "2026-000001", "Léa", "Restauration scolaire", "7,70 €", "Reçu"):
        assert expected in text, expected


def test_receipt_pdf_is_drawn_after_the_commit_and_stored_once(d, settings):
    """The payment's transaction takes the number; the PDF is rendered once it has committed
    (not while SQLite's write lock is held), stored once, and never changes afterwards."""
    payment = start(d)
    result = handle(d, settings, event(payment))
    with d.db.session() as s:
        receipt = s.get(Receipt, result.receipt_id)
        assert receipt.number == "2026-000001" and receipt.pdf_path is None
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(payment_cases.ensure_receipt_pdf(d.db, settings, result.receipt_id))
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({path for path, _ in results}) == 1 and len({pdf for _, pdf in results}) == 1
    with d.db.session() as s:
        receipt = s.get(Receipt, result.receipt_id)
    assert receipt.pdf_path == results[0][0]
    assert receipt.sha256 == __import__("hashlib").sha256(results[0][1]).hexdigest()
    assert [p.name for p in (settings.storage_dir / "receipts").iterdir()] == [receipt.pdf_path.split("/")[-1]]
    assert payment_cases.ensure_receipt_pdf(d.db, settings, result.receipt_id) == results[0]


def test_receipt_numbers_without_gap_under_concurrent_payments(tmp_path, monkeypatch, settings):
    db = Database(f"sqlite:///{tmp_path / 'race.db'}")
    from sqlmodel import SQLModel

    SQLModel.metadata.create_all(db.engine)
    demo = _load(db, monkeypatch)
    with db.session() as s:
        structure = demo.structure
    errors: list[Exception] = []

    def take() -> None:
        try:
            with db.write_session() as s:
                receipts.next_receipt_number(s, structure, 2026)
        except Exception as exc:  # noqa: BLE001  - any error of the other thread is reported by the assertions below
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with db.write_session() as s:
        assert receipts.next_receipt_number(s, structure, 2026) == "2026-000013"
    # A rolled-back transaction gives its number back.
    with pytest.raises(RuntimeError):
        with db.write_session() as s:
            receipts.next_receipt_number(s, structure, 2026)
            raise RuntimeError("payment failed later in the transaction")
    with db.write_session() as s:
        assert receipts.next_receipt_number(s, structure, 2026) == "2026-000014"
    db.dispose()


def test_receipts_listed_newest_first_and_only_for_the_family(d, settings):
    first = start(d, days=(MON,))
    handle(d, settings, event(first))
    second = start(d, days=(MON, TUE), now=NOW + timedelta(minutes=1))  # Monday stays booked (paid)
    handle(d, settings, event(second, event_id="evt_2"), now=NOW + timedelta(minutes=2))
    with d.db.session() as s:
        rows = receipts.family_receipts(s, d.structure, d.martin)
        assert [r.number for r in rows] == ["2026-000002", "2026-000001"]
        assert receipts.family_receipts(s, d.structure, d.durand) == []
        assert receipts.family_receipt(s, d.structure, d.durand, rows[0].id) is None
        assert receipts.family_receipt(s, d.autreville, d.martin, rows[0].id) is None


# --- Stripe without network ---------------------------------------------------------------


class FakeStripeHTTP(stripe.HTTPClient):
    """Answers like Stripe's API and records each request (no network)."""

    name = "fake"

    def __init__(self, database=None, fail=False):
        super().__init__()
        self.requests: list[tuple[str, str, dict, str]] = []
        self.database, self.fail = database, fail
        self.write_lock_free: list[bool] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.requests.append((method, url, dict(headers or {}), post_data or ""))
        if self.database is not None and self.database._writer is not None:  # SQLite's single writer
            # Another writer (another thread) gets the write lock while Stripe is being called.
            got = []

            def other_writer():
                got.append(self.database._writer.acquire(timeout=2))
                if got[0]:
                    self.database._writer.release()

            thread = threading.Thread(target=other_writer)
            thread.start()
            thread.join()
            self.write_lock_free.append(got[0])
        if self.fail:
            raise stripe.APIConnectionError("Stripe unreachable")
        body = {
            "id": "cs_test_123",
            "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_123",
        }
        return json.dumps(body), 200, {"request-id": "req_1"}

    def close(self):
        pass


def test_stripe_checkout_session_request(d, settings):
    from urllib.parse import parse_qs

    from cantine_portal.models import Structure

    assert apply(d, {(d.lea, d.canteen, MON), (d.lea, d.canteen, TUE), (d.hugo, d.morning, MON)}).ok
    fake = FakeStripeHTTP(d.db)
    with d.db.write_session() as s:
        structure = s.get(Structure, d.structure)
        provider = providers.StripeCheckout(
            settings, structure, NOW, client=stripe.StripeClient("sk_test_123", http_client=fake)
        )
        result = booking_checkout.begin_checkout(s, NOW, d.structure, d.martin, provider, summary(d).version)
        assert result.ok and result.pending is not None and fake.requests == []  # not inside the transaction
    result = payment_cases.open_remote_session(d.db, provider, NOW, d.structure, d.martin, result)
    assert result.ok and result.redirect_url == "https://checkout.stripe.com/c/pay/cs_test_123"
    assert fake.write_lock_free == ([True] if d.db._writer is not None else [])
    method, url, headers, data = fake.requests[0]
    assert method == "post" and url.endswith("/v1/checkout/sessions")
    assert headers["Idempotency-Key"].startswith("checkout-P-")
    form = parse_qs(data)
    assert form["mode"] == ["payment"] and form["currency"] == ["eur"]
    assert form["client_reference_id"] == [str(result.payment_id)]
    assert int(form["expires_at"][0]) == int((NOW + timedelta(minutes=30)).timestamp())
    items = {
        form[f"line_items[{i}][price_data][product_data][name]"][0]: (
            form[f"line_items[{i}][quantity]"][0],
            form[f"line_items[{i}][price_data][unit_amount]"][0],
        )
        for i in range(2)
    }
    assert items == {"Restauration scolaire — Léa": ("2", "385"), "Garderie du matin — Hugo": ("1", "150")}
    assert set(k for k in form if k.startswith("metadata")) == {
        "metadata[payment_id]",
        "metadata[structure_id]",
        "metadata[family_id]",
        "metadata[reference]",
    }
    with d.db.session() as s:
        assert s.get(Payment, result.payment_id).provider_session_id == "cs_test_123"


def test_stripe_unreachable_reopens_the_basket_with_a_french_message(d, settings):
    from cantine_portal.models import Structure

    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    fake = FakeStripeHTTP(d.db, fail=True)
    with d.db.write_session() as s:
        provider = providers.StripeCheckout(
            settings,
            s.get(Structure, d.structure),
            NOW,
            client=stripe.StripeClient("sk_test_123", http_client=fake, max_network_retries=0),
        )
        started = booking_checkout.begin_checkout(s, NOW, d.structure, d.martin, provider, summary(d).version)
    result = payment_cases.open_remote_session(d.db, provider, NOW, d.structure, d.martin, started)
    assert not result.ok
    assert result.message == (
        "Le service de paiement ne répond pas pour le moment : votre panier est conservé, "
        "réessayez dans quelques minutes."
    )
    with d.db.session() as s:
        assert s.get(Payment, started.payment_id).status == "failed"
        basket = s.exec(select(Basket).where(Basket.family_id == d.martin)).one()
        assert basket.status == "open"
    assert summary(d).status == "open" and [line.day for line in summary(d).lines] == [MON]


def _stripe_event(event_type: str, session_id: str, amount: int, payment_status="paid", event_id="evt_s1") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "data": {
                "object": {
                    "id": session_id,
                    "object": "checkout.session",
                    "amount_total": amount,
                    "currency": "eur",
                    "payment_status": payment_status,
                    "payment_intent": "pi_123",
                }
            },
        }
    ).encode()


def _stripe_payment(d: Demo) -> Payment:
    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    from cantine_portal.models import Structure

    with d.db.write_session() as s:
        # A secret key given: Settings would otherwise create one in the checkout's var/.
        provider = providers.StripeCheckout(
            Settings.from_env(
                {"STRIPE_SECRET_KEY": "sk", "STRIPE_WEBHOOK_SECRET": "w", "CANTINE_SECRET_KEY": "k" * 48}
            ),
            s.get(Structure, d.structure),
            NOW,
            client=stripe.StripeClient("sk_test_123", http_client=FakeStripeHTTP()),
        )
        result = booking_checkout.begin_checkout(s, NOW, d.structure, d.martin, provider, summary(d).version)
    result = payment_cases.open_remote_session(d.db, provider, NOW, d.structure, d.martin, result)
    with d.db.session() as s:
        return s.get(Payment, result.payment_id)


def test_stripe_events_completed_async_and_replay(d, settings):
    payment = _stripe_payment(d)
    unpaid = events.parse_stripe(_stripe_event("checkout.session.completed", "cs_test_123", 385, "unpaid"))
    assert handle(d, settings, unpaid).outcome == "ignored"
    assert statuses(d) == ["pending"]
    succeeded = events.parse_stripe(
        _stripe_event("checkout.session.async_payment_succeeded", "cs_test_123", 385, event_id="evt_s2")
    )
    assert handle(d, settings, succeeded).outcome == "paid"
    assert handle(d, settings, succeeded).outcome == "duplicate"
    assert statuses(d) == ["paid"] and count(d, Receipt) == 1
    with d.db.session() as s:
        assert s.get(Payment, payment.id).provider_payment_id == "pi_123"


@pytest.mark.parametrize("event_type", ["checkout.session.expired", "checkout.session.async_payment_failed"])
def test_stripe_expired_or_failed_reopens(d, settings, event_type):
    _stripe_payment(d)
    assert handle(d, settings, events.parse_stripe(_stripe_event(event_type, "cs_test_123", 385))).outcome == "reopened"
    assert statuses(d) == ["pending"]


# --- HTTP routes ---------------------------------------------------------------------------


@pytest.fixture
def client(d, settings, monkeypatch):
    from starlette.testclient import TestClient

    from cantine_portal.api import payment_routes
    from cantine_portal.api.routes import build_api

    monkeypatch.setattr("cantine_portal.infra.db._active", d.db)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    # Sessions opened at NOW are checked at NOW (the routes read the portal's clock).
    monkeypatch.setattr(payment_routes.clock, "now", lambda: NOW)
    return TestClient(build_api(), base_url="http://portail.test", follow_redirects=False)


def test_ticket_is_a_job_of_the_payments_transaction_done_by_the_queue(d, settings, monkeypatch):
    """The worker neither draws nor sends: the notification's transaction queues one keyed ticket job,
    and the queue (immediate in unit tests, a real consumer in tests/unit/test_task_queue.py) sends it."""
    from cantine_portal.models import Job, JobStatus

    payment = start(d)
    monkeypatch.setattr("cantine_portal.infra.db._active", d.db)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    with d.db.write_session() as s:
        result = payment_cases.apply_event_and_queue_ticket(s, NOW, settings, event(payment))
    with d.db.session() as s:
        job = s.get(Job, result.ticket_job_id)
        assert job.kind == "ticket" and job.key == f"ticket:{result.receipt_id}" and job.status == JobStatus.PENDING
        assert s.get(Receipt, result.receipt_id).pdf_path is None
    assert not list(settings.mail_dir.glob("*.eml"))
    payment_cases.after_notification(result.ticket_job_id)
    with d.db.session() as s:
        assert s.get(Receipt, result.receipt_id).pdf_path
        assert s.get(Job, result.ticket_job_id).status == JobStatus.DONE
    tickets = [p.read_bytes() for p in settings.mail_dir.glob("*.eml")]
    assert len(tickets) == 1 and b"recu-2026-000001.pdf" in tickets[0]


def test_webhook_route_checks_the_signature_on_the_raw_body(d, settings, client):
    payment = start(d)
    body = providers.simulated_notification("payment.succeeded", payment.provider_session_id, payment.amount_cents)
    bad = client.post("/api/paiement/simule/notification", content=body, headers={"x-cantine-signature": "t=1,v1=0"})
    assert bad.status_code == 400 and statuses(d) == ["pending", "pending"]
    header = signatures.signature_header(settings.secret_key, body, NOW)
    ok = client.post("/api/paiement/simule/notification", content=body, headers={"x-cantine-signature": header})
    assert ok.status_code == 200 and ok.json()["outcome"] == "paid"
    # Once committed, the route rendered and stored the receipt and e-mailed the ticket with it.
    with d.db.session() as s:
        assert s.exec(select(Receipt)).one().pdf_path
    tickets = [p.read_bytes() for p in (settings.mail_dir).glob("*.eml")]
    assert any(b"recu-2026-000001.pdf" in t for t in tickets)
    replay = client.post("/api/paiement/simule/notification", content=body, headers={"x-cantine-signature": header})
    assert replay.json()["outcome"] == "duplicate" and count(d, Receipt) == 1
    stripe_body = _stripe_event("checkout.session.completed", "cs_x", 1)
    forged = client.post(
        "/api/paiement/stripe/webhook",
        content=stripe_body,
        headers={"stripe-signature": signatures.signature_header("whsec_wrong", stripe_body, NOW)},
    )
    assert forged.status_code == 400


def test_second_tab_of_the_simulated_bank_through_the_route(d, settings, client):
    """Both tabs post to the portal as the bank does: the refusal counts, the later « Payer » not."""
    payment = start(d)

    def post(event_type: str):
        body = providers.simulated_notification(event_type, payment.provider_session_id, payment.amount_cents)
        return client.post(
            "/api/paiement/simule/notification",
            content=body,
            headers={"x-cantine-signature": signatures.signature_header(settings.secret_key, body, NOW)},
        )

    assert post("payment.failed").json()["outcome"] == "reopened"
    second = post("payment.succeeded")
    assert second.status_code == 200 and second.json()["outcome"] == "closed"
    assert statuses(d) == ["pending", "pending"]
    assert count(d, Credit) == 0 and count(d, Receipt) == 0
    assert list(settings.mail_dir.glob("*.eml")) == []  # no ticket either


def test_receipt_route_refuses_another_family(d, settings, client):
    from cantine_portal.models import Account
    from cantine_portal.services.accounts.sessions import open_session

    payment = start(d)
    handle(d, settings, event(payment))
    with d.db.write_session() as s:
        receipt_id = s.exec(select(Receipt)).one().id
        martin = s.exec(select(Account).where(Account.family_id == d.martin)).one()
        durand = s.exec(select(Account).where(Account.family_id == d.durand)).one()
        martin_token = open_session(s, NOW, martin)
        durand_token = open_session(s, NOW, durand)
    # The PDF was never rendered (as after a crash just after the payment's commit): the
    # download renders and stores it.
    own = client.get(f"/api/demo/recus/{receipt_id}", cookies={"cp_session_demo": martin_token})
    assert own.status_code == 200 and own.content.startswith(b"%PDF")
    with d.db.session() as s:
        assert s.get(Receipt, receipt_id).pdf_path
    other = client.get(f"/api/demo/recus/{receipt_id}", cookies={"cp_session_demo": durand_token})
    assert other.status_code == 404 and other.content == b""
    elsewhere = client.get(f"/api/autreville/recus/{receipt_id}", cookies={"cp_session_autreville": martin_token})
    assert elsewhere.status_code == 404


def test_day_closed_while_the_bank_works_is_credited_once_paid(d, settings):
    from cantine_portal.models import ClosedDay

    payment = start(d)
    with d.db.write_session() as s:  # the commune closes Monday while the parent is at the bank
        s.add(ClosedDay(structure_id=d.structure, day=MON, kind="closure", reason="Grève"))
    result = handle(d, settings, event(payment))
    assert result.outcome == "paid" and "portés en avoir" in result.message
    assert statuses(d) == ["cancelled", "paid"]
    with d.db.session() as s:
        assert [c.amount_cents for c in s.exec(select(Credit))] == [385]


def test_notification_meeting_an_unavailable_database_is_retried_not_dropped(d, settings, client, monkeypatch):
    import functools

    from sqlalchemy.exc import OperationalError

    from cantine_portal.infra.retry import with_db_retry

    monkeypatch.setattr(payment_cases, "with_db_retry", functools.partial(with_db_retry, sleep=lambda _s: None))
    payment = start(d)
    real = fulfilment.handle_event
    failures = {"left": 2}

    def flaky(*args, **kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(fulfilment, "handle_event", flaky)
    body = providers.simulated_notification("payment.succeeded", payment.provider_session_id, payment.amount_cents)
    header = signatures.signature_header(settings.secret_key, body, NOW)
    response = client.post("/api/paiement/simule/notification", content=body, headers={"x-cantine-signature": header})
    assert response.status_code == 200 and response.json()["outcome"] == "paid"
    assert statuses(d) == ["paid", "paid"]

    # Still down after every retry: 503, so that the provider sends it again later; nothing applied.
    second = start(d, days=(MON, TUE, THU))
    failures["left"] = 100
    body = providers.simulated_notification("payment.succeeded", second.provider_session_id, second.amount_cents)
    header = signatures.signature_header(settings.secret_key, body, NOW)
    response = client.post("/api/paiement/simule/notification", content=body, headers={"x-cantine-signature": header})
    assert response.status_code == 503
    assert statuses(d) == ["paid", "paid", "pending"]
