"""A staff refund and a payment that uses the same credit, at the same instant, on PostgreSQL.

On SQLite the single write lock serialises them; on PostgreSQL each transaction reads the balance
on its own, so both could count the same credit (refunded AND used: the family ends up owing it).
Every path that reads the balance to spend it takes the family's row lock first
(services/booking/credit_lock.py). Here one of the two transactions stops right after reading
the credit, while the other runs: without the lock the other commits in that gap; with it, the
other waits and then sees what the first did.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import event
from sqlmodel import select

from cantine_portal.infra.db import Database
from cantine_portal.models import Payment, PaymentStatus, Refund
from cantine_portal.services.booking import checkout as booking_checkout
from cantine_portal.services.booking.queries import credit_balance
from cantine_portal.services.payments import fulfilment, providers
from cantine_portal.services.payments.events import ProviderEvent
from cantine_portal.services.regie import counter, refunds
from cantine_portal.services.regie.errors import RegieError
from tests.integration.test_booking import MON, NOW, Demo, _load, apply, summary
from tests.integration.test_regie import books, staff

DEPOSIT = 200
# How long the first transaction waits, after reading the credit, for the other one to finish.
# Without the lock the other finishes in milliseconds; with it, it waits for this whole pause.
PAUSE_SECONDS = 1.0
_names = itertools.count(1)

# What each racer's transaction reads last before it decides how much credit it may spend.
READS = {
    "payment": re.compile(r"sum\(credit\.amount_cents\)", re.I),
    "counter": re.compile(r"sum\(credit\.amount_cents\)", re.I),
    "refund": re.compile(r"sum\(payment\.credit_cents\)", re.I),
}


@pytest.fixture
def pg(postgres_server, postgres_template, monkeypatch) -> Iterator[Demo]:
    name = f"cantine_race{os.getpid()}_{next(_names)}"
    db = Database(postgres_server.create_database(name, postgres_template))
    try:
        yield _load(db, monkeypatch)
    finally:
        db.dispose()
        postgres_server.drop_database(name)


def _refund(d: Demo, _total: int) -> None:
    with d.db.write_session() as s:
        refunds.refund_credit(s, NOW, d.structure, staff(d), d.martin, DEPOSIT, "virement", "VIR-9", "Départ", "race")


def _pay_online(d: Demo, _total: int) -> None:
    with d.db.write_session() as s:
        started = booking_checkout.begin_checkout(s, NOW, d.structure, d.martin, providers.SimulatedBank(NOW), 1)
        assert started.ok, started.message


def _pay_at_counter(d: Demo, total: int) -> None:
    """The régisseur takes what the basket showed, its credit deducted."""
    with d.db.write_session() as s:
        counter.pay_basket(s, NOW, d.structure, d.martin, staff(d), counter.CounterDetails("especes", total), "c-race")


RACERS: dict[str, Callable[[Demo, int], None]] = {"payment": _pay_online, "counter": _pay_at_counter, "refund": _refund}


def _race(d: Demo, first: str, second: str) -> dict[str, BaseException | None]:
    """``first`` starts and stops right after reading the credit; ``second`` runs meanwhile."""
    total = summary(d).total_cents
    read, second_done = threading.Event(), threading.Event()
    paused: list[int] = []
    pattern = READS[first]

    def after(conn, cursor, statement, parameters, context, executemany) -> None:
        if threading.get_ident() in paused and not read.is_set() and pattern.search(statement):
            read.set()
            second_done.wait(PAUSE_SECONDS)

    outcomes: dict[str, BaseException | None] = {}

    def run(name: str, done: threading.Event | None) -> None:
        if done is None:
            paused.append(threading.get_ident())
        else:
            assert read.wait(10), f"{first} never read the credit"
        try:
            RACERS[name](d, total)
            outcomes[name] = None
        except (RegieError, AssertionError) as refused:
            outcomes[name] = refused
        finally:
            if done is not None:
                done.set()

    event.listen(d.db.write_engine, "after_cursor_execute", after)
    try:
        threads = [
            threading.Thread(target=run, args=(first, None)),
            threading.Thread(target=run, args=(second, second_done)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        event.remove(d.db.write_engine, "after_cursor_execute", after)
    assert read.is_set() and set(outcomes) == {first, second}
    return outcomes


def _prepare(d: Demo) -> None:
    """The Martins have 2 € of credit and an open basket it partly pays."""
    with d.db.write_session() as s:
        counter.record_credit(s, NOW, d.structure, d.martin, staff(d), counter.CounterDetails("especes", DEPOSIT), "d")
    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    assert summary(d).credit_applied_cents == DEPOSIT and summary(d).version == 1


def _bank_says_yes(d: Demo, settings) -> None:
    with d.db.write_session() as s:
        waiting = s.exec(select(Payment).where(Payment.status == PaymentStatus.CREATED)).all()
        for payment in waiting:
            fulfilment.handle_event(
                s,
                NOW,
                settings,
                ProviderEvent("simulated", "ok", "succeeded", payment.provider_session_id, payment.amount_cents, "eur"),
            )


def _assert_credit_spent_once(d: Demo) -> None:
    with d.db.session() as s:
        used = sum(
            p.credit_cents for p in s.exec(select(Payment).where(Payment.status == PaymentStatus.SUCCEEDED)).all()
        )
        refunded = sum(r.amount_cents for r in s.exec(select(Refund)).all())
        assert used + refunded <= DEPOSIT, f"{used} used and {refunded} refunded of a {DEPOSIT} credit"
        assert credit_balance(s, d.structure, d.martin) >= 0
        assert books(s, d)["in"] == books(s, d)["out"]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("first", "second"),
    [("payment", "refund"), ("refund", "payment"), ("counter", "refund"), ("refund", "counter")],
)
def test_credit_is_never_both_refunded_and_spent_on_postgres(pg, settings, first, second):
    _prepare(pg)
    outcomes = _race(pg, first, second)
    _bank_says_yes(pg, settings)
    _assert_credit_spent_once(pg)
    # One of the two was refused or spent no credit: never both with the same 2 €.
    assert any(outcome is not None for outcome in outcomes.values()) or _credit_used(pg) == 0


def _credit_used(d: Demo) -> int:
    with d.db.session() as s:
        return sum(p.credit_cents for p in s.exec(select(Payment)).all())
