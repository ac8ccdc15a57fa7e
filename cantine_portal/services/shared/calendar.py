"""Booking calendar: periods, deadlines (Europe/Paris) and closed days.

Pure Python on purpose (no Reflex, no database) so the rules that decide
whether a parent may still book can be unit-tested with an injected ``now``.
Instants are exchanged as aware UTC datetimes (what the database stores);
every human-facing rule is evaluated in Europe/Paris local time.
"""

from __future__ import annotations

import calendar as _cal
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import holidays

from cantine_portal.french import (
    PARIS,
    WEEKDAYS,
    format_clock_time,
    format_date_range,
    format_month_year,
    require_aware,
)

PERIOD_MODES = ("week", "month")
_WEEK_KEY = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH_KEY = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """A booking period: an ISO week (Monday–Sunday) or a calendar month; ``end`` inclusive."""

    mode: str
    start: date
    end: date

    def __post_init__(self) -> None:
        # Reject malformed periods early: keys and deadlines assume canonical bounds.
        if self.mode not in PERIOD_MODES:
            raise ValueError(f"unknown period mode: {self.mode!r}")
        if self != period_containing(self.mode, self.start):
            raise ValueError(f"non-canonical {self.mode} period: {self.start}..{self.end}")

    @property
    def days(self) -> list[date]:
        """Every day of the period, in order (grid rows/columns in the UI)."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def key(self) -> str:
        """Stable URL/database key: ISO week "2026-W53" or month "2026-12"."""
        if self.mode == "week":
            iso = self.start.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def label_fr(self) -> str:
        """Title shown to parents ("Semaine du 30 novembre au 6 décembre 2026", "Décembre 2026")."""
        if self.mode == "month":
            return format_month_year(self.start.year, self.start.month)
        return f"Semaine {format_date_range(self.start, self.end)}"

    @classmethod
    def parse(cls, key: str) -> Period:
        """Inverse of ``key``; raises ValueError on anything else (keys come from URLs)."""
        if m := _WEEK_KEY.match(key):
            return period_containing("week", date.fromisocalendar(int(m[1]), int(m[2]), 1))
        if m := _MONTH_KEY.match(key):
            return period_containing("month", date(int(m[1]), int(m[2]), 1))
        raise ValueError(f"invalid period key: {key!r}")


def period_containing(mode: str, day: date) -> Period:
    """The canonical period of ``mode`` that contains ``day``."""
    if mode == "week":
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=6)
    elif mode == "month":
        start = day.replace(day=1)
        end = day.replace(day=_cal.monthrange(day.year, day.month)[1])
    else:
        raise ValueError(f"unknown period mode: {mode!r}")
    # object.__new__ + explicit init avoids recursion through __post_init__.
    p = object.__new__(Period)
    for name, value in (("mode", mode), ("start", start), ("end", end)):
        object.__setattr__(p, name, value)
    return p


def shift(p: Period, n: int) -> Period:
    """The period ``n`` steps after (``n`` < 0: before) ``p``, same mode."""
    if p.mode == "week":
        return period_containing("week", p.start + timedelta(weeks=n))
    months = p.start.year * 12 + p.start.month - 1 + n
    return period_containing("month", date(months // 12, months % 12 + 1, 1))


def next_period(p: Period) -> Period:
    """Period right after ``p`` (navigation arrow)."""
    return shift(p, 1)


def previous_period(p: Period) -> Period:
    """Period right before ``p`` (navigation arrow)."""
    return shift(p, -1)


@dataclass(frozen=True)
class DeadlineRule:
    """Commune rule for when a period's bookings close, in Europe/Paris wall time.

    ``weekday_before``: last ``weekday`` (0=Monday) strictly before the period start.
    ``days_before``: period start minus ``days_before`` days. Both at local ``at``.
    ``at`` is minute-precise (that is what parents see) and the whole minute is open.
    """

    kind: str
    weekday: int = 3
    days_before: int = 2
    at: time = time(23, 59)

    def __post_init__(self) -> None:
        if self.kind not in ("weekday_before", "days_before"):
            raise ValueError(f"unknown deadline kind: {self.kind!r}")
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be in 0..6")
        if self.days_before < 0:
            raise ValueError("days_before must be >= 0")
        if self.at.tzinfo is not None or self.at.second or self.at.microsecond:
            raise ValueError("at must be a naive time with minute precision")

    def describe_fr(self) -> str:
        """Human rule for settings pages ("le jeudi précédant la période à 23h59")."""
        at = format_clock_time(self.at)
        if self.kind == "weekday_before":
            return f"le {WEEKDAYS[self.weekday]} précédant la période à {at}"
        if self.days_before == 0:
            return f"le premier jour de la période à {at}"
        if self.days_before == 1:
            return f"la veille du début de la période à {at}"
        return f"{self.days_before} jours avant le début de la période à {at}"

    def local_day(self, period: Period) -> date:
        """Calendar day of the deadline; holidays are ignored on purpose (pure calendar rule)."""
        if self.kind == "weekday_before":
            back = (period.start.weekday() - self.weekday - 1) % 7 + 1
            return period.start - timedelta(days=back)
        return period.start - timedelta(days=self.days_before)


def deadline_for(period: Period, rule: DeadlineRule) -> datetime:
    """Deadline instant (aware UTC) = rule day at ``rule.at`` Europe/Paris.

    DST choice (PEP 495 ``fold=0``, deterministic): an ambiguous wall time on the
    fall-back night resolves to its FIRST occurrence (CEST, i.e. the earlier instant);
    a nonexistent wall time on the spring-forward night is shifted forward by the gap
    (02:30 -> 03:30 CEST, i.e. 01:30 UTC).
    """
    local = datetime.combine(rule.local_day(period), rule.at, tzinfo=PARIS)  # fold=0
    return local.astimezone(UTC)


def is_locked(period: Period, rule: DeadlineRule, now: datetime) -> bool:
    """True once booking for ``period`` is closed.

    The displayed minute stays open entirely: with a 23h59 deadline, 23:59:59.999999
    Paris is still open and 00:00:00 is locked (locked iff now >= deadline + 1 min).
    """
    require_aware(now)
    return now >= deadline_for(period, rule) + timedelta(minutes=1)


# --- Closed days -------------------------------------------------------------

CLOSED_KINDS = ("public_holiday", "school_holiday", "closure")


@dataclass(frozen=True)
class ClosedDay:
    """A day that cannot be booked. ``service_id`` None = whole structure.

    ``kind`` (extra field, defaulted so ``ClosedDay(day, reason, service_id)`` still
    works) lets ``day_status`` prefix the reason: "public_holiday", "school_holiday"
    or "closure" (exceptional closure decided by the commune).
    """

    day: date
    reason: str
    service_id: int | None = None
    kind: str = "closure"

    def __post_init__(self) -> None:
        if self.kind not in CLOSED_KINDS:
            raise ValueError(f"unknown closed-day kind: {self.kind!r}")


# (label_fr, first_day, last_day), inclusive. Zone-agnostic: for winter and spring
# the union of zones A/B/C, so a day is closed if any zone is on holiday.
SCHOOL_HOLIDAYS_2025_2026: tuple[tuple[str, date, date], ...] = (
    ("Vacances de la Toussaint", date(2025, 10, 18), date(2025, 11, 2)),
    ("Vacances de Noël", date(2025, 12, 20), date(2026, 1, 4)),
    ("Vacances d'hiver", date(2026, 2, 7), date(2026, 3, 8)),
    ("Vacances de printemps", date(2026, 4, 4), date(2026, 5, 3)),
    ("Vacances d'été", date(2026, 7, 4), date(2026, 8, 31)),
)
SCHOOL_HOLIDAYS_2026_2027: tuple[tuple[str, date, date], ...] = (
    ("Vacances de la Toussaint", date(2026, 10, 17), date(2026, 11, 1)),
    ("Vacances de Noël", date(2026, 12, 19), date(2027, 1, 3)),
    ("Vacances d'hiver", date(2027, 2, 6), date(2027, 3, 7)),
    ("Vacances de printemps", date(2027, 4, 3), date(2027, 5, 2)),
    ("Pont de l'Ascension", date(2027, 5, 6), date(2027, 5, 9)),
    ("Vacances d'été", date(2027, 7, 3), date(2027, 8, 31)),
)
SCHOOL_HOLIDAYS = SCHOOL_HOLIDAYS_2025_2026 + SCHOOL_HOLIDAYS_2026_2027


def french_public_holidays(years: Iterable[int]) -> list[ClosedDay]:
    """French public holidays (metropolitan) with French names, e.g. "Noël", sorted by day."""
    fr = holidays.country_holidays("FR", years=list(years), language="fr")
    return [ClosedDay(d, name, None, "public_holiday") for d, name in sorted(fr.items())]


def school_holiday_days(ranges: Iterable[tuple[str, date, date]]) -> list[ClosedDay]:
    """Expand inclusive holiday ranges into one structure-wide ClosedDay per day."""
    out: list[ClosedDay] = []
    for label, first, last in ranges:
        out.extend(
            ClosedDay(first + timedelta(days=i), label, None, "school_holiday") for i in range((last - first).days + 1)
        )
    return out


def index_closed_days(days: Iterable[ClosedDay]) -> dict[date, list[ClosedDay]]:
    """Group closed days by date (input order kept) for O(1) lookups in grids."""
    index: dict[date, list[ClosedDay]] = {}
    for cd in days:
        index.setdefault(cd.day, []).append(cd)
    return index


@dataclass(frozen=True)
class DayStatus:
    """Whether a day can be booked and, if not, the French reason shown to parents."""

    open: bool
    reason_fr: str | None = None


_PREFIX_FR = {
    "public_holiday": "Jour férié",
    "closure": "Fermeture exceptionnelle",
    "school_holiday": "Vacances scolaires",
}


def day_status(
    day: date, service_weekdays: frozenset[int], closed: Mapping[date, Sequence[ClosedDay]], service_id: int
) -> DayStatus:
    """Bookability of ``day`` for ``service_id``.

    Precedence (most specific reason first): public holiday > exceptional closure >
    school holiday > weekday not served. Closures of other services are ignored.
    """
    relevant = [cd for cd in closed.get(day, ()) if cd.service_id is None or cd.service_id == service_id]
    for kind in ("public_holiday", "closure", "school_holiday"):
        for cd in relevant:
            if cd.kind == kind:
                reason = cd.reason.strip()
                return DayStatus(False, f"{_PREFIX_FR[kind]} : {reason}" if reason else _PREFIX_FR[kind])
    if day.weekday() not in service_weekdays:
        return DayStatus(False, f"Pas de service le {WEEKDAYS[day.weekday()]}")
    return DayStatus(True, None)


def closure_credit_label(day: date) -> str:
    """The credit line of a paid day the commune closed (a closure, or one declared during a payment)."""
    return f"Avoir : fermeture exceptionnelle du {day:%d/%m/%Y}"
