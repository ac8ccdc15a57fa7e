"""Prices by quotient familial (issue 17): brackets, outside-commune, siblings, missing/expired QF,
a QF change mid-period with pending and paid days, the grid editor and the « cantine à 1 € » claim."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from cantine_portal.infra.csv_export import csv_bytes, neutralise
from cantine_portal.models import (
    Account,
    AccountRole,
    Child,
    Family,
    FamilyQuotient,
    Guardian,
    PriceGrid,
    Reservation,
    ReservationStatus,
    Service,
    Structure,
)
from cantine_portal.services.backoffice import grids, qf_claim, quotients
from cantine_portal.services.booking import basket, choices, period_view
from cantine_portal.services.demo import load_demo
from cantine_portal.services.pricing.editor import BracketText, GridForm, claim_verdict, parse_grid
from cantine_portal.services.pricing.grid import Bracket, Grid, quote, reduced
from cantine_portal.services.pricing.tariffs import lives_outside
from cantine_portal.services.shared.calendar import period_containing

UTC = UTC
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
WEEK = period_containing("week", date(2026, 12, 7))
MON, TUE, THU, FRI = date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 10), date(2026, 12, 11)
GRID = Grid(
    date(2026, 9, 1),
    (Bracket(0, 500, 100), Bracket(501, 900, 250), Bracket(901, 1200, 320), Bracket(1201, None, 385)),
    385,
    460,
    10,
    2,
)


# --- pure rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "qf, cents, label",
    [
        (0, 100, "Tranche 1"),
        (500, 100, "Tranche 1"),
        (501, 250, "Tranche 2"),
        (900, 250, "Tranche 2"),
        (901, 320, "Tranche 3"),
        (1200, 320, "Tranche 3"),
        (1201, 385, "Tranche 4"),
        (99999, 385, "Tranche 4"),
    ],
)
def test_a_qf_exactly_on_a_bound_belongs_to_the_bracket_it_starts_or_ends(qf, cents, label):
    q = quote(GRID, 0, qf, outside=False)
    assert (q.price_cents, q.label.split(" —")[0]) == (cents, label)


def test_labels_outside_and_no_qf():
    assert quote(GRID, 0, 640, False).label == "Tranche 2 — QF de 501 à 900\u00a0€"
    assert quote(GRID, 0, 1300, False).label == "Tranche 4 — QF de 1\u202f201\u00a0€ et plus"
    assert quote(GRID, 0, 300, True).price_cents == 460  # outside: whatever the QF
    assert quote(GRID, 0, None, False).price_cents == 385  # no QF known
    assert quote(None, 410, 300, False).price_cents == 410  # no grid: the single price


def test_sibling_reduction_from_the_chosen_rank_rounded_to_the_cent():
    q = quote(GRID, 0, 640, False)
    assert q.for_rank(1)[0] == 250 and q.for_rank(2)[0] == 225 and q.for_rank(3)[0] == 225
    assert "réduction fratrie 10 %" in q.for_rank(2)[1]
    assert reduced(385, 10) == 347 and reduced(385, 15) == 327 and reduced(100, 0) == 100


def _form(rows, **kw) -> GridForm:
    base = dict(
        no_qf_price="3,85", outside_price="4,60", sibling_percent="10", sibling_from_rank="2", valid_from="2026-12-01"
    )
    base.update(kw)
    return GridForm(tuple(BracketText(*r) for r in rows), **base)


def test_editor_refuses_gaps_overlaps_bad_bounds_and_negative_prices_next_to_the_field():
    today = date(2026, 11, 26)
    _g, errors = parse_grid(_form([("0", "500", "1"), ("600", "900", "2,50"), ("901", "", "3,85")]), today)
    assert "Trou entre les tranches" in errors["min_1"]
    _g, errors = parse_grid(_form([("0", "500", "1"), ("400", "900", "2,50"), ("901", "", "3,85")]), today)
    assert "Chevauchement" in errors["min_1"]
    _g, errors = parse_grid(_form([("0", "500", "1"), ("501", "450", "2,50"), ("451", "", "3,85")]), today)
    assert "supérieur ou égal" in errors["max_1"]
    _g, errors = parse_grid(_form([("10", "500", "1"), ("501", "", "-2")]), today)
    assert "commence à 0" in errors["min_0"] and "price_1" in errors
    _g, errors = parse_grid(_form([("0", "500", "1"), ("501", "", "2")], valid_from="2026-01-01"), today)
    assert "passé" in errors["valid_from"]
    grid, errors = parse_grid(_form([("0", "500", "1"), ("501", "900", "2,50"), ("901", "", "3,85")]), today)
    assert errors == {} and grid is not None and grid.brackets[2] == Bracket(901, None, 385)


def test_claim_verdict_names_the_failing_condition():
    assert claim_verdict(GRID)[0]
    two = Grid(GRID.valid_from, GRID.brackets[:1] + (Bracket(501, None, 385),), 385)
    assert "au moins 3 tranches" in claim_verdict(two)[1]
    none_cheap = Grid(GRID.valid_from, tuple(Bracket(b.min_qf, b.max_qf, 150) for b in GRID.brackets), 150)
    assert "aucune tranche" in claim_verdict(none_cheap)[1]
    all_cheap = Grid(GRID.valid_from, tuple(Bracket(b.min_qf, b.max_qf, 100) for b in GRID.brackets), 100)
    assert "au-dessus de 1" in claim_verdict(all_cheap)[1]
    too_rich = Grid(GRID.valid_from, (Bracket(0, 1100, 100), Bracket(1101, 1500, 300), Bracket(1501, None, 400)), 400)
    assert "tranche 1" in claim_verdict(too_rich)[1]


def test_csv_cells_a_spreadsheet_would_run_are_neutralised():
    assert neutralise('=HYPERLINK("x")') == '\'=HYPERLINK("x")' and neutralise("-3,50") == "-3,50"
    assert "'@SUM" in csv_bytes(["a"], [["@SUM(A1)"]]).decode("utf-8-sig")


# --- with the database (the demo commune: canteen grid, Martin QF 1 350 €, Durand QF 640 €) --


@pytest.fixture
def demo(database, settings):
    with database.write_session() as s:
        load_demo(s, NOW, settings)
    with database.session() as s:
        structure = s.exec(select(Structure).where(Structure.slug == "demo")).one()
        martin = s.exec(select(Family).where(Family.name == "Martin")).one()
        durand = s.exec(select(Family).where(Family.name == "Durand")).one()
        canteen = s.exec(
            select(Service).where(Service.structure_id == structure.id, Service.name == "Restauration scolaire")
        ).one()
        kids = {c.first_name: c.id for c in s.exec(select(Child))}
        staff = s.exec(
            select(Account).where(Account.role == AccountRole.STAFF, Account.structure_id == structure.id)
        ).one()
        return dict(
            db=database,
            settings=settings,
            structure=structure.id,
            martin=martin.id,
            durand=durand.id,
            canteen=canteen.id,
            lea=kids["Léa"],
            hugo=kids["Hugo"],
            emma=kids["Emma"],
            staff=staff.id,
        )


def _view(d, family, now=NOW, period=WEEK):
    with d["db"].session() as s:
        return period_view.build_period_view(s, now, d["structure"], family, period)


def _apply(d, family, wanted, now=NOW, period=WEEK):
    view = _view(d, family, now, period)
    with d["db"].write_session() as s:
        return choices.apply_choices(s, now, d["structure"], family, period, set(wanted), view.basket_version)


def _set_qf(d, family, qf, start, end=date(2027, 8, 31)):
    with d["db"].write_session() as s:
        s.add(
            FamilyQuotient(
                structure_id=d["structure"],
                family_id=family,
                qf_euros=qf,
                source="caf",
                valid_from=start,
                valid_to=end,
                created_at=NOW,
            )
        )


def _pay(d, family, now=NOW):
    with d["db"].write_session() as s:
        b = basket.current_basket(s, d["structure"], family)
        for r in s.exec(select(Reservation).where(Reservation.basket_id == b.id)):
            r.status = ReservationStatus.PAID
            s.add(r)
        b.status = "paid"
        s.add(b)


def _rows(d, family):
    with d["db"].session() as s:
        return {
            (r.child_id, r.day): r
            for r in s.exec(
                select(Reservation).where(
                    Reservation.family_id == family, Reservation.status != ReservationStatus.CANCELLED
                )
            )
        }


@pytest.mark.db
def test_martin_and_durand_fall_in_different_brackets(demo):
    d = demo
    assert _view(d, d["martin"]).cell((d["lea"], d["canteen"], MON)).price_cents == 385
    emma = _view(d, d["durand"]).cell((d["emma"], d["canteen"], MON))
    assert (emma.price_cents, emma.tariff_label) == (250, "Tranche 2 — QF de 501 à 900\u00a0€")
    assert _apply(d, d["durand"], {(d["emma"], d["canteen"], MON)}).ok
    assert _rows(d, d["durand"])[(d["emma"], MON)].tariff_label.startswith("Tranche 2")
    assert _rows(d, d["durand"])[(d["emma"], MON)].qf_euros == 640


@pytest.mark.db
def test_outside_commune_from_the_address_or_the_staff_flag(demo):
    d = demo
    with d["db"].write_session() as s:
        for g in s.exec(select(Guardian).where(Guardian.family_id == d["durand"])):
            g.postal_code, g.city = "44100", "Nantes"
            s.add(g)
    assert _view(d, d["durand"]).cell((d["emma"], d["canteen"], MON)).price_cents == 460
    with d["db"].write_session() as s:
        quotients.set_outside_commune(
            s, NOW, structure_id=d["structure"], account_id=d["staff"], family_id=d["durand"], outside=False
        )
    assert _view(d, d["durand"]).cell((d["emma"], d["canteen"], MON)).price_cents == 250
    structure = Structure(slug="x", name="X", postal_code="44000", city="Saint-Herblain")
    family = Family(structure_id=1, name="F")
    assert not lives_outside(
        structure,
        family,
        [Guardian(family_id=1, last_name="a", first_name="b", postal_code="44000", city="ST HERBLAIN")],
    )


def _siblings_grid(d, percent=10, from_rank=2):
    with d["db"].write_session() as s:
        grid = s.exec(select(PriceGrid).where(PriceGrid.service_id == d["canteen"])).one()
        grid.sibling_percent, grid.sibling_from_rank = percent, from_rank
        s.add(grid)


@pytest.mark.db
def test_siblings_same_day_different_days_and_a_sibling_unticked(demo):
    d = demo
    _siblings_grid(d)
    lea, hugo, c = d["lea"], d["hugo"], d["canteen"]
    wanted = {(lea, c, MON), (hugo, c, MON), (hugo, c, TUE)}
    view = _view(d, d["martin"])
    per_child, total = period_view.live_totals(view, wanted)
    assert per_child == {lea: 385, hugo: 347 + 385} and total == 1117  # Tuesday: Hugo alone, full price
    assert _apply(d, d["martin"], wanted).ok
    rows = _rows(d, d["martin"])
    assert (rows[(lea, MON)].price_cents, rows[(hugo, MON)].price_cents, rows[(hugo, TUE)].price_cents) == (
        385,
        347,
        385,
    )
    assert "réduction fratrie" in rows[(hugo, MON)].tariff_label
    # Léa unticked on Monday: Hugo becomes the first child that day and pays the full price.
    assert _apply(d, d["martin"], {(hugo, c, MON), (hugo, c, TUE)}).ok
    assert _rows(d, d["martin"])[(hugo, MON)].price_cents == 385
    assert period_view.live_totals(_view(d, d["martin"]), {(hugo, c, MON), (hugo, c, TUE)})[1] == 770


@pytest.mark.db
def test_a_paid_day_counts_first_and_keeps_its_price(demo):
    d = demo
    _siblings_grid(d)
    lea, hugo, c = d["lea"], d["hugo"], d["canteen"]
    assert _apply(d, d["martin"], {(hugo, c, MON)}).ok
    _pay(d, d["martin"])
    # Léa joins Monday later: Hugo was booked (and paid) first, so Léa is the 2nd child.
    view = _view(d, d["martin"])
    assert view.cell((lea, c, MON)).price_cents == 347
    assert period_view.live_totals(view, {(hugo, c, MON), (lea, c, MON)})[0] == {lea: 347, hugo: 385}
    assert _apply(d, d["martin"], {(hugo, c, MON), (lea, c, MON)}).ok
    rows = _rows(d, d["martin"])
    assert (rows[(hugo, MON)].price_cents, rows[(lea, MON)].price_cents) == (385, 347)


@pytest.mark.db
def test_missing_and_expired_qf_give_the_no_qf_price_and_say_why(demo):
    d = demo
    with d["db"].write_session() as s:
        for q in s.exec(select(FamilyQuotient).where(FamilyQuotient.family_id == d["durand"])):
            q.valid_to = date(2026, 12, 9)  # expires in the middle of the week
            s.add(q)
    view = _view(d, d["durand"])
    assert view.cell((d["emma"], d["canteen"], TUE)).price_cents == 250
    assert view.cell((d["emma"], d["canteen"], THU)).price_cents == 385
    assert "n'est plus valable depuis le mercredi 9 décembre 2026" in view.tariff_notice
    assert "page Famille" in view.tariff_notice
    with d["db"].write_session() as s:
        for q in s.exec(select(FamilyQuotient).where(FamilyQuotient.family_id == d["durand"])):
            s.delete(q)
    view = _view(d, d["durand"])
    assert view.cell((d["emma"], d["canteen"], MON)).price_cents == 385
    assert view.tariff_notice.startswith("Aucun quotient familial n'est enregistré")


@pytest.mark.db
def test_a_qf_change_mid_period_reprices_pending_days_with_a_message_and_never_paid_ones(demo):
    d = demo
    emma, c = d["emma"], d["canteen"]
    assert _apply(d, d["durand"], {(emma, c, MON)}).ok
    _pay(d, d["durand"])
    assert _apply(d, d["durand"], {(emma, c, MON), (emma, c, THU), (emma, c, FRI)}).ok
    _set_qf(d, d["durand"], 420, date(2026, 12, 10))  # new attestation from Thursday: bracket 1
    with d["db"].write_session() as s:
        assert basket.reprice_basket(s, NOW, d["structure"], d["durand"], check_only=True).changed == 2
        message = basket.reprice_basket(s, NOW, d["structure"], d["durand"]).message
    assert "2,50\u00a0€ → 1,00\u00a0€" in message and "quotient" in message
    rows = _rows(d, d["durand"])
    assert rows[(emma, MON)].price_cents == 250 and rows[(emma, MON)].status == "paid"
    assert (rows[(emma, THU)].price_cents, rows[(emma, FRI)].price_cents) == (100, 100)
    assert rows[(emma, THU)].tariff_label.startswith("Tranche 1")
    view = _view(d, d["durand"])
    assert view.tariff_lines == (
        "Restauration scolaire : Tranche 2 — QF de 501 à 900\u00a0€ (2,50\u00a0€)",
        "Restauration scolaire à partir du jeudi 10 décembre : Tranche 1 — QF de 0 à 500\u00a0€ (1,00\u00a0€)",
    )


@pytest.mark.db
def test_staff_grid_editor_saves_a_grid_from_a_date_and_keeps_history(demo):
    d = demo
    form = GridForm(
        (BracketText("0", "600", "0,90"), BracketText("601", "1000", "2,00"), BracketText("1001", "", "4,00")),
        "4,00",
        "",
        "0",
        "2",
        "2026-12-10",
    )
    with d["db"].write_session() as s:
        result = grids.save_grid(
            s, NOW, structure_id=d["structure"], account_id=d["staff"], service_id=d["canteen"], form=form
        )
    assert result.ok and "remplit les conditions" in result.verdict
    assert (
        result.preview
        == "Une famille au QF de 640\u00a0€ paie 2,00\u00a0€ le repas (Tranche 2 — QF de 601 à 1\u202f000\u00a0€)."
    )
    view = _view(d, d["durand"])
    assert view.cell((d["emma"], d["canteen"], TUE)).price_cents == 250  # old grid before the date
    assert view.cell((d["emma"], d["canteen"], THU)).price_cents == 200  # new grid from the date
    with d["db"].session() as s:
        assert len(grids.grids_of(s, d["structure"], d["staff"])) == 2


@pytest.mark.db
def test_quotients_csv_import_is_all_or_nothing_with_line_numbers(demo):
    d = demo
    bad = (
        b"reference_famille;quotient_familial;source;valable_du;valable_au\n"
        b"F-DURAND;450;caf;01/01/2027;31/12/2027\nF-NOBODY;abc;caf;01/01/2027;31/12/2026\n"
    )
    with d["db"].write_session() as s:
        ok, messages = quotients.import_quotients(s, NOW, structure_id=d["structure"], account_id=d["staff"], data=bad)
    assert not ok and messages[0].startswith("Ligne 3 :") and "F-NOBODY" in messages[0] and "entier" in messages[0]
    with d["db"].session() as s:
        assert len(s.exec(select(FamilyQuotient).where(FamilyQuotient.family_id == d["durand"])).all()) == 1
    with d["db"].write_session() as s:
        ok, _ = quotients.import_quotients(
            s, NOW, structure_id=d["structure"], account_id=d["staff"], data=bad.split(b"F-NOBODY")[0]
        )
    assert ok
    with d["db"].session() as s:
        assert len(quotients.expiring(s, d["structure"], d["staff"], date(2027, 8, 1))) == 1  # Martin only


@pytest.mark.db
def test_claim_counts_equal_paid_meals_at_one_euro_for_qf_up_to_1000(demo):
    d = demo
    emma, c = d["emma"], d["canteen"]
    _set_qf(d, d["durand"], 420, date(2026, 12, 1))
    assert _apply(d, d["durand"], {(emma, c, MON), (emma, c, TUE), (emma, c, THU)}).ok
    _pay(d, d["durand"])
    assert _apply(d, d["durand"], {(emma, c, MON), (emma, c, TUE), (emma, c, THU), (emma, c, FRI)}).ok  # pending
    assert _apply(d, d["martin"], {(d["lea"], c, MON)}).ok
    _pay(d, d["martin"])  # paid but 3,85 €: not counted
    period = qf_claim.ClaimPeriod(2026, 3)
    with d["db"].session() as s:
        result = qf_claim.claim(s, d["structure"], d["staff"], c, period, egalim=True)
        paid_cheap = [
            r
            for r in s.exec(select(Reservation).where(Reservation.status == ReservationStatus.PAID))
            if r.price_cents <= 100 and r.qf_euros is not None and r.qf_euros <= 1000
        ]
    assert result.meals == len(paid_cheap) == 3
    assert [(r.month, r.school, r.meals) for r in result.rows] == [("décembre 2026", "École Jacques Prévert", 3)]
    assert result.amount_cents == 3 * 400 and period.start == date(2026, 9, 1) and period.end == date(2026, 12, 31)
    text = qf_claim.claim_csv(result).decode("utf-8-sig")
    assert "décembre 2026;École Jacques Prévert;3;12,00" in text and "Total;;3;12,00" in text
