"""Checks and normal forms for what parents type: e-mail, French phone numbers, postal codes.

Each checker returns a French error message, or "" when the value is acceptable, so that the
pages can show the message next to the field. Normalisers return the stored form.
"""

from __future__ import annotations

import re

MSG_EMAIL = "Saisissez une adresse e-mail valide, par exemple prenom.nom@exemple.fr."
MSG_PHONE = "Saisissez un numéro français à 10 chiffres, par exemple 06 12 34 56 78."
MSG_POSTAL_CODE = "Le code postal comporte 5 chiffres, par exemple 44000."
MSG_REQUIRED = "Ce champ est obligatoire."

# Deliberately simple: one @, no spaces, a dot in the domain. The real check is the e-mail itself.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-/()]")
_FRENCH_PHONE = re.compile(r"^0[1-9]\d{8}$")
_POSTAL_CODE = re.compile(r"^\d{5}$")


def normalize_email(value: str) -> str:
    """The stored form of an address: trimmed, lower-cased (identifiers are case-insensitive)."""
    return value.strip().lower()


def email_error(value: str, *, required: bool = False) -> str:
    value = value.strip()
    if not value:
        return MSG_REQUIRED if required else ""
    if len(value) > 254 or not _EMAIL.match(value):
        return MSG_EMAIL
    return ""


def normalize_phone(value: str) -> str | None:
    """ "06 12 34 56 78", "+33 6 12 34 56 78", "06.12.34.56.78" → "0612345678"; None if not a French number.

    An empty value stays empty (phones are optional).
    """
    digits = _PHONE_SEPARATORS.sub("", value.strip())
    if not digits:
        return ""
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    if digits.startswith("00"):
        return None
    return digits if _FRENCH_PHONE.match(digits) else None


def phone_error(value: str) -> str:
    return "" if normalize_phone(value) is not None else MSG_PHONE


def format_phone(stored: str) -> str:
    """ "0612345678" → "06 12 34 56 78"; anything else is shown as stored."""
    if _FRENCH_PHONE.match(stored or ""):
        return " ".join(stored[i : i + 2] for i in range(0, 10, 2))
    return stored or ""


def postal_code_error(value: str, *, required: bool = False) -> str:
    value = value.strip()
    if not value:
        return MSG_REQUIRED if required else ""
    return "" if _POSTAL_CODE.match(value) else MSG_POSTAL_CODE


def required_error(value: str) -> str:
    return "" if value.strip() else MSG_REQUIRED


def too_long_error(value: str, limit: int) -> str:
    return f"{limit} caractères au maximum." if len(value.strip()) > limit else ""


MAX_ID = 2**63 - 1  # the largest BIGINT: a larger number reaches the database as an overflow error
_ID = re.compile(r"^[0-9]{1,19}$")


def parse_id(value: object) -> int | None:
    """A database id sent by a browser (URL, query, form), or None when it cannot be one.

    Digits only (no sign, space or underscore), 1..2^63-1: outside that range SQLite and
    PostgreSQL raise instead of finding nothing, and the caller would answer 500 instead of the
    404 every unknown id gets.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ID else None
    text = str(value) if isinstance(value, str) else ""
    if not _ID.match(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None
