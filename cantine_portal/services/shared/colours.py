"""The commune's main colour: a hex code on which white text stays readable (WCAG 2.1).

Buttons and the header band put white text on this colour, so a colour is accepted only when the
contrast ratio of white on it reaches 4.5:1 (RGAA 4.1 criterion 3.2, WCAG 1.4.3, normal text).
"""

from __future__ import annotations

import re

DEFAULT_COLOUR = "#1d4e89"
MIN_CONTRAST = 4.5
_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")

MSG_FORMAT = "Saisissez une couleur au format #RRVVBB, par exemple #1d4e89."


def normalise_hex(value: str) -> str | None:
    """``"#1D4E89"``, ``"1d4e89"`` or ``"#18f"`` as ``"#1d4e89"``; None when it is not a hex colour."""
    match = _HEX.match(value.strip())
    if match is None:
        return None
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def _channel(value: int) -> float:
    """sRGB channel (0-255) to linear light, as WCAG's relative luminance defines it."""
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    digits = (normalise_hex(hex_colour) or "#000000")[1:]
    r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio between two colours, from 1.0 to 21.0."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def format_ratio(ratio: float) -> str:
    """``4.4`` as « 4,4:1 » (rounded down, so a refused colour never reads « 4,5:1 »)."""
    return f"{int(ratio * 10) / 10:.1f}".replace(".", ",") + ":1"


def colour_error(value: str) -> str:
    """ "" when ``value`` is a hex colour with white text readable on it; else a French message."""
    colour = normalise_hex(value)
    if colour is None:
        return MSG_FORMAT
    ratio = contrast_ratio("#ffffff", colour)
    if ratio < MIN_CONTRAST:
        return (
            f"Le texte blanc sur cette couleur n'est pas assez lisible (contraste de {format_ratio(ratio)}, "
            f"il faut au moins 4,5:1). Choisissez une couleur plus foncée."
        )
    return ""
