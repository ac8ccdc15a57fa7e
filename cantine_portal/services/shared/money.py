"""Parsing of euro amounts typed by parents and town-hall agents.

Amounts are always handled as integer cents throughout the portal so that
sums of many small canteen prices never accumulate float rounding errors.
Formatting lives in :func:`cantine_portal.french.format_euros`; this module
turns what a person types ("3,85", "1 234,50 €") back into cents and accepts
what that formatter prints.
"""

from __future__ import annotations

import re

from cantine_portal.french import EURO_SIGN, NBSP, NNBSP

__all__ = ["parse_euros"]

# Accepted input: optional digit groups separated by spaces / dots / no-break
# spaces, then an optional decimal part of one or two digits after "," or ".".
_AMOUNT_RE = re.compile(r"^(?P<int>\d{1,3}(?:[ .]\d{3})+|\d+)?(?:(?P<sep>[.,])(?P<dec>\d{1,2}))?$")


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
            f"Montant invalide : « {text.strip()} ». Saisissez un nombre avec au plus deux décimales, par exemple 3,85."
        )
    if "." in (match.group("int") or "") and match.group("sep") != ",":
        # "1.234" could be a thousands group or a typo for 1,234: refuse it.
        raise ValueError(
            f"Montant ambigu : « {text.strip()} ». Utilisez la virgule pour les centimes, par exemple 1234,50."
        )
    int_part = re.sub(r"[ .]", "", match.group("int") or "0")
    dec_part = (match.group("dec") or "").ljust(2, "0")
    return int(int_part) * 100 + int(dec_part)
