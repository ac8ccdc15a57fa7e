"""French-style formatting and parsing of euro amounts.

Amounts are always handled as integer cents throughout the portal so that
sums of many small canteen prices never accumulate float rounding errors.
This module is the single place that converts between cents and the text a
French parent or town-hall agent reads or types, so that the PDF receipts, the
web pages and the admin forms all agree on the same spelling ("1 234,50 €").
"""

from __future__ import annotations

import re

__all__ = [
    "EURO_SIGN",
    "NBSP",
    "NNBSP",
    "format_euros",
    "parse_euros",
]

#: Thousands separator. French typography (and CLDR ``fr``) uses the narrow
#: no-break space, so "1 234,50 €" never wraps between digit groups.
NNBSP = "\u202f"
#: Space between the amount and the currency sign: a regular no-break space,
#: so the "€" never ends up alone at the start of a line.
NBSP = "\u00a0"
EURO_SIGN = "€"

# Accepted input: optional digit groups separated by spaces / dots / no-break
# spaces, then an optional decimal part of one or two digits after "," or ".".
_AMOUNT_RE = re.compile(
    r"^(?P<int>\d{1,3}(?:[ .]\d{3})+|\d+)?(?:(?P<sep>[.,])(?P<dec>\d{1,2}))?$"
)


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


def parse_euros(text: str) -> int:
    """Parse an amount typed by a person into cents, e.g. ``"3,85"`` -> ``385``.

    Lenient on what French users actually type ("3,85", "3.85", "3", "3,8",
    "1 234,50 €", "1.234,50") but strict on anything ambiguous, so that a
    typo never silently becomes a wrong price. Negative amounts are refused:
    prices, top-ups and credits are all entered as positive numbers.

    Raises:
        ValueError: with a French message suitable for direct display.
    """
    if not isinstance(text, str):
        raise ValueError("Montant invalide : une valeur texte est attendue (exemple : 3,85).")
    cleaned = text.strip()
    for space in (NNBSP, NBSP, "\u2009", "\t"):
        cleaned = cleaned.replace(space, " ")
    if cleaned.endswith(EURO_SIGN):
        cleaned = cleaned[: -len(EURO_SIGN)]
    elif cleaned.lower().endswith("eur"):
        cleaned = cleaned[:-3]
    cleaned = cleaned.strip()
    if not cleaned:
        raise ValueError("Veuillez saisir un montant (exemple : 3,85).")
    if cleaned.startswith(("-", "\u2212")):
        raise ValueError("Le montant ne peut pas être négatif.")
    if cleaned.startswith("+"):
        cleaned = cleaned[1:].lstrip()
    if len(cleaned) > 20:
        # Far beyond any canteen amount; also keeps int() away from huge inputs.
        raise ValueError("Montant invalide : la valeur saisie est trop longue.")
    match = _AMOUNT_RE.match(cleaned)
    if match is None or (match.group("int") is None and match.group("dec") is None):
        raise ValueError(
            f"Montant invalide : « {text.strip()} ». Saisissez un nombre avec au plus "
            "deux décimales, par exemple 3,85."
        )
    if "." in (match.group("int") or "") and match.group("sep") != ",":
        # "1.234" could be a thousands group or a typo for 1,234: refuse it.
        raise ValueError(
            f"Montant ambigu : « {text.strip()} ». Utilisez la virgule pour les "
            "centimes, par exemple 1234,50."
        )
    int_part = re.sub(r"[ .]", "", match.group("int") or "0")
    dec_part = (match.group("dec") or "").ljust(2, "0")
    return int(int_part) * 100 + int(dec_part)
