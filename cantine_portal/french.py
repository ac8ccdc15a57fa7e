"""French formatting for everything the portal shows: dates, times, money, sizes, plurals.

One module so that the e-mail, the web pages, the payment ticket and the PDF receipt
spell a day, a time or an amount the same way ("jeudi 3 décembre 2026", "23h59",
"3,85 €"). Standard library only, with locale-independent names: the server locale
must never change what a parent reads, and pages, services and infra can all import it.

Instants are aware datetimes shown in Europe/Paris local time; naive datetimes are
refused because their clock (UTC? Paris?) would be a guess.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

__all__ = [
    "EURO_SIGN",
    "MONTHS",
    "MONTHS_SHORT",
    "NBSP",
    "NNBSP",
    "PARIS",
    "WEEKDAYS",
    "WEEKDAYS_SHORT",
    "day_number",
    "format_clock_time",
    "format_date_range",
    "format_euros",
    "format_long_date",
    "format_month_year",
    "format_numeric_date",
    "format_paris_date",
    "format_paris_datetime",
    "format_paris_long_datetime",
    "format_paris_time",
    "format_short_date",
    "format_size",
    "format_weekday_numeric_date",
    "plural",
    "require_aware",
    "to_paris",
]

PARIS = ZoneInfo("Europe/Paris")

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
# Abbreviations of French typographic usage, for narrow screens and table cells.
WEEKDAYS_SHORT = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")

#: Thousands separator. French typography (and CLDR ``fr``) uses the narrow
#: no-break space, so "1 234,50 €" never wraps between digit groups.
NNBSP = "\u202f"
#: Space between the amount and the currency sign: a regular no-break space,
#: so the "€" never ends up alone at the start of a line.
NBSP = "\u00a0"
EURO_SIGN = "€"


# --- Instants ---------------------------------------------------------------


def require_aware(dt: datetime) -> None:
    """Naive datetimes are bugs here: their zone (UTC? Paris?) would be a guess."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("an aware datetime is required")


def to_paris(instant: datetime) -> datetime:
    """Paris wall-clock view of an aware instant (what every French user reads)."""
    require_aware(instant)
    return instant.astimezone(PARIS)


# --- Days -------------------------------------------------------------------


def day_number(d: date) -> str:
    """French day number: "1er" for the first of the month, as in French usage."""
    return "1er" if d.day == 1 else str(d.day)


def format_long_date(d: date, *, with_year: bool = True) -> str:
    """ "jeudi 3 décembre 2026" (or "jeudi 3 décembre"): labels, e-mails, messages."""
    text = f"{WEEKDAYS[d.weekday()]} {day_number(d)} {MONTHS[d.month - 1]}"
    return f"{text} {d.year}" if with_year else text


def format_short_date(d: date) -> str:
    """ "jeu. 3 déc." for a phone's narrow day column (the long form stays in labels)."""
    return f"{WEEKDAYS_SHORT[d.weekday()]} {day_number(d)} {MONTHS_SHORT[d.month - 1]}"


def format_numeric_date(d: date) -> str:
    """ "03/12/2026": tables and lists where columns must line up."""
    return f"{d:%d/%m/%Y}"


def format_weekday_numeric_date(d: date) -> str:
    """ "jeu. 03/12/2026": receipt table cells (short, aligned, still says the weekday)."""
    return f"{WEEKDAYS_SHORT[d.weekday()]} {d:%d/%m/%Y}"


def format_date_range(start: date, end: date) -> str:
    """ "du 7 au 13 décembre 2026": month and year of the start only when they differ."""
    if start.year != end.year:
        first = f"{day_number(start)} {MONTHS[start.month - 1]} {start.year}"
    elif start.month != end.month:
        first = f"{day_number(start)} {MONTHS[start.month - 1]}"
    else:
        first = day_number(start)
    return f"du {first} au {day_number(end)} {MONTHS[end.month - 1]} {end.year}"


def format_month_year(year: int, month: int) -> str:
    """ "Décembre 2026": month headings (period titles, monthly totals)."""
    return f"{MONTHS[month - 1].capitalize()} {year}"


# --- Times ------------------------------------------------------------------


def format_clock_time(t: time) -> str:
    """French clock notation, the only one the portal shows: "23h59", "8h05", "0h31"."""
    return f"{t.hour}h{t.minute:02d}"


