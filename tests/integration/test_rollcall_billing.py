"""« Présent sans réservation » billed to the family (issue 20, item 3): the night after the day,
under the commune's billing rule, the family's account is charged the day's price at its own
tariff, once and only once; a mark taken back before costs nothing, after gives the money back."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import select

from cantine_portal.models import AuditLog, Child, Credit, CreditKind, RollCallMark, Structure
from cantine_portal.services.booking.queries import credit_balance
from cantine_portal.services.regie import journal, ledger
from cantine_portal.services.rollcall import billing, marks, sheet
from cantine_portal.state.offload import run_handler
from tests.integration.rollcall_world import DAY, _tap, open_tab, tablets, world  # noqa: F401 - fixtures

ZOE = "Zoé"  # a pending day only: she is there without a (paid) reservation; Emma is her paid sister


def _rule(database, world, rule):
    with database.write_session() as s:
        demo = s.get(Structure, world["demo"])
        demo.rollcall_unbooked_rule = rule
        s.add(demo)


def _settle(database, when, world=None, mailer=None):
    with database.write_session() as s:
        return billing.settle_unbooked(s, when, world["demo"] if world else None, mailer)


def _family(database, world, name=ZOE):
    with database.session() as s:
        return s.get(Child, world["children"][name]).family_id


def _debts(database, world):
    with database.session() as s:
        rows = s.exec(select(Credit).where(Credit.kind == CreditKind.UNBOOKED).order_by(Credit.id)).all()
        return [(c.family_id, c.amount_cents, c.label) for c in rows]


def _remove(database, when, world, name=ZOE):
    with database.write_session() as s:
        return marks.remove_unbooked(
            s,
            when,
            structure_id=world["demo"],
            account_id=world["cook"],
            service_id=world["canteen"],
            day=DAY,
            child_id=world["children"][name],
        )


def test_billed_once_the_night_after_at_the_day_price(database, world, now):
    _rule(database, world, "bill")
    assert _tap(database, now, world, "cook", ZOE, "present").ok
    assert _settle(database, now, world).days == 0  # the day is not over yet: nothing billed
    night = now + timedelta(hours=18)  # 4h the next night, Paris
    first, second = _settle(database, night, world), _settle(database, night)
    # the family's own tariff: Durand's QF (640 €) is in the demo grid's 2,50 € bracket, not 3,85 €
    assert (first.days, first.amount_cents, second.days) == (1, 250, 0)
    family = _family(database, world)
    assert _debts(database, world) == [
        (family, -250, "Restauration scolaire du 26/11/2026 sans réservation (Zoé) : somme due")
    ]
    with database.session() as s:
        assert credit_balance(s, world["demo"], family) == -250
        report = sheet.unbooked_presences(s, world["demo"], world["staff"], DAY, DAY)
        assert [r.billing for r in report] == ["facturé 2,50\u00a0€"]
        meals = billing.owed_meals(s, world["demo"], family, 250)
        assert [(m.day, m.child, m.service, m.amount_cents) for m in meals] == [
            (DAY, ZOE, "Restauration scolaire", 250)
        ]
        # the régie's journal: a charge to the family's account, not money in
        j = journal.build_journal(s, world["demo"], DAY, DAY + timedelta(days=1))
        assert j.credit_totals == {journal.UNBOOKED_KIND: -250} and j.net_cents == 0
        lines = ledger.family_ledger(s, world["demo"], world["staff"], family)
        assert [(line.kind, line.credit_cents, line.balance_cents) for line in lines] == [
            (journal.UNBOOKED_KIND, -250, -250)
        ]


def test_two_consumers_at_once_bill_once(database, world, now):
    """Two nightly consumers read the same due mark at once: the conditional UPDATE lets one bill."""
    _rule(database, world, "bill")
    _tap(database, now, world, "cook", ZOE, "present")
    night = now + timedelta(hours=18)
    both_read = threading.Barrier(2)
    real_price = billing.unbooked_price

    def price_then_wait(*args):
        cents = real_price(*args)
        try:
            both_read.wait(timeout=2)  # on SQLite the writer lock serialises them: the wait times out
        except threading.BrokenBarrierError:
            pass
        return cents

    results = []
    billing.unbooked_price = price_then_wait  # type: ignore[assignment]
    try:
        threads = [threading.Thread(target=lambda: results.append(_settle(database, night))) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        billing.unbooked_price = real_price  # type: ignore[assignment]
    assert sorted(r.days for r in results) == [0, 1]
    assert [amount for _f, amount, _l in _debts(database, world)] == [-250]


def test_the_familys_quotient_tariff_applies(database, world, now):
    from cantine_portal.services.backoffice import grids
    from cantine_portal.services.pricing.editor import BracketText, GridForm

    with database.write_session() as s:
        form = GridForm(
            (BracketText("0", "500", "1"), BracketText("501", "900", "2,40"), BracketText("901", "", "3,85")),
            "3,85",
            "4,60",
            "50",  # the second child of the day pays half
            "2",
            DAY.isoformat(),
        )
        assert grids.save_grid(
            s, now, structure_id=world["demo"], account_id=world["staff"], service_id=world["canteen"], form=form
        ).ok
    _rule(database, world, "bill")
    _tap(database, now, world, "cook", ZOE, "present")
    assert _settle(database, now + timedelta(hours=18), world).amount_cents == 120
    # the new grid: QF 640 → 2,40 €; her sister Emma's paid day counts first, Zoé is the second
    # child of the day: half price
    assert [amount for _f, amount, _l in _debts(database, world)] == [-120]


def test_taken_back_before_the_night_costs_nothing(database, world, now):
    _rule(database, world, "bill")
    _tap(database, now, world, "cook", ZOE, "present")
    assert _remove(database, now, world).message == ""
    assert _settle(database, now + timedelta(hours=18)).days == 0
    assert _debts(database, world) == []


def test_taken_back_after_the_night_gives_the_money_back_once(database, world, now):
    _rule(database, world, "bill")
    _tap(database, now, world, "cook", ZOE, "present")
    night = now + timedelta(hours=18)
    _settle(database, night)
    removed = _remove(database, night, world)
    assert removed.ok and "2,50\u00a0€" in removed.message and "rendus" in removed.message
    assert _remove(database, night, world).message == ""  # a second tablet: nothing more given back
    family = _family(database, world)
    assert [
        (amount, label.startswith("Annulation : Restauration scolaire du 26/11/2026"))
        for _f, amount, label in _debts(database, world)
    ] == [(-250, False), (250, True)]
    with database.session() as s:
        assert credit_balance(s, world["demo"], family) == 0
        assert s.exec(select(RollCallMark).where(RollCallMark.child_id == world["children"][ZOE])).all() == []
        cancelled = s.exec(select(AuditLog).where(AuditLog.action == "rollcall.unbooked_bill_cancelled")).all()
        assert [a.account_id for a in cancelled] == [world["cook"]]
        assert billing.owed_meals(s, world["demo"], family, 0) == []
    assert _settle(database, night + timedelta(days=1)).days == 0  # never billed again


def test_the_rule_is_the_one_in_force_at_the_tap(database, world, now):
    """REPORT bills nothing, even if the commune switches to billing before the night; a child
    added under the billing rule is billed even if the commune switches back meanwhile."""
    _tap(database, now, world, "cook", ZOE, "present")  # the default rule: reported only
    _rule(database, world, "bill")
    night = now + timedelta(hours=18)
    assert _settle(database, night).days == 0
    with database.session() as s:
        report = sheet.unbooked_presences(s, world["demo"], world["staff"], DAY, DAY)
        assert [r.billing for r in report] == ["signalé"]
    _remove(database, now, world)
    _tap(database, now, world, "cook", ZOE, "present")  # under the billing rule
    _rule(database, world, "report")
    with database.session() as s:
        report = sheet.unbooked_presences(s, world["demo"], world["staff"], DAY, DAY)
        assert [r.billing for r in report] == ["à facturer la nuit suivante"]
    assert _settle(database, night).days == 1


def test_the_nightly_task_bills_and_tells_the_family(database, world, now, monkeypatch, settings):
    import email
    from email import policy

    from cantine_portal.usecases import tasks

    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    monkeypatch.setattr(tasks, "backup_database", lambda settings, now: None)
    _rule(database, world, "bill")
    _tap(database, now, world, "cook", ZOE, "present")
    tasks.RUNNERS["nightly"]({}, now + timedelta(hours=18))
    assert [amount for _f, amount, _l in _debts(database, world)] == [-250]
    messages = [
        email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(settings.mail_dir.glob("*.eml"))
    ]
    billed = [m for m in messages if "sans réservation" in m["Subject"]]
    assert len(billed) == 1
    text = billed[0].get_body(preferencelist=("plain",)).get_content()
    assert "Zoé — Restauration scolaire, jeudi 26 novembre 2026 : 2,50\u00a0€" in text
    assert "Somme due à la régie : 2,50\u00a0€" in text


def test_a_day_paid_after_the_tap_is_not_billed_twice(database, world, now):
    """Zoé's pending day is paid after she was added (the basket paid at the counter that day):
    the night finds her day paid, and bills nothing."""
    from cantine_portal.models import Reservation, ReservationStatus

    _rule(database, world, "bill")
    _tap(database, now, world, "cook", ZOE, "present")
    with database.write_session() as s:
        day = s.exec(select(Reservation).where(Reservation.child_id == world["children"][ZOE])).one()
        day.status = ReservationStatus.PAID
        s.add(day)
    assert _settle(database, now + timedelta(hours=18)).days == 0
    assert _debts(database, world) == []
    with database.session() as s:
        report = sheet.unbooked_presences(s, world["demo"], world["staff"], DAY, DAY)
        assert [r.billing for r in report] == ["signalé"]


def test_the_tablet_says_the_money_is_given_back(database, world, now, tablets):
    """« Retirer » on the Pointage page after the night: the kitchen reads that the family gets its
    money back (a notice, not an error)."""
    _office, kitchen = tablets
    _rule(database, world, "bill")
    run_handler(kitchen.search({"search": ZOE}))
    run_handler(kitchen.add(0))
    assert _settle(database, now + timedelta(hours=18)).days == 1
    run_handler(kitchen.remove(len(kitchen.rows) - 1))
    assert kitchen.error_message == "" and kitchen.unbooked == 0
    assert "retiré" in kitchen.notice and "2,50\u00a0€ lui sont rendus" in kitchen.notice
