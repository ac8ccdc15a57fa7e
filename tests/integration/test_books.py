"""The books (issue 16): every way money moves, in random order, and the books still balance.

A hypothesis state machine plays parents (ticks + Valider, Payer with the simulated bank or
Stripe, a second tab with a stale basket), providers (notifications duplicated, late,
reordered, forged, with a wrong amount or currency; Stripe answering after the payment's
lifetime), staff (closures with credits, price changes; sick-day absences validated with or
without carence, refused, decided twice) and time (checkouts expire). After every
step, per commune: paid payments = receipts, receipt numbers without gaps, money in = paid days
+ credit balance + refunds, no paid day on a closed day, no closed day waiting in an open basket,
one active reservation per child, service and day, a reservation credited at most once.
``now`` is the machine's, never the wall clock.

Adding a way money moves: see docs/architecture.md, "The books: invariants and the
property-based test".
"""

from __future__ import annotations

import json
import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import stripe
from hypothesis import HealthCheck
from hypothesis import event as hypothesis_event
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import bindparam
from sqlalchemy import event as sa_event
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select, update

from cantine_portal.config import Settings
from cantine_portal.french import PARIS
from cantine_portal.models import (
    Absence,
    AbsenceDay,
    AbsenceStatus,
    AbsentRule,
    BasketStatus,
    CounterMethod,
    Credit,
    CreditKind,
    Payment,
    PaymentStatus,
    Receipt,
    RefundMethod,
    Reservation,
    ReservationStatus,
    Structure,
    UnbookedRule,
)
from cantine_portal.services.backoffice import absences as staff_absences
from cantine_portal.services.backoffice import closures, prestations
from cantine_portal.services.backoffice import grids as staff_grids
from cantine_portal.services.backoffice import quotients as staff_quotients
from cantine_portal.services.booking import absences, basket, choices
from cantine_portal.services.booking.checkout import CHECKOUT_LIFETIME
from cantine_portal.services.booking.queries import credit_balance
from cantine_portal.services.payments import events, fulfilment, providers, signatures
from cantine_portal.services.payments.eopayment_provider import EopaymentProvider, ProviderAnswerRefused
from cantine_portal.services.pricing.editor import BracketText, GridForm
from cantine_portal.services.regie import counter, journal, refunds, rejection
from cantine_portal.services.regie.errors import AlreadyRecorded, RegieError
from cantine_portal.services.rollcall import billing, marks, settlement
from cantine_portal.usecases import payments as payment_cases
from tests.integration.books_payfip import NUMCLI, FakePayFiP, http_session
from tests.integration.books_world import (
    NOW,
    Books,
    FamilySpec,
    World,
    books,
    closed_on,
    counter_details,
    fingerprint,
    is_closed,
    postgres_world,
    reserved,
    sqlite_world,
    stripe_body,
)

pytestmark = pytest.mark.db

WEBHOOK_SECRET = "whsec_books"
# A real 1×1 PNG: the photo of a medical certificate, as small as one can be.
CERTIFICATE = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8ffff3f0005fe02fe"
    "a7d6a4e80000000049454e44ae426082"
)
# Enough examples to walk into the wrong paths of issue 16 on SQLite (~40 s on two cores);
# PostgreSQL copies a database per example, so fewer there.
RUNS = {
    "sqlite": dict(max_examples=150, stateful_step_count=30),
    "postgres": dict(max_examples=20, stateful_step_count=20),
}
# CANTINE_BOOKS_EXPLORE=1: random seeds (printed with a failure) instead of CI's fixed ones.
EXPLORE = os.environ.get("CANTINE_BOOKS_EXPLORE") == "1"


class Writes:
    """Statements other than reads run on any database of this process (SQLAlchemy's cursor
    event, listened to while the machine runs): every write of the portal goes through
    SQLAlchemy, the routes included (the TestClient runs them here). A step after which this
    count, the machine's clock and what the providers collected are all unchanged leaves the
    invariants exactly the inputs they had last time, so they are not read again."""

    count = 0

    @staticmethod
    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:6].upper() not in ("SELECT", "PRAGMA"):
            Writes.count += 1


class FakeStripeHTTP(stripe.HTTPClient):
    """Answers like Stripe's API (a new Checkout Session per call); ``meanwhile`` runs while it
    "thinks" (for example: the payment's lifetime passes before it answers)."""

    name = "fake"

    def __init__(self, meanwhile: Callable[[], None]):
        super().__init__()
        self.meanwhile = meanwhile

    def request(self, method: str, url: str, headers: Any, post_data: Any = None, *, _usage: Any = None):
        self.meanwhile()
        session_id = "cs_test_" + uuid.uuid4().hex
        body = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        }
        return json.dumps(body), 200, {"request-id": "req_books"}

    def close(self) -> None:
        pass


