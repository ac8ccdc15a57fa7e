"""The grid editor's checks (French messages by field), its preview and the « cantine à 1 € » verdict.

Pure functions: the back office sends the typed texts, gets either a ``Grid`` or the errors to
show next to each field. Field names: ``min_0``, ``max_0``, ``price_0``… per bracket row,
``no_qf``, ``outside``, ``sibling_percent``, ``sibling_from_rank``, ``valid_from``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cantine_portal.french import format_euros, format_whole_euros
from cantine_portal.services.pricing.grid import Bracket, Grid, bracket_index, quote
from cantine_portal.services.shared.money import parse_euros

MAX_PRICE_CENTS = 100_000
MAX_QF = 100_000
# « Cantine à 1 € » (docs/tarifs.md): the ≤ 1 € price must go to families whose QF is at most 1 000 €.
CLAIM_PRICE_CEILING_CENTS = 100
CLAIM_QF_CEILING = 1000
CLAIM_MIN_BRACKETS = 3


@dataclass(frozen=True)
class BracketText:
    """One row of the editor as typed: lower bound, upper bound (empty for the last), price."""

    min_qf: str
    max_qf: str
    price: str


@dataclass(frozen=True)
class GridForm:
    brackets: tuple[BracketText, ...]
    no_qf_price: str
    outside_price: str  # empty: outside families pay by QF like residents
    sibling_percent: str  # empty or 0: no reduction
    sibling_from_rank: str
    valid_from: str  # ISO date (the date input's value)


def _whole(text: str, field: str, errors: dict[str, str], label: str) -> int | None:
    cleaned = text.strip().replace(" ", "").replace("\u202f", "").replace("\u00a0", "").removesuffix("€")
    if not cleaned:
        errors[field] = f"Indiquez {label}."
        return None
    if not cleaned.isdigit() or int(cleaned) > MAX_QF:
        errors[field] = f"{label[0].upper()}{label[1:]} : un nombre entier d'euros, sans centimes (ex. 500)."
        return None
    return int(cleaned)


def _price(text: str, field: str, errors: dict[str, str], *, optional: bool = False) -> int | None:
    if optional and not text.strip():
        return None
    try:
        cents = parse_euros(text)
    except ValueError as error:
        errors[field] = str(error)
        return None
    if cents > MAX_PRICE_CENTS:
        errors[field] = "Ce tarif dépasse 1 000 € : vérifiez le montant."
        return None
    return cents


def _brackets(rows: tuple[BracketText, ...], errors: dict[str, str]) -> list[Bracket]:
    """Each row parsed, then the chain checked: starts at 0, no gap, no overlap, last open-ended."""
    if not rows:
        errors["brackets"] = "Ajoutez au moins une tranche."
        return []
    parsed: list[Bracket] = []
    last = len(rows) - 1
    for i, row in enumerate(rows):
        low = _whole(row.min_qf, f"min_{i}", errors, "le QF minimum de la tranche")
        high = None
        if i < last or row.max_qf.strip():
            high = _whole(row.max_qf, f"max_{i}", errors, "le QF maximum de la tranche")
        price = _price(row.price, f"price_{i}", errors)
        if low is None or price is None or (high is None and i < last):
            continue
        if high is not None and high < low:
            errors[f"max_{i}"] = "Le QF maximum doit être supérieur ou égal au QF minimum."
            continue
        if i == 0 and low != 0:
            errors["min_0"] = "La première tranche commence à 0 € : sinon certaines familles n'auraient pas de tarif."
        if parsed and parsed[-1].max_qf is not None and len(parsed) == i:
            expected = parsed[-1].max_qf + 1
            if low > expected:
                errors[f"min_{i}"] = (
                    f"Trou entre les tranches : les QF de {expected} à {low - 1} € n'ont pas "
                    f"de tarif. Cette tranche doit commencer à {expected} €."
                )
            elif low < expected:
                errors[f"min_{i}"] = (
                    f"Chevauchement : ce QF minimum est déjà dans la tranche {i}. "
                    f"Cette tranche doit commencer à {expected} €."
                )
        parsed.append(Bracket(low, high, price))
    if rows and rows[last].max_qf.strip() and f"max_{last}" not in errors:
        errors[f"max_{last}"] = "Laissez vide le QF maximum de la dernière tranche : elle n'a pas de plafond."
    return parsed


def _sibling(form: GridForm, errors: dict[str, str]) -> tuple[int, int]:
    percent_text = form.sibling_percent.strip().removesuffix("%").strip() or "0"
    rank_text = form.sibling_from_rank.strip() or "2"
    percent = int(percent_text) if percent_text.isdigit() else -1
    if not 0 <= percent <= 100:
        errors["sibling_percent"] = "Un pourcentage entier entre 0 et 100 (0 : pas de réduction)."
    rank = int(rank_text) if rank_text.isdigit() else 0
    if not 2 <= rank <= 10:
        errors["sibling_from_rank"] = "Le rang de l'enfant à partir duquel la réduction s'applique : de 2 à 10."
    return max(percent, 0), max(rank, 2)


def parse_grid(form: GridForm, today: date) -> tuple[Grid | None, dict[str, str]]:
    """The grid typed in the editor, or the French errors by field (nothing is lost: the caller
    keeps the texts)."""
    errors: dict[str, str] = {}
    brackets = _brackets(form.brackets, errors)
    no_qf = _price(form.no_qf_price, "no_qf", errors)
    outside = _price(form.outside_price, "outside", errors, optional=True)
    percent, rank = _sibling(form, errors)
    start: date | None = None
    try:
        start = date.fromisoformat(form.valid_from.strip())
    except ValueError:
        errors["valid_from"] = "Saisissez la date d'effet de la grille."
    if start is not None and start < today:
        errors["valid_from"] = "Une grille s'applique à partir d'aujourd'hui au plus tôt : le passé ne change pas."
    if errors or no_qf is None or start is None:
        return None, errors
    return Grid(start, tuple(brackets), no_qf, outside, percent, rank), {}


def preview_sentence(grid: Grid, qf: int, unit: str = "le repas") -> str:
    """« Une famille au QF de 640 € paie 2,50 € le repas (Tranche 2 — QF de 501 à 900 €). »"""
    q = quote(grid, 0, qf, outside=False)
    return f"Une famille au QF de {format_whole_euros(qf)} paie {format_euros(q.price_cents)} {unit} ({q.label})."


def claim_verdict(grid: Grid) -> tuple[bool, str]:
    """Whether the grid meets the « cantine à 1 € » tariff conditions, and which one fails.

    Conditions implemented (docs/tarifs.md): at least three brackets based on income; at least one
    price at or below 1 € and one above 1 €; the ≤ 1 € price is given to families whose QF is at
    most 1 000 € (every bracket at 1 € or less ends at or below 1 000 €).
    """
    cheap = [b for b in grid.brackets if b.price_cents <= CLAIM_PRICE_CEILING_CENTS]
    if len(grid.brackets) < CLAIM_MIN_BRACKETS:
        return False, (
            f"Cette grille ne remplit pas les conditions de la « cantine à 1 € » : il faut au moins "
            f"{CLAIM_MIN_BRACKETS} tranches de quotient familial (elle en a {len(grid.brackets)})."
        )
    if not cheap:
        return False, (
            "Cette grille ne remplit pas les conditions de la « cantine à 1 € » : aucune tranche n'est à 1 € ou moins."
        )
    if len(cheap) == len(grid.brackets):
        return False, (
            "Cette grille ne remplit pas les conditions de la « cantine à 1 € » : il faut au moins "
            "une tranche au-dessus de 1 €."
        )
    too_rich = [
        i
        for i, b in enumerate(grid.brackets)
        if b.price_cents <= CLAIM_PRICE_CEILING_CENTS and (b.max_qf is None or b.max_qf > CLAIM_QF_CEILING)
    ]
    if too_rich:
        return False, (
            "Cette grille ne remplit pas les conditions de la « cantine à 1 € » : le tarif à 1 € ou "
            "moins est réservé aux familles dont le QF est au plus de "
            f"{format_whole_euros(CLAIM_QF_CEILING)} ; la tranche {too_rich[0] + 1} l'accorde "
            "au-delà."
        )
    return True, (
        "Cette grille remplit les conditions tarifaires de la « cantine à 1 € » : au moins trois "
        "tranches, une à 1 € ou moins réservée aux QF jusqu'à 1 000 € et une au-dessus de 1 €."
    )


def meets_claim_conditions(grid: Grid) -> bool:
    return claim_verdict(grid)[0]


__all__ = ["BracketText", "GridForm", "bracket_index", "claim_verdict", "parse_grid", "preview_sentence"]
