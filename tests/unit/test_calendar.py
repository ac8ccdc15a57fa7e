"""Unit tests for cantine_portal.services.shared.calendar (``now`` always injected, never the clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from cantine_portal.french import format_paris_long_datetime, format_short_date
from cantine_portal.services.shared.calendar import (
    SCHOOL_HOLIDAYS,
    SCHOOL_HOLIDAYS_2026_2027,
    ClosedDay,
    DayStatus,
    DeadlineRule,
    Period,
    day_status,
    deadline_for,
    french_public_holidays,
    index_closed_days,
    is_locked,
    next_period,
    period_containing,
    previous_period,
    school_holiday_days,
    shift,
)

UTC = UTC
DEMO = DeadlineRule("weekday_before")  # Thursday 23:59 before the period


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- Periods -----------------------------------------------------------------


@pytest.mark.parametrize(
    "mode, day, start, end, key, label",
    [
        (
            "week",
            date(2026, 12, 2),
            date(2026, 11, 30),
            date(2026, 12, 6),
            "2026-W49",
            "Semaine du 30 novembre au 6 décembre 2026",
        ),
        (
            "week",
            date(2026, 12, 7),
            date(2026, 12, 7),
            date(2026, 12, 13),
            "2026-W50",
            "Semaine du 7 au 13 décembre 2026",
        ),
        (
            "week",
            date(2027, 1, 3),
            date(2026, 12, 28),
            date(2027, 1, 3),
            "2026-W53",
            "Semaine du 28 décembre 2026 au 3 janvier 2027",
        ),
        ("week", date(2027, 3, 1), date(2027, 3, 1), date(2027, 3, 7), "2027-W09", "Semaine du 1er au 7 mars 2027"),
        ("month", date(2026, 12, 15), date(2026, 12, 1), date(2026, 12, 31), "2026-12", "Décembre 2026"),
        ("month", date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29), "2028-02", "Février 2028"),
    ],
)
def test_period_containing(mode, day, start, end, key, label):
    p = period_containing(mode, day)
    assert (p.start, p.end, p.key, p.label_fr) == (start, end, key, label)
    assert p.days[0] == start and p.days[-1] == end
    assert len(p.days) == (end - start).days + 1
    assert Period.parse(key) == p


@pytest.mark.parametrize("key", ["2026-W53", "2027-W01", "2026-01", "2027-12", "2020-W53"])
def test_parse_round_trip(key):
    assert Period.parse(key).key == key


@pytest.mark.parametrize("key", ["2027-W53", "2026-13", "2026-W5", "garbage", ""])
def test_parse_rejects_invalid(key):
    with pytest.raises(ValueError):
        Period.parse(key)


def test_non_canonical_period_rejected():
    with pytest.raises(ValueError):
        Period("week", date(2026, 12, 1), date(2026, 12, 7))  # a Tuesday
    with pytest.raises(ValueError):
        Period("year", date(2026, 1, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    "key, n, expected",
    [
        ("2026-W52", 1, "2026-W53"),
        ("2026-W53", 1, "2027-W01"),
        ("2027-W01", -1, "2026-W53"),
        ("2026-W49", 5, "2027-W01"),
        ("2026-12", 1, "2027-01"),
        ("2027-01", -1, "2026-12"),
        ("2026-11", 14, "2028-01"),
        ("2026-03", -3, "2025-12"),
    ],
)
def test_shift(key, n, expected):
    assert shift(Period.parse(key), n).key == expected


def test_next_previous_are_inverse():
    for key in ("2026-W53", "2026-12", "2027-W09"):
        p = Period.parse(key)
        assert previous_period(next_period(p)) == p
        assert next_period(previous_period(p)) == p


# --- Deadlines ---------------------------------------------------------------


@pytest.mark.parametrize(
    "key, rule, expected_utc",
    [
        # Demo rule: Thursday 23:59 before a Monday-starting week (start - 4 days).
        ("2026-W50", DEMO, utc(2026, 12, 3, 22, 59)),
        # Spring forward weekend: Thursday 25 March 2027 is still CET (+1).
        ("2027-W13", DEMO, utc(2027, 3, 25, 22, 59)),
        # October 2026 change (Sunday 25 Oct): CEST before, CET after.
        ("2026-W44", DEMO, utc(2026, 10, 22, 21, 59)),
        ("2026-W45", DEMO, utc(2026, 10, 29, 22, 59)),
        # Month mode: February 2027 starts on a Monday -> Thursday 28 January.
        ("2027-02", DEMO, utc(2027, 1, 28, 22, 59)),
        # Month starting on a Thursday: the *previous* Thursday (strictly before).
        ("2026-10", DEMO, utc(2026, 9, 24, 21, 59)),
        ("2026-W50", DeadlineRule("weekday_before", weekday=4, at=time(12, 0)), utc(2026, 12, 4, 11, 0)),
        ("2026-W50", DeadlineRule("days_before"), utc(2026, 12, 5, 22, 59)),
        ("2026-W50", DeadlineRule("days_before", days_before=0, at=time(8, 0)), utc(2026, 12, 7, 7, 0)),
        ("2026-12", DeadlineRule("days_before", days_before=10, at=time(18, 30)), utc(2026, 11, 21, 17, 30)),
        # Nonexistent 02:30 on Sunday 28 March 2027: shifted forward to 03:30 CEST.
        ("2027-W13", DeadlineRule("days_before", days_before=1, at=time(2, 30)), utc(2027, 3, 28, 1, 30)),
        # Ambiguous 02:30 on Sunday 31 October 2027: first occurrence (CEST).
        ("2027-W44", DeadlineRule("days_before", days_before=1, at=time(2, 30)), utc(2027, 10, 31, 0, 30)),
        ("2027-11", DeadlineRule("days_before", days_before=1, at=time(2, 30)), utc(2027, 10, 31, 0, 30)),
    ],
)
def test_deadline_for(key, rule, expected_utc):
    deadline = deadline_for(Period.parse(key), rule)
    assert deadline == expected_utc
    assert deadline.utcoffset() == timedelta(0)


def test_deadline_on_public_holiday_still_applies():
    # Week of Monday 10 May 2027: the demo deadline is Ascension Thursday 6 May 2027.
    holiday_days = {cd.day for cd in french_public_holidays([2027])}
    deadline = deadline_for(Period.parse("2027-W19"), DEMO)
    assert date(2027, 5, 6) in holiday_days
    assert deadline == utc(2027, 5, 6, 21, 59)


@pytest.mark.parametrize(
    "now, locked",
    [
        (utc(2026, 12, 3, 22, 58, 59), False),  # 23:58:59 Paris
        (utc(2026, 12, 3, 22, 59, 0), False),  # 23:59:00: the displayed minute is open
        (utc(2026, 12, 3, 22, 59, 59, 999999), False),
        (utc(2026, 12, 3, 23, 0, 0), True),  # 00:00:00 Friday Paris
        (utc(2026, 12, 3, 23, 0, 1), True),
        (utc(2026, 12, 3, 23, 59, 0).astimezone(timezone(timedelta(hours=1))), True),
    ],
)
def test_is_locked_edges(now, locked):
    assert is_locked(Period.parse("2026-W50"), DEMO, now) is locked


def test_is_locked_rejects_naive_now():
    with pytest.raises(ValueError):
        is_locked(Period.parse("2026-W50"), DEMO, datetime(2026, 12, 3, 12, 0))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "monthly"},
        {"kind": "weekday_before", "weekday": 7},
        {"kind": "days_before", "days_before": -1},
        {"kind": "days_before", "at": time(23, 59, 30)},
    ],
)
def test_invalid_rules_rejected(kwargs):
    with pytest.raises(ValueError):
        DeadlineRule(**kwargs)


def test_format_paris_long_datetime():
    deadline = deadline_for(Period.parse("2026-W50"), DEMO)
    assert format_paris_long_datetime(deadline) == "jeudi 3 décembre 2026 à 23h59"
    assert format_paris_long_datetime(utc(2027, 3, 1, 7, 5)) == "lundi 1er mars 2027 à 8h05"
    # Rendered in Paris time even when the UTC date differs.
    assert format_paris_long_datetime(utc(2026, 12, 31, 23, 30)) == "vendredi 1er janvier 2027 à 0h30"


def test_format_short_date():
    assert format_short_date(date(2026, 12, 7)) == "lun. 7 déc."
    assert format_short_date(date(2027, 2, 1)) == "lun. 1er févr."
    assert format_short_date(date(2027, 8, 15)) == "dim. 15 août"


@pytest.mark.parametrize(
    "rule, text",
    [
        (DEMO, "le jeudi précédant la période à 23h59"),
        (DeadlineRule("days_before"), "2 jours avant le début de la période à 23h59"),
        (DeadlineRule("days_before", days_before=1, at=time(9, 0)), "la veille du début de la période à 9h00"),
        (DeadlineRule("days_before", days_before=0), "le premier jour de la période à 23h59"),
    ],
)
def test_describe_fr(rule, text):
    assert rule.describe_fr() == text


# --- Closed days -------------------------------------------------------------


def test_french_public_holidays_names():
    by_day = {cd.day: cd for cd in french_public_holidays([2026, 2027])}
    assert by_day[date(2026, 12, 25)].reason == "Noël"
    assert by_day[date(2026, 11, 11)].reason == "Armistice"
    assert all(cd.service_id is None and cd.kind == "public_holiday" for cd in by_day.values())


def test_school_holiday_days():
    days = school_holiday_days(SCHOOL_HOLIDAYS_2026_2027)
    noel = [cd for cd in days if cd.reason == "Vacances de Noël"]
    assert (noel[0].day, noel[-1].day, len(noel)) == (date(2026, 12, 19), date(2027, 1, 3), 16)
    assert len(school_holiday_days([("x", date(2027, 5, 6), date(2027, 5, 9))])) == 4
    assert all(first <= last for _, first, last in SCHOOL_HOLIDAYS)


def test_index_closed_days_groups_by_day():
    a = ClosedDay(date(2026, 12, 25), "Noël", kind="public_holiday")
    b = ClosedDay(date(2026, 12, 25), "Vacances de Noël", kind="school_holiday")
    c = ClosedDay(date(2026, 12, 24), "Travaux")
    assert index_closed_days([a, b, c]) == {date(2026, 12, 25): [a, b], date(2026, 12, 24): [c]}


CANTEEN, GARDERIE = 1, 2
SCHOOL_DAYS = frozenset({0, 1, 3, 4})  # no Wednesday
CLOSED = index_closed_days(
    french_public_holidays([2026, 2027])
    + school_holiday_days(SCHOOL_HOLIDAYS)
    + [ClosedDay(date(2026, 12, 10), "grève du personnel", CANTEEN), ClosedDay(date(2026, 12, 11), "inventaire")]
)


@pytest.mark.parametrize(
    "day, service_id, expected",
    [
        (date(2026, 12, 8), CANTEEN, DayStatus(True, None)),
        (date(2026, 12, 9), CANTEEN, DayStatus(False, "Pas de service le mercredi")),
        (date(2026, 12, 12), CANTEEN, DayStatus(False, "Pas de service le samedi")),
        (date(2026, 11, 11), CANTEEN, DayStatus(False, "Jour férié : Armistice")),
        # 25 Dec is also in the Christmas holidays: the public holiday wins.
        (date(2026, 12, 25), CANTEEN, DayStatus(False, "Jour férié : Noël")),
        (date(2026, 12, 21), CANTEEN, DayStatus(False, "Vacances scolaires : Vacances de Noël")),
        (date(2027, 5, 7), CANTEEN, DayStatus(False, "Vacances scolaires : Pont de l'Ascension")),
        (date(2026, 12, 10), CANTEEN, DayStatus(False, "Fermeture exceptionnelle : grève du personnel")),
        (date(2026, 12, 10), GARDERIE, DayStatus(True, None)),  # other service's closure
        (date(2026, 12, 11), GARDERIE, DayStatus(False, "Fermeture exceptionnelle : inventaire")),
    ],
)
def test_day_status(day, service_id, expected):
    assert day_status(day, SCHOOL_DAYS, CLOSED, service_id) == expected