class BooksMachine(RuleBasedStateMachine):
    # PayFiP's SOAP client is built once (its WSDL takes a tenth of a second); its fake DGFiP is
    # emptied for each example.
    _payfip_fake = FakePayFiP()
    _payfip_client: Any = None
    world: World
    settings: Settings
    client: Any
    route_clock: list[Any]  # what the notification routes read as now

    def __init__(self) -> None:
        super().__init__()
        self.db, self._drop = self.world.fresh()
        self.now = NOW
        self.collected: dict[int, int] = defaultdict(int)  # per commune: euros the providers collected
        self.collected_sessions: set[str] = set()
        self.sessions: list[tuple[str, str, int]] = []  # (provider, session id, commune)
        self.sent: list[tuple[str, bytes]] = []
        self.versions: dict[int, list[int | None]] = defaultdict(lambda: [None])
        # (reservation id, payment id) → its price when first seen paid by that payment
        self.paid_prices: dict[tuple[int, int], int] = {}
        self.checked: tuple | None = None  # what the invariants last read (see Writes)
        self.cheques: list[tuple[int, int]] = []  # (commune, counter payment id) not rejected
        self.payfip = BooksMachine._payfip_fake
        self.payfip.outcomes.clear()
        self.payfip.refdets.clear()
        self.payfip_dead: set[str] = set()  # idOps PayFiP will never pay (P5 past two hours)

    def teardown(self) -> None:
        self._drop()

    # --- helpers ---------------------------------------------------------------------------

    def _family(self, index: int) -> FamilySpec:
        return self.world.families[index % len(self.world.families)]

    def _version(self, spec: FamilySpec, stale: bool) -> int | None:
        """The basket version the page shows; ``stale``: an older one (a second tab)."""
        with self.db.session() as s:
            current = basket.basket_summary(s, self.now, spec.structure_id, spec.family_id).version
        seen = self.versions[spec.family_id]
        if current not in seen:
            seen.append(current)
        older = [v for v in seen if v != current]
        return older[-1] if stale and older else current

    def _expire_all(self) -> None:
        for spec in self.world.families:
            payment_cases.expire_stale_checkouts_if_any(self.db, self.now, spec.structure_id, spec.family_id)

    def _deliver(self, provider: str, body: bytes) -> fulfilment.FulfilmentResult:
        event = events.parse_stripe(body) if provider == "stripe" else events.parse_simulated(body)
        known = {sid: commune for _p, sid, commune in self.sessions}
        if (
            event.kind == "succeeded"
            and (event.currency or "") == "eur"
            and event.session_id in known
            and event.session_id not in self.collected_sessions
            and self._collects(provider, event.session_id)
        ):
            self.collected_sessions.add(event.session_id)
            self.collected[known[event.session_id]] += event.amount_cents or 0
        self.sent.append((provider, body))
        return self.db.run_write(fulfilment.handle_event, self.now, self.settings, event)

    def _collects(self, provider: str, session_id: str | None) -> bool:
        """A card provider collects once per session, whatever the portal thinks of it; the
        simulated bank is the portal's own and takes no money for a session that ended."""
        if provider == "stripe":
            return True
        with self.db.session() as s:
            payment = s.exec(
                select(Payment).where(Payment.provider == provider, Payment.provider_session_id == session_id)
            ).one()
            return payment.status == PaymentStatus.CREATED

    def _payfip_provider(self, structure_id: int) -> EopaymentProvider:
        """The commune's PayFiP account, talking to the fake DGFiP."""
        with self.db.session() as s:
            structure = s.get(Structure, structure_id)
        provider = EopaymentProvider("payfip", self.settings, structure, self.now)
        if BooksMachine._payfip_client is None:
            from eopayment.payfip_ws import PayFiP
            from zeep.transports import Transport

            transport = Transport(session=http_session(BooksMachine._payfip_fake))
            BooksMachine._payfip_client = PayFiP(zeep_client_kwargs={"transport": transport})
        provider.payment.backend.payfip = BooksMachine._payfip_client
        return provider

    def _deliver_payfip(self, idop: str, commune: int) -> fulfilment.FulfilmentResult:
        """PayFiP's notification (or the parent's return): the portal asks PayFiP for the detail."""
        event = self._payfip_provider(commune).answer(f"idOp={idop}")
        outcome = self.payfip.outcomes.get(idop)
        if event.kind == "succeeded" and outcome is not None and idop not in self.collected_sessions:
            self.collected_sessions.add(idop)  # the DGFiP collected it, whatever the portal thinks
            self.collected[commune] += outcome.amount_cents
        self.sent.append(("payfip", idop.encode()))
        result = self.db.run_write(fulfilment.handle_event, self.now, self.settings, event)
        hypothesis_event(f"PayFiP notification: {result.outcome}")  # --hypothesis-show-statistics
        return result

    def _fingerprint(self) -> tuple:
        with self.db.session() as s:
            return fingerprint(s)

    def _with_basket(self, index: int) -> FamilySpec:
        """Preferably a family whose basket holds days: paying an empty basket teaches little."""
        with self.db.session() as s:
            filled = [
                spec
                for spec in self.world.families
                if not basket.basket_summary(s, self.now, spec.structure_id, spec.family_id).empty
            ]
        return filled[index % len(filled)] if filled else self._family(index)

    # --- parents -------------------------------------------------------------------------

    @initialize(ticks=st.lists(st.sets(st.integers(0, 3), min_size=1), min_size=3, max_size=3))
    def first_ticks(self, ticks: list[set[int]]) -> None:
        """Every family starts with a few days in its basket."""
        for index, chosen in enumerate(ticks):
            self.valider(index, 0, chosen, False)

    @rule(family=st.integers(0, 2), period=st.integers(0, 1), ticks=st.sets(st.integers(0, 3)), stale=st.booleans())
    def valider(self, family: int, period: int, ticks: set[int], stale: bool) -> None:
        spec = self._family(family)
        chosen, cells = spec.periods[period % len(spec.periods)]
        wanted = {cells[i] for i in ticks if i < len(cells)}
        version = self._version(spec, stale)
        self.db.run_write(choices.apply_choices, self.now, spec.structure_id, spec.family_id, chosen, wanted, version)

    @rule(
        family=st.integers(0, 2),
        provider=st.sampled_from(["simulated", "stripe", "payfip"]),
        stale=st.booleans(),
        slow=st.booleans(),
    )
    def pay(self, family: int, provider: str, stale: bool, slow: bool) -> None:
        """« Payer », as state/reservations.pay does it; Stripe may answer after the payment's lifetime."""
        self._pay(self._with_basket(family), provider, stale, slow)

    @rule(family=st.integers(0, 2), provider=st.sampled_from(["simulated", "stripe", "payfip"]), slow=st.booleans())
    def pay_the_sum_owed(self, family: int, provider: str, slow: bool) -> None:
        """A family that owes the régie (a meal billed at the roll call, an unpaid cheque) pays: the
        sum owed is added to its basket's days, or paid alone (« Régler la somme due »)."""
        with self.db.session() as s:
            owing = [
                spec
                for spec in self.world.families
                if basket.basket_summary(s, self.now, spec.structure_id, spec.family_id).debt_cents > 0
            ]
        if owing:
            hypothesis_event("the sum owed paid online")
            self._pay(owing[family % len(owing)], provider, False, slow)

    def _pay(self, spec: FamilySpec, provider: str, stale: bool, slow: bool) -> None:
        with self.db.write_session() as s:
            structure = s.get(Structure, spec.structure_id)
            structure.payment_provider = provider
            if provider == "payfip":
                structure.payfip_numcli, structure.payfip_mode = NUMCLI, "T"
        version = self._version(spec, stale)
        started = self.db.run_write(
            fulfilment.start_checkout, self.now, self.settings, spec.structure_id, spec.family_id, version
        )
        result = started.result
        if result.pending is not None:

            def meanwhile() -> None:
                if slow:
                    self.now += CHECKOUT_LIFETIME + timedelta(minutes=1)
                    self._expire_all()

            with self.db.session() as s:
                structure = s.get(Structure, spec.structure_id)
            remote: Any = (
                self._payfip_provider(spec.structure_id)
                if provider == "payfip"
                else providers.StripeCheckout(
                    self.settings,
                    structure,
                    self.now,
                    client=stripe.StripeClient(
                        "sk_test_books", http_client=FakeStripeHTTP(meanwhile), max_network_retries=0
                    ),
                )
            )
            result = payment_cases.open_remote_session(
                self.db, remote, self.now, spec.structure_id, spec.family_id, result, answered_at=lambda: self.now
            )
        if result.payment_id is None:
            return
        with self.db.session() as s:
            payment = s.get(Payment, result.payment_id)
        if result.ok and result.redirect_url:
            # Never sent to a provider for a payment the portal no longer waits for.
            assert payment.status == PaymentStatus.CREATED and payment.expires_at > self.now, payment
        if payment.provider_session_id:
            self.sessions.append((payment.provider, payment.provider_session_id, spec.structure_id))
        hypothesis_event(f"Payer: {provider}, {payment.status}")

    # --- providers -----------------------------------------------------------------------

    @precondition(lambda self: self.sessions)
    @rule(
        which=st.integers(0, 5),
        kind=st.sampled_from(["succeeded", "succeeded", "failed", "expired"]),
        wrong_amount=st.booleans(),
        currency=st.sampled_from(["eur", "eur", "eur", "usd"]),
    )
    def notify(self, which: int, kind: str, wrong_amount: bool, currency: str) -> None:
        provider, session_id, _commune = self.sessions[-1 - which % len(self.sessions)]
        with self.db.session() as s:
            payment = s.exec(
                select(Payment).where(Payment.provider == provider, Payment.provider_session_id == session_id)
            ).one()
        amount = payment.amount_cents + (100 if wrong_amount else 0)
        if provider == "payfip":  # the parent ends it at PayFiP (once), which notifies the portal
            if session_id not in self.payfip_dead:
                self.payfip.decide(session_id, kind, amount, self.now)
                self._deliver_payfip(session_id, _commune)
            return
        if provider == "stripe":
            stripe_type = {
                "succeeded": "checkout.session.completed",
                "failed": "checkout.session.async_payment_failed",
                "expired": "checkout.session.expired",
            }[kind]
            body = stripe_body(stripe_type, session_id, amount, currency)
        else:
            sim_type = {"succeeded": "payment.succeeded", "failed": "payment.failed", "expired": "payment.cancelled"}[
                kind
            ]
            body = providers.simulated_notification(sim_type, session_id, amount, currency)
        self._deliver(provider, body)

    @precondition(lambda self: self.sent)
    @rule(which=st.integers(0, 5))
    def notify_again(self, which: int) -> None:
        """A provider notifies the same event twice: the second changes nothing."""
        provider, body = self.sent[-1 - which % len(self.sent)]
        before = self._fingerprint()
        if provider == "payfip":
            idop = body.decode()
            commune = next(c for p, sid, c in self.sessions if sid == idop)
            assert self._deliver_payfip(idop, commune).outcome == "duplicate"
        else:
            assert self._deliver(provider, body).outcome == "duplicate"
        assert self._fingerprint() == before

    @rule(at_route=st.booleans(), provider=st.sampled_from(["simulated", "stripe"]))
    def forged(self, at_route: bool, provider: str) -> None:
        """A wrong signature is refused by the route; an unknown session id changes nothing."""
        before = self._fingerprint()
        session_id = self.sessions[-1][1] if self.sessions and at_route else "sim_forged_" + uuid.uuid4().hex
        body = (
            stripe_body("checkout.session.completed", session_id, 100, "eur")
            if provider == "stripe"
            else providers.simulated_notification("payment.succeeded", session_id, 100)
        )
        if at_route:
            path = "/api/paiement/stripe/webhook" if provider == "stripe" else "/api/paiement/simule/notification"
            self.route_clock[0] = self.now
            header = signatures.signature_header("not-the-secret", body, self.now)
            response = self.client.post(path, content=body, headers={"Stripe-Signature": header})
            assert response.status_code == 400
        else:
            event = events.parse_stripe(body) if provider == "stripe" else events.parse_simulated(body)
            assert self.db.run_write(fulfilment.handle_event, self.now, self.settings, event).outcome == "unknown"
        assert self._fingerprint() == before

    @rule(family=st.integers(0, 2), stale=st.booleans())
    def pay_with_payfip(self, family: int, stale: bool) -> None:
        """« Payer » in a commune on PayFiP (its own rule, so that PayFiP's paths are walked often)."""
        self.pay(family, "payfip", stale, False)

    @precondition(lambda self: any(p == "payfip" for p, _s, _c in self.sessions))
    @rule(which=st.integers(0, 5))
    def payfip_asked_later(self, which: int) -> None:
        """check-pending: a PayFiP payment still waiting (or expired by the portal less than three
        hours after it began) is asked about; PayFiP's answer is applied like a notification."""
        payfip = [(sid, c) for p, sid, c in self.sessions if p == "payfip"]
        idop, commune = payfip[-1 - which % len(payfip)]
        with self.db.session() as s:
            payment = s.exec(select(Payment).where(Payment.provider_session_id == idop)).one()
        recheck = payment.status == PaymentStatus.EXPIRED and self.now - payment.created_at < timedelta(hours=3)
        if payment.status != PaymentStatus.CREATED and not recheck:
            return
        event = self._payfip_provider(commune).status(idop, payment.created_at, self.now)
        hypothesis_event(f"PayFiP asked later: {event.kind if event else 'still waiting'}")
        if event is None:
            return
        if event.kind == "expired":
            self.payfip_dead.add(idop)
        outcome = self.payfip.outcomes.get(idop)
        if event.kind == "succeeded" and outcome is not None and idop not in self.collected_sessions:
            self.collected_sessions.add(idop)
            self.collected[commune] += outcome.amount_cents
        self.db.run_write(fulfilment.handle_event, self.now, self.settings, event)

    @rule(commune=st.integers(0, 1))
    def payfip_forged(self, commune: int) -> None:
        """An idOp PayFiP does not know (forged, or another régie's): refused, nothing changes."""
        before = self._fingerprint()
        with pytest.raises(ProviderAnswerRefused):
            self._payfip_provider(self.world.structures[commune]).answer("idOp=" + uuid.uuid4().hex)
        assert self._fingerprint() == before

    # --- staff and time ------------------------------------------------------------------

    @rule(commune=st.integers(0, 1), day=st.integers(0, 4), whole_day=st.booleans(), booked=st.booleans())
    def close_day(self, commune: int, day: int, whole_day: bool, booked: bool) -> None:
        """The commune closes a day (``booked``: one that holds a reservation, the interesting case)."""
        structure_id = self.world.structures[commune]
        days = self.world.closable[structure_id]
        with self.db.session() as s:
            held = sorted(
                {
                    r.day
                    for r in s.exec(
                        select(Reservation).where(
                            Reservation.structure_id == structure_id, Reservation.status != ReservationStatus.CANCELLED
                        )
                    )
                    if r.day >= self.now.astimezone(PARIS).date()
                }
            )
        chosen = held[day % len(held)] if booked and held else days[day % len(days)]
        self.db.run_write(
            closures.close_day,
            self.now,
            structure_id=structure_id,
            account_id=self.world.staff[structure_id],
            day=chosen,
            service_id=None if whole_day else self.world.services[structure_id][0],
            reason="Grève",
            mailer=None,
        )

    @rule(commune=st.integers(0, 1), which=st.integers(0, 30), credit=st.booleans(), twice=st.booleans())
    def absent_at_roll_call(self, commune: int, which: int, credit: bool, twice: bool) -> None:
        """The canteen marks a child with a paid day absent (issue 20); under the « absent = avoir »
        rule the night's settlement cancels and credits the day, once (``twice``: a second run)."""
        structure_id = self.world.structures[commune]
        with self.db.session() as s:
            paid = s.exec(
                select(Reservation)
                .where(Reservation.structure_id == structure_id, Reservation.status == ReservationStatus.PAID)
                .order_by(col(Reservation.id))
            ).all()
        if not paid:
            return
        day = paid[which % len(paid)]
        rule = AbsentRule.CREDIT if credit else AbsentRule.PAID
        with self.db.write_session() as s:
            s.exec(update(Structure).where(col(Structure.id) == structure_id).values(rollcall_absent_rule=rule))
        noon = datetime.combine(day.day, time(12), tzinfo=PARIS)  # marked during that day's service
        self.db.run_write(
            marks.record_mark,
            noon,
            structure_id=structure_id,
            account_id=self.world.staff[structure_id],
            service_id=day.service_id,
            day=day.day,
            child_id=day.child_id,
            status="absent",
        )
        night = noon + timedelta(hours=15)
        settled = self.db.run_write(settlement.settle_absences, night, structure_id)
        hypothesis_event("roll call: absence credited" if settled.credits else "roll call: absence, day kept")
        if twice:
            before = self._fingerprint()
            self.db.run_write(settlement.settle_absences, night, structure_id)
            assert self._fingerprint() == before

    @rule(
        which=st.integers(0, 60),
        bill=st.booleans(),
        twice=st.booleans(),
        take_back=st.sampled_from([None, None, "before", "after"]),
        pay=st.sampled_from([None, "simulated", "stripe", "payfip"]),
    )
    def unbooked_at_roll_call(
        self, which: int, bill: bool, twice: bool, take_back: str | None, pay: str | None
    ) -> None:
        """The canteen adds a child present without a reservation (issue 20); under the billing
        rule the night's settlement charges the family the day's price, once (``twice``: a second
        run); ``take_back``: the mark is taken back before the night (nothing billed) or after
        (the money given back, once); ``pay``: the family then pays online what it owes (with its
        basket's days, or alone), the provider answering later (``notify``)."""
        cells = [(spec.structure_id, cell) for spec in self.world.families for _p, cs in spec.periods for cell in cs]
        structure_id, (child_id, service_id, day) = cells[which % len(cells)]
        rule = UnbookedRule.BILL if bill else UnbookedRule.REPORT
        with self.db.write_session() as s:
            s.exec(update(Structure).where(col(Structure.id) == structure_id).values(rollcall_unbooked_rule=rule))
        noon = datetime.combine(day, time(12), tzinfo=PARIS)  # marked during that day's service
        where = dict(structure_id=structure_id, account_id=self.world.staff[structure_id], service_id=service_id)
        if not self.db.run_write(marks.record_mark, noon, **where, day=day, child_id=child_id, status="present").ok:
            return
        if take_back == "before":
            self.db.run_write(marks.remove_unbooked, noon, **where, day=day, child_id=child_id)
        night = noon + timedelta(hours=15)
        billed = self.db.run_write(billing.settle_unbooked, night, structure_id)
        hypothesis_event("roll call: unbooked meal billed" if billed.days else "roll call: unbooked, nothing billed")
        if twice:
            before = self._fingerprint()
            self.db.run_write(billing.settle_unbooked, night, structure_id)
            assert self._fingerprint() == before
        if take_back == "after":
            self.db.run_write(marks.remove_unbooked, night, **where, day=day, child_id=child_id)
            before = self._fingerprint()
            self.db.run_write(marks.remove_unbooked, night, **where, day=day, child_id=child_id)
            assert self._fingerprint() == before
        if pay is not None and billed.days:
            owing = next(spec for spec in self.world.families if (child_id, service_id, day) in _cells(spec))
            self._pay(owing, pay, False, False)

    @rule(commune=st.integers(0, 1), service=st.integers(0, 1), price=st.sampled_from(["3,00", "3,85", "5,20"]))
    def change_price(self, commune: int, service: int, price: str) -> None:
        structure_id = self.world.structures[commune]
        services = self.world.services[structure_id]
        self.db.run_write(
            prestations.change_price,
            self.now,
            structure_id=structure_id,
            account_id=self.world.staff[structure_id],
            service_id=services[service % len(services)],
            price=price,
            valid_from=self.now.astimezone(PARIS).date(),
        )

    @rule(family=st.integers(0, 2), qf=st.sampled_from([300, 640, 1350]), reprice=st.booleans())
    def change_qf(self, family: int, qf: int, reprice: bool) -> None:
        """Staff enter a new QF (issue 17); ``reprice``: the family then opens Réservations, whose
        load re-prices its open basket (a basket frozen for a checkout never changes)."""
        spec = self._family(family)
        today = self.now.astimezone(PARIS).date()
        self.db.run_write(
            staff_quotients.add_quotient,
            self.now,
            structure_id=spec.structure_id,
            account_id=self.world.staff[spec.structure_id],
            family_id=spec.family_id,
            data=staff_quotients.QuotientInput(
                str(qf), "caf", today.isoformat(), (today + timedelta(days=300)).isoformat()
            ),
        )
        if reprice:
            self.db.run_write(basket.reprice_basket, self.now, spec.structure_id, spec.family_id)

    @rule(
        commune=st.integers(0, 1),
        service=st.integers(0, 1),
        cheap=st.sampled_from(["1", "0,80", "2,10"]),
        sibling=st.sampled_from(["0", "10", "50"]),
    )
    def new_grid(self, commune: int, service: int, cheap: str, sibling: str) -> None:
        """Staff save a QF grid from today for a service (a commune's first grid, or a new one)."""
        structure_id = self.world.structures[commune]
        services = self.world.services[structure_id]
        form = GridForm(
            (BracketText("0", "500", cheap), BracketText("501", "900", "2,50"), BracketText("901", "", "3,85")),
            "3,85",
            "4,60",
            sibling,
            "2",
            self.now.astimezone(PARIS).date().isoformat(),
        )
        result = self.db.run_write(
            staff_grids.save_grid,
            self.now,
            structure_id=structure_id,
            account_id=self.world.staff[structure_id],
            service_id=services[service % len(services)],
            form=form,
        )
        assert result.ok, result.errors

    @rule(minutes=st.sampled_from([1, 10, 31, 240, 1440]))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(family=st.integers(0, 2))
    def page_load(self, family: int) -> None:
        """A page of the family loads: its checkouts past their lifetime expire."""
        spec = self._family(family)
        payment_cases.expire_stale_checkouts_if_any(self.db, self.now, spec.structure_id, spec.family_id)

    # --- the régie (counter, rejected cheques, refunds) ---------------------------------------

    def _once(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn`` through the régie; None if refused (then nothing changed)."""
        before = self._fingerprint()
        try:
            return self.db.run_write(fn, self.now, *args)
        except RegieError:
            assert self._fingerprint() == before
            return None

    def _again(self, fn: Callable[..., Any], *args: Any) -> None:
        """The same form submitted twice: refused, recorded once."""
        before = self._fingerprint()
        with pytest.raises(AlreadyRecorded):
            self.db.run_write(fn, self.now, *args)
        assert self._fingerprint() == before

    @rule(family=st.integers(0, 2), method=st.sampled_from(list(CounterMethod)), twice=st.booleans())
    def counter_payment(self, family: int, method: CounterMethod, twice: bool) -> None:
        """The régisseur takes the exact total of the family's open basket: it is paid, with a receipt."""
        spec = self._with_basket(family)
        with self.db.session() as s:
            total = counter.open_basket_total(s, self.now, spec.structure_id, spec.family_id)
        if not total or total <= 0:
            return
        args = (
            spec.structure_id,
            spec.family_id,
            self.world.staff[spec.structure_id],
            counter_details(method, total),
            uuid.uuid4().hex,
        )
        result = self._once(counter.pay_basket, *args)
        if result is None:
            return
        assert result.receipt_id is not None
        self.collected[spec.structure_id] += total
        if method == CounterMethod.CHEQUE:
            self.cheques.append((spec.structure_id, result.counter_payment_id))
        if twice:
            self._again(counter.pay_basket, *args)

    @rule(
        family=st.integers(0, 2),
        method=st.sampled_from(list(CounterMethod)),
        cents=st.sampled_from([385, 1000, 2590]),
        twice=st.booleans(),
    )
    def deposit(self, family: int, method: CounterMethod, cents: int, twice: bool) -> None:
        """Money handed in without a basket to pay: credit on account."""
        spec = self._family(family)
        args = (
            spec.structure_id,
            spec.family_id,
            self.world.staff[spec.structure_id],
            counter_details(method, cents),
            uuid.uuid4().hex,
        )
        result = self.db.run_write(counter.record_credit, self.now, *args)
        self.collected[spec.structure_id] += cents
        if method == CounterMethod.CHEQUE:
            self.cheques.append((spec.structure_id, result.counter_payment_id))
        if twice:
            self._again(counter.record_credit, *args)

    @precondition(lambda self: self.cheques)
    @rule(which=st.integers(0, 5))
    def cheque_rejected(self, which: int) -> None:
        """A counter cheque comes back unpaid: its money leaves the books, recorded once."""
        commune, counter_id = self.cheques.pop(-1 - which % len(self.cheques))
        args = (commune, self.world.staff[commune], counter_id, "Provision insuffisante")
        result = self._once(rejection.reject_cheque, *args)
        if result is None:  # an online payment of the family is under way: later
            self.cheques.append((commune, counter_id))
            return
        self.collected[commune] -= result.amount_cents
        before = self._fingerprint()
        with pytest.raises(RegieError):
            self.db.run_write(rejection.reject_cheque, self.now, *args)
        assert self._fingerprint() == before

    @rule(
        family=st.integers(0, 2),
        part=st.sampled_from(["half", "all", "more"]),
        method=st.sampled_from(list(RefundMethod)),
        twice=st.booleans(),
    )
    def refund(self, family: int, part: str, method: RefundMethod, twice: bool) -> None:
        """Part or all of a family's credit given back; beyond the balance, refused."""
        spec = self._family(family)
        with self.db.session() as s:
            # The credit a payment under way will use is not available (issue 16 audit).
            balance = credit_balance(s, spec.structure_id, spec.family_id) - refunds.credit_held(
                s, spec.structure_id, spec.family_id
            )
        amount = {"half": balance // 2, "all": balance, "more": max(balance, 0) + 100}[part]
        if amount <= 0:
            amount = 100
        args = (
            spec.structure_id,
            self.world.staff[spec.structure_id],
            spec.family_id,
            amount,
            method,
            "REF-1",
            "Déménagement",
            uuid.uuid4().hex,
        )
        result = self._once(refunds.refund_credit, *args)
        assert (result is not None) == (amount <= balance), (amount, balance)
        if result is not None and twice:
            self._again(refunds.refund_credit, *args)

    # --- sick-day absences (issue 20) ------------------------------------------------------

    @rule(family=st.integers(0, 2), picks=st.sets(st.integers(0, 5), min_size=1, max_size=3))
    def declare_absence(self, family: int, picks: set[int]) -> None:
        """A guardian declares a child ill for some of its booked days (paid or in the basket), with
        a photo of the certificate: basket days leave the basket, paid days wait for the staff."""
        spec = self._family(family)
        with self.db.session() as s:
            rows = s.exec(
                select(Reservation)
                .where(Reservation.family_id == spec.family_id, Reservation.status != ReservationStatus.CANCELLED)
                .order_by(Reservation.status, Reservation.day, Reservation.id)  # paid days first
            ).all()
        if not rows:
            return
        child_id = rows[min(picks) % len(rows)].child_id
        days = sorted({rows[i % len(rows)].day for i in picks if rows[i % len(rows)].child_id == child_id})
        before = self._fingerprint()
        with self.db.write_session() as s:
            result = absences.declare_absence(
                s,
                self.settings,
                self.now,
                structure_id=spec.structure_id,
                family_id=spec.family_id,
                account_id=None,
                child_id=child_id,
                days=days,
                data=CERTIFICATE,
            )
        if not result.ok:  # too late, a payment under way, already declared: nothing changed
            assert self._fingerprint() == before, result.message

    def _pending_absences(self) -> list[tuple[int, int]]:
        with self.db.session() as s:
            return [
                (a.id, a.structure_id)
                for a in s.exec(select(Absence).where(Absence.status == AbsenceStatus.PENDING).order_by(Absence.id))
            ]

    @rule(which=st.integers(0, 5), refuse=st.booleans(), twice=st.booleans(), carence=st.sampled_from([0, 0, 1, 2]))
    def decide_absence(self, which: int, refuse: bool, twice: bool, carence: int) -> None:
        """Staff validate (credits, by the commune's carence) or refuse; ``twice``: a double click,
        a colleague or a replay, which must change nothing."""
        waiting = self._pending_absences()
        if not waiting:
            return
        absence_id, structure_id = waiting[which % len(waiting)]
        with self.db.write_session() as s:
            s.get(Structure, structure_id).absence_carence_days = carence
        decide = staff_absences.refuse_absence if refuse else staff_absences.validate_absence
        kwargs = dict(structure_id=structure_id, account_id=self.world.staff[structure_id], absence_id=absence_id)
        with self.db.write_session() as s:
            assert decide(s, None, self.now, message="Certificat illisible.", **kwargs).ok
        if twice:
            before = self._fingerprint()
            for again in (staff_absences.validate_absence, staff_absences.refuse_absence):
                with self.db.write_session() as s:
                    assert not again(s, None, self.now, message="Encore", **kwargs).ok
            assert self._fingerprint() == before

    # --- the invariants ------------------------------------------------------------------

    @invariant()
    def the_books_hold(self) -> None:
        """Checked after every step, per commune (one read: it runs some 4,000 times), unless the
        step changed nothing it reads (a refused action, a duplicate: see Writes)."""
        inputs = (Writes.count, self.now, sorted(self.collected.items()))
        if inputs == self.checked:
            return
        with self.db.session() as s:
            for structure_id in self.world.structures:
                ledger = books(s, structure_id)
                # What providers collected is all accounted for, and held as paid days or credit.
                assert ledger.money_in == self.collected[structure_id], (ledger, dict(self.collected))
                assert ledger.money_in == ledger.money_held, ledger
                self._journal(s, structure_id, ledger)
                self._receipts(s, structure_id)
                self._reservations(s, structure_id)
                self._absences(s, structure_id)
            self._paid_prices_never_change(s)
        self.checked = inputs

    def _journal(self, s: Session, structure_id: int, ledger: Books) -> None:
        """The régie's journal over everything so far classifies each movement so that its totals
        reconcile: receipts = receipted payments; net = money in − refunds; the trop-perçu channel
        is the unexpected money; the credit balance = deposits + trop-perçu − refunds + the credit
        movements that moved no money (issued, used, given back or taken back after a rejection)."""
        # Through the last dated movement: the roll call's night settlement is dated the night after
        # the service day, which the machine reaches without moving its own clock.
        where = {"structure_id": structure_id}
        latest = s.execute(_LATEST_CREDIT, where).scalar_one()
        first, last = NOW.astimezone(PARIS).date(), max(self.now, latest or self.now).astimezone(PARIS).date()
        j = journal.build_journal(s, structure_id, first, last)
        assert j.reconciled, j
        assert j.net_cents == ledger.money_in - ledger.refunds, (j.totals, ledger)
        trop_percu = sum(v for channel, v in j.totals.items() if channel.startswith("trop-perçu:"))
        assert trop_percu == ledger.unexpected_money, (j.totals, ledger)
        rejected = sum(v for channel, v in j.totals.items() if channel.startswith("rejet:"))
        assert -rejected == ledger.rejected
        credit_moves = sum(j.credit_totals.values())
        assert ledger.credit_balance == ledger.deposits + trop_percu - ledger.refunds + credit_moves, j.credit_totals
        # A family owes the régie only after a rejected cheque took its credit back or a meal without
        # a reservation was billed to it: no refund, no payment ever takes its credit below zero.
        balances = s.execute(_BALANCES, where).all()
        owing = set(s.execute(_OWING, where).scalars())
        assert not [(f, b) for f, b in balances if b < 0 and f not in owing], balances

    def _absences(self, s: Session, structure_id: int) -> None:
        """A reservation is credited at most once, whatever cancelled it (Valider, a closure, an
        absence); a validated absence credited exactly its credited days; a day under absence is
        never cancelled while the staff have not decided."""
        where = {"structure_id": structure_id}
        credited = [r for r, amount in s.execute(_CREDITED, where).tuples() if amount > 0]
        assert len(credited) == len(set(credited)), credited
        by_absence: dict[int, list[Any]] = defaultdict(list)
        recorded: dict[int, int] = {}
        for row in s.execute(_ABSENCE_DAYS, where):
            recorded[row.absence_id] = row.credited_cents
            if row.outcome is not None:  # an absence without days has none of its own
                by_absence[row.absence_id].append(row)
        for absence_id, credited_cents in recorded.items():
            days = by_absence[absence_id]
            credits = sum(d.credit_cents for d in days if d.credit_id is not None)
            assert credits == credited_cents == sum(d.price_cents for d in days if d.outcome == "credited")
            for d in days:
                status = d.status if d.reservation_id is not None else None
                if d.outcome == "waiting":  # paid, or credited by a closure
                    assert status == ReservationStatus.PAID or d.reservation_id in credited, d
                if d.outcome in ("carence", "refused"):  # decided: an ordinary paid day again, which a
                    # cheque that comes back unpaid puts back in the basket like any other (pending)
                    assert (
                        status in (ReservationStatus.PAID, ReservationStatus.PENDING) or d.reservation_id in credited
                    ), d
                if d.outcome in ("credited", "cancelled"):
                    assert status == ReservationStatus.CANCELLED and d.reservation_id in credited, d

    def _paid_prices_never_change(self, s: Session) -> None:
        """A paid day keeps its price whatever grid or QF comes later (issue 17), as long as the
        same payment holds it: a day a rejected cheque put back in the basket is unpaid again, and
        is paid (again) at the price of its new payment, like any day of the basket."""
        for reservation_id, payment_id, price in s.exec(
            select(Reservation.id, Reservation.payment_id, Reservation.price_cents).where(
                Reservation.status == ReservationStatus.PAID
            )
        ).all():
            key = (reservation_id, payment_id)
            assert self.paid_prices.setdefault(key, price) == price, (reservation_id, payment_id, price)

    def _receipts(self, s: Session, structure_id: int) -> None:
        """One receipt per paid payment, of its amount; numbers without gaps per commune and year.
        A rejected cheque's payment stays succeeded and keeps its receipt (its reversal is a new
        line), so every receipt belongs to a payment that succeeded, rejected later or not."""
        where = {"structure_id": structure_id}
        paid = dict(s.execute(_PAID_PAYMENTS, where).tuples().all())
        issued = s.execute(_RECEIPTS, where).tuples().all()
        assert sorted(payment_id for payment_id, _a, _n in issued) == sorted(paid)
        assert all(amount == paid[payment_id] for payment_id, amount, _n in issued)
        by_year: dict[str, list[int]] = defaultdict(list)
        for _p, _a, number in issued:
            year, serial = number.split("-")
            by_year[year].append(int(serial))
        assert all(sorted(serials) == list(range(1, len(serials) + 1)) for serials in by_year.values())

    def _reservations(self, s: Session, structure_id: int) -> None:
        """No paid day on a closed day, no closed day waiting in an open basket, one active
        reservation (pending or paid, never both) per child, service and day."""
        rows = reserved(s, structure_id)
        closed = closed_on(
            s,
            structure_id,
            min((r[2] for r in rows), default=NOW.date()),
            max((r[2] for r in rows), default=NOW.date()),
        )
        assert not [r for r in rows if r[3] == ReservationStatus.PAID and is_closed(closed, r[2], r[1])]
        assert not [
            r
            for r in rows
            if r[3] == ReservationStatus.PENDING and r[4] == BasketStatus.OPEN and is_closed(closed, r[2], r[1])
        ]
        keys = [(child, service, day) for child, service, day, _st, _b in rows]
        assert len(keys) == len(set(keys))


# The invariants' statements, built once (see books_world.books).
_SID = bindparam("structure_id")
_LATEST_CREDIT = select(func.max(Credit.created_at)).where(Credit.structure_id == _SID)
_BALANCES = (
    select(Credit.family_id, func.sum(Credit.amount_cents))
    .where(Credit.structure_id == _SID)
    .group_by(Credit.family_id)
)
_OWING = select(Credit.family_id).where(
    Credit.structure_id == _SID, col(Credit.kind).in_([CreditKind.TAKEN_BACK, CreditKind.UNBOOKED])
)
_PAID_PAYMENTS = select(Payment.id, Payment.amount_cents).where(
    Payment.structure_id == _SID, Payment.status == PaymentStatus.SUCCEEDED
)
_RECEIPTS = select(Receipt.payment_id, Receipt.amount_cents, Receipt.number).where(Receipt.structure_id == _SID)
_CREDITED = select(Credit.reservation_id, Credit.amount_cents).where(
    Credit.structure_id == _SID, col(Credit.reservation_id).is_not(None)
)
# Each absence with its days, each day with its credit's amount and its reservation's status.
_ABSENCE_DAYS = (
    sa_select(
        col(Absence.id).label("absence_id"),
        col(Absence.credited_cents),
        col(AbsenceDay.outcome),
        col(AbsenceDay.price_cents),
        col(AbsenceDay.reservation_id),
        col(AbsenceDay.credit_id),
        col(Credit.amount_cents).label("credit_cents"),
        col(Reservation.status),
    )
    .select_from(Absence)
    .outerjoin(AbsenceDay, col(AbsenceDay.absence_id) == col(Absence.id))
    .outerjoin(Credit, col(Credit.id) == col(AbsenceDay.credit_id))
    .outerjoin(Reservation, col(Reservation.id) == col(AbsenceDay.reservation_id))
    .where(col(Absence.structure_id) == _SID)
)


def _cells(spec: FamilySpec) -> set[tuple[int, int, Any]]:
    return {cell for _period, cells in spec.periods for cell in cells}


@pytest.fixture
def world(tmp_path, backend, request) -> Iterator[World]:
    if backend == "postgres":
        built = postgres_world(request.getfixturevalue("postgres_server"), request.getfixturevalue("postgres_template"))
    else:
        built = sqlite_world(tmp_path)
    yield built
    built.close()


def test_the_books_balance_whatever_happens(world: World, backend: str, tmp_path, monkeypatch) -> None:
    from starlette.testclient import TestClient

    from cantine_portal.api import payment_routes
    from cantine_portal.api.routes import build_api

    settings = Settings.from_env(
        {
            "CANTINE_VAR_DIR": str(tmp_path / "var"),
            "CANTINE_SECRET_KEY": "k" * 48,
            "STRIPE_SECRET_KEY": "sk_test_books",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
    )
    monkeypatch.setattr("cantine_portal.config._active", settings)
    machine_now: list[Any] = [NOW]
    monkeypatch.setattr(payment_routes.clock, "now", lambda: machine_now[0])

    class Machine(BooksMachine):
        pass

    Machine.world, Machine.settings, Machine.route_clock = world, settings, machine_now
    Machine.client = TestClient(build_api(), base_url="http://portail.test")
    run = RUNS[backend]
    sa_event.listen(Engine, "after_cursor_execute", Writes.seen)
    try:
        run_state_machine_as_test(
            Machine,
            settings=hsettings(
                **run,
                deadline=None,
                derandomize=not EXPLORE,
                database=None,
                print_blob=EXPLORE,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
            ),
        )
    finally:
        sa_event.remove(Engine, "after_cursor_execute", Writes.seen)
