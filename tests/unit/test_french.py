"""French wording shared by pages, e-mails and PDFs (cantine_portal.french).

Money, receipt dates and deadlines have their own tests in test_pdf.py and
test_calendar.py; these cover the rest, and that every time reads "0h31".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from cantine_portal import french
from cantine_portal.french import (
    format_clock_time,
    format_date_range,
    format_long_date,
    format_month_year,
    format_paris_date,
    format_paris_datetime,
    format_paris_time,
    plural,
    require_aware,
)

UTC = UTC


def test_long_date_with_and_without_year() -> None:
    assert format_long_date(date(2026, 12, 3)) == "jeudi 3 décembre 2026"
    assert format_long_date(date(2027, 3, 1), with_year=False) == "lundi 1er mars"


def test_date_range_and_month() -> None:
    assert format_date_range(date(2026, 12, 7), date(2026, 12, 11)) == "du 7 au 11 décembre 2026"
    assert format_date_range(date(2026, 11, 30), date(2026, 12, 4)) == "du 30 novembre au 4 décembre 2026"
    assert format_date_range(date(2026, 12, 28), date(2027, 1, 1)) == "du 28 décembre 2026 au 1er janvier 2027"
    assert format_month_year(2027, 8) == "Août 2027"


def test_one_time_style_everywhere() -> None:
    """Just after midnight in Paris: "0h31", never "00:31" (the e-mail used to say that)."""
    instant = datetime(2026, 11, 26, 23, 31, tzinfo=UTC)  # 27 Nov, 0h31 Paris (CET)
    assert format_paris_time(instant) == "0h31"
    assert format_paris_datetime(instant) == "27/11/2026 à 0h31"
    assert format_paris_date(instant) == "27/11/2026"
    assert format_clock_time(time(23, 59)) == "23h59"
    assert format_clock_time(time(8, 5)) == "8h05"


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 11, 26, 14, 5)
    for formatter in (format_paris_time, format_paris_date, format_paris_datetime, require_aware):
        with pytest.raises(ValueError):
            formatter(naive)


def test_plural_follows_french_agreement() -> None:
    assert plural(0, "caractère") == "0 caractère"
    assert plural(1, "caractère") == "1 caractère"
    assert plural(2, "caractère") == "2 caractères"
    assert plural(1, "jour payé annulé", "jours payés annulés") == "1 jour payé annulé"
    assert plural(3, "jour payé annulé", "jours payés annulés") == "3 jours payés annulés"


def test_service_short_names_fit_a_phone_column() -> None:
    assert french.abbreviate_service("Restauration scolaire") == "Restau. scolaire"
    assert french.abbreviate_service("Garderie du matin") == "Garderie matin"
    assert french.abbreviate_service("Garderie du soir") == "Garderie soir"
    assert french.abbreviate_service("Accueil périscolaire") == "Accueil périsc."
    assert french.abbreviate_service("Étude") == "Étude"
