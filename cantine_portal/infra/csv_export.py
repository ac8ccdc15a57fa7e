"""The one CSV writer of every export (Effectifs, Paiements, the import template).

Exports carry what parents typed (names, classes, diets). A spreadsheet opening a cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return may run it as a formula
(``=HYPERLINK(...)`` leaking data, DDE launching programs): CSV injection. Following OWASP,
such a cell is written with a leading single quote, which the spreadsheet shows as text. A
plain number (``-12,50``) is not a formula and is left as it is, so amounts stay numbers.

Files are ``;``-separated, CRLF, UTF-8 with a BOM: what French Excel opens with the accents right.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheets also skip leading blanks before a formula, and some read the full-width signs
# (＝＋－＠, what a Japanese or Chinese keyboard types) as the ASCII ones.
_BLANKS = " \t\r\n\u00a0\u202f\u3000"
_SIGNS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")


def neutralise(value: object) -> str:
    """The text of one cell, made inert for spreadsheets."""
    text = "" if value is None else str(value)
    risky = text.startswith(FORMULA_STARTS) or text.lstrip(_BLANKS).startswith(_SIGNS)
    if risky and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def csv_bytes(header: Iterable[object], rows: Iterable[Iterable[object]]) -> bytes:
    """A whole CSV file, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