def format_paris_time(instant: datetime) -> str:
    """Paris time of an aware instant: "0h31"."""
    return format_clock_time(to_paris(instant).time())


def format_paris_date(instant: datetime) -> str:
    """Paris calendar day of an aware instant: "26/11/2026" (late-evening UTC is the next day)."""
    return format_numeric_date(to_paris(instant).date())


def format_paris_datetime(instant: datetime) -> str:
    """ "26/11/2026 à 14h05" in Paris time: tickets, receipts, e-mails, message lists."""
    local = to_paris(instant)
    return f"{format_numeric_date(local.date())} à {format_clock_time(local.time())}"


def format_paris_long_datetime(instant: datetime) -> str:
    """ "jeudi 3 décembre 2026 à 23h59" in Paris time: booking deadlines."""
    local = to_paris(instant)
    return f"{format_long_date(local.date())} à {format_clock_time(local.time())}"


# --- Quantities -------------------------------------------------------------


def format_euros(cents: int) -> str:
    """Format an amount in cents the French way, e.g. ``385`` -> ``"3,85 €"``.

    Thousands are grouped with U+202F (narrow no-break space) and the euro
    sign is preceded by U+00A0 (no-break space): both are non-breaking so an
    amount is never split across two lines in a table cell or a PDF.
    Negative amounts (e.g. a credit shown as a deduction) get a leading "-".
    """
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"format_euros attend un entier de centimes, reçu {type(cents).__name__}")
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    digits = str(euros)
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return f"{sign}{NNBSP.join(groups)},{rest:02d}{NBSP}{EURO_SIGN}"


def format_whole_euros(euros: int) -> str:
    """A whole amount of euros (a quotient familial, a bracket's bound): ``1201`` -> ``"1 201 €"``."""
    return format_euros(euros * 100)[:-5] + NBSP + EURO_SIGN


def format_size(size_bytes: int) -> str:
    """Human size in French units ("5 Mo", "500 Ko", "2,5 Mo") for limits and file lists.

    Limits are usually configured as 5 * 1024 * 1024 or 5_000_000; both must
    read "5 Mo", hence the check for exact binary or decimal multiples first.
    """
    mib, kib = 1024 * 1024, 1024
    if size_bytes >= 1_000_000:
        for unit in (mib, 1_000_000):
            if size_bytes % unit == 0:
                return f"{size_bytes // unit} Mo"
        return f"{size_bytes / mib:.1f}".replace(".", ",").removesuffix(",0") + " Mo"
    if size_bytes >= 1000:
        for unit in (kib, 1000):
            if size_bytes % unit == 0:
                return f"{size_bytes // unit} Ko"
        return f"{size_bytes / kib:.1f}".replace(".", ",").removesuffix(",0") + " Ko"
    return f"{size_bytes} octets"


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 caractère", "2 caractères", "3 jours ajoutés au panier".

    French agreement: 0 and 1 are singular. ``many`` defaults to ``one`` + "s";
    pass it for phrases ("jours payés annulés").
    """
    word = one if abs(count) < 2 else (many if many is not None else one + "s")
    return f"{count} {word}"


# Payment providers as staff read them (the database keeps the codes).
PROVIDER_LABELS = {"simulated": "Banque simulée", "stripe": "Stripe", "avoir": "Avoir"}


def provider_label(code: str) -> str:
    """« Banque simulée » for "simulated": no provider code in English on a page or an export."""
    return PROVIDER_LABELS.get(code, code)


# Little words left out of a service's short name (« Garderie du matin » → « Garderie matin »).
_SHORT_NAME_SKIPPED = {"du", "de", "des", "la", "le", "les", "l'", "d'", "à", "au", "aux", "et"}


def abbreviate_service(name: str, longest: int = 8) -> str:
    """A service's name short enough for a 390 px column heading: little words dropped, words
    longer than ``longest`` letters cut to six and a dot (« Restauration scolaire » → « Restau.
    scolaire »). The full name stays in the page for screen readers and in the abbreviation's title."""
    words = [w for w in name.split() if w.casefold() not in _SHORT_NAME_SKIPPED] or name.split()
    return " ".join(w if len(w) <= longest else w[:6] + "." for w in words)
