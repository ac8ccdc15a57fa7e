"""The wrong paths of the money found by a held-out check (issue 16 item 6), one test each.

tests/integration/test_books.py finds such paths by itself; these replay them literally.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import stripe
from sqlmodel import select

from cantine_portal.config import Settings
from cantine_portal.infra.db import Database
from cantine_portal.models import Account, AccountRole, Basket, ClosedDay, Credit, Payment, Reservation, Structure
from cantine_portal.services.backoffice import calendar as staff_calendar
from cantine_portal.services.backoffice import closures
from cantine_portal.services.booking import checkout as booking_checkout
from cantine_portal.services.booking import settlement
from cantine_portal.services.payments import fulfilment, providers
from cantine_portal.usecases import payments as payment_cases
from tests.integration.test_booking import MON, NOW, TUE, Demo, _load, apply, summary
from tests.integration.test_payments import SECRET, FakeStripeHTTP, event, handle, start, statuses


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


FIRST_NOTICE = "La commune a fermé des jours de votre panier, qui en sont retirés"


def close(d: Demo, day=MON) -> staff_calendar.CalendarResult:
    """The demo commune's staff close ``day`` (every service)."""
    with d.db.write_session() as s:
        staff = s.exec(
            select(Account).where(Account.structure_id == d.structure, Account.role == AccountRole.STAFF)
        ).one()
        return closures.close_day(
            s, NOW, structure_id=d.structure, account_id=staff.id, day=day, service_id=None, reason="Grève", mailer=None
        )


def pay_again(d: Demo, settings, now=NOW) -> fulfilment.CheckoutStart:
    with d.db.write_session() as s:
        return fulfilment.start_checkout(s, now, settings, d.structure, d.martin, summary(d, now).version)


def test_day_closed_during_checkout_is_not_paid_by_the_credit_of_a_wrong_amount(d, settings):
    """Tick a day, Payer, staff close that day, the bank notifies a success with a wrong amount
    (→ credit), Payer again: the closed day must not end up paid with the family's credit."""
    payment = start(d, days=(MON,))
    assert close(d).ok
    wrong = handle(d, settings, event(payment, amount=payment.amount_cents + 100))
    assert wrong.outcome == "anomaly"
    again = pay_again(d, settings)
    assert not again.result.ok and again.receipt_id is None
    assert statuses(d) == []  # the closed day left the basket when it reopened
    with d.db.session() as s:
        assert sum(c.amount_cents for c in s.exec(select(Credit))) == payment.amount_cents + 100
        impact = closures.closure_impact(s, structure_id=d.structure, account_id=_staff(s, d), day=MON, service_id=None)
    assert impact is not None and impact.paid == 0


def test_closed_day_does_not_come_back_into_the_basket_after_a_failed_checkout(d, settings):
    payment = start(d)  # Monday and Tuesday, frozen at the bank
    assert close(d).ok  # Monday closed meanwhile: the frozen basket keeps it
    reopened = handle(d, settings, event(payment, kind="failed"))
    assert reopened.outcome == "reopened" and FIRST_NOTICE in reopened.message
    assert [line.day for line in summary(d).lines] == [TUE]
    # Paying now charges Tuesday only: no money moves for the closed Monday.
    again = pay_again(d, settings)
    assert again.result.ok
    with d.db.session() as s:
        assert s.get(Payment, again.result.payment_id).amount_cents == 385


def test_payer_drops_days_closed_since_they_were_ticked(d, settings):
    """Defence in depth: whatever left a closed day in an open basket, « Payer » takes it out,
    says so in French, and stops so that the parent sees the new total."""
    assert apply(d, {(d.lea, d.canteen, MON), (d.lea, d.canteen, TUE)}).ok
    with d.db.write_session() as s:  # a closure written without its basket clean-up
        s.add(ClosedDay(structure_id=d.structure, day=MON, kind="closure", reason="Grève"))
    again = pay_again(d, settings)
    assert not again.result.ok
    assert again.result.message.startswith(FIRST_NOTICE) and "lundi 7 décembre 2026" in again.result.message
    assert [line.day for line in summary(d).lines] == [TUE]


def test_settlement_by_credit_alone_never_pays_a_closed_day(d, settings):
    """The check at settlement, whatever the path: a frozen basket with a day closed meanwhile,
    settled without the bank, leaves that day cancelled and credited, never paid."""
    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    with d.db.write_session() as s:
        s.add(Credit(structure_id=d.structure, family_id=d.martin, amount_cents=385, label="Avoir", created_at=NOW))
    with d.db.write_session() as s:
        basket = s.exec(select(Basket).where(Basket.family_id == d.martin)).one()
        s.add(ClosedDay(structure_id=d.structure, day=MON, kind="closure", reason="Grève"))
        payment = Payment(
            structure_id=d.structure,
            family_id=d.martin,
            basket_id=basket.id,
            reference="P-TEST",
            provider="avoir",
            amount_cents=0,
            credit_cents=385,
            created_at=NOW,
        )
        s.add(payment)
        s.flush()
        booking_checkout._freeze(s, NOW, basket, summary(d))
        done = settlement.checkout_succeeded(s, NOW, d.structure, d.martin, payment.id, 0)
    assert done.ok and done.closed_credited == 1
    assert statuses(d) == ["cancelled"]
    with d.db.session() as s:
        assert sum(c.amount_cents for c in s.exec(select(Credit))) == 385  # 385 given, used, given back


def _staff(s, d: Demo) -> int:
    return (
        s.exec(select(Account).where(Account.structure_id == d.structure, Account.role == AccountRole.STAFF)).one().id
    )


class SlowStripeHTTP(FakeStripeHTTP):
    """Stripe answering after the payment's lifetime, while a page load expired the payment."""

    def __init__(self, d: Demo):
        super().__init__()
        self.d = d

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        with self.d.db.write_session() as s:
            fulfilment.expire_stale_checkouts(s, NOW + timedelta(minutes=31), self.d.structure, self.d.martin)
        return super().request(method, url, headers, post_data, _usage=_usage)


def _stripe_checkout(d: Demo, settings, http) -> tuple[providers.StripeCheckout, booking_checkout.CheckoutResult]:
    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    with d.db.write_session() as s:
        provider = providers.StripeCheckout(
            settings,
            s.get(Structure, d.structure),
            NOW,
            client=stripe.StripeClient("sk_test_123", http_client=http, max_network_retries=0),
        )
        return provider, booking_checkout.begin_checkout(s, NOW, d.structure, d.martin, provider, summary(d).version)


def test_stripe_answering_after_the_payment_expired_does_not_send_the_parent_there(d, settings):
    provider, started = _stripe_checkout(d, settings, SlowStripeHTTP(d))
    result = payment_cases.open_remote_session(d.db, provider, NOW, d.structure, d.martin, started)
    assert not result.ok and result.redirect_url is None
    assert result.message == payment_cases.PROVIDER_TOO_LATE_MESSAGE
    later = NOW + timedelta(minutes=31)
    assert summary(d, later).status == "open" and [line.day for line in summary(d, later).lines] == [MON]
    with d.db.session() as s:  # its session is known: a late success would still become a credit
        assert s.get(Payment, started.payment_id).provider_session_id == "cs_test_123"


def test_stripe_answering_after_the_lifetime_expires_the_payment_itself(d, settings):
    """Nobody expired it meanwhile: the clock read when Stripe answered does."""
    provider, started = _stripe_checkout(d, settings, FakeStripeHTTP())
    later = NOW + timedelta(minutes=31)
    result = payment_cases.open_remote_session(
        d.db, provider, NOW, d.structure, d.martin, started, answered_at=lambda: later
    )
    assert not result.ok and result.message == payment_cases.PROVIDER_TOO_LATE_MESSAGE
    with d.db.session() as s:
        assert s.get(Payment, started.payment_id).status == "expired"
        assert s.exec(select(Reservation)).one().status == "pending"
    assert summary(d, later).status == "open"
