"""The pure rules of a price grid: which bracket, which price, which sibling rank.

Sibling rule (docs/tarifs.md, and the grid editor's help text): for one family, one service and
one day, the children booked are counted in this order — first those whose day is already paid
(in the order of the Enfants page), then the others in the order of the Enfants page. The child
counted k-th, for k ≥ ``sibling_from_rank``, pays the price less ``sibling_percent`` %, rounded to
the nearest cent (half a cent up). A paid day keeps the price it was paid at, whatever happens to
its siblings' days afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cantine_portal.french import format_whole_euros

OUTSIDE_LABEL = "Tarif extérieur à la commune"
NO_QF_LABEL = "Tarif sans quotient familial connu"

SIBLING_RULE_FR = (
    "Réduction fratrie : pour une même famille, une même prestation et un même jour, les enfants "
    "réservés sont comptés d'abord ceux dont le jour est déjà payé, puis les autres, chaque fois "
    "dans l'ordre de la page Enfants ; à partir du rang choisi (2e enfant, 3e enfant…), chacun paie "
    "le tarif diminué du pourcentage, arrondi au centime. Un jour payé garde toujours son prix."
)


@dataclass(frozen=True)
class Bracket:
    """QF from ``min_qf`` to ``max_qf`` euros, both included; ``max_qf`` None: no ceiling."""

    min_qf: int
    max_qf: int | None
    price_cents: int

    def contains(self, qf: int) -> bool:
        return self.min_qf <= qf and (self.max_qf is None or qf <= self.max_qf)


@dataclass(frozen=True)
class Grid:
    """A service's tariff from ``valid_from`` (until the service's next grid)."""

    valid_from: date
    brackets: tuple[Bracket, ...]
    no_qf_price_cents: int
    outside_price_cents: int | None = None
    sibling_percent: int = 0
    sibling_from_rank: int = 2


@dataclass(frozen=True)
class Quote:
    """The price a family pays for one service on one day, before the sibling rank, and why."""

    price_cents: int
    label: str  # "" for a service without a grid
    qf_euros: int | None = None
    sibling_percent: int = 0
    sibling_from_rank: int = 2

    def for_rank(self, rank: int) -> tuple[int, str]:
        """Price and label of the child counted ``rank``-th that day (1 = first)."""
        if self.sibling_percent and rank >= self.sibling_from_rank:
            label = f"{self.label} — réduction fratrie {self.sibling_percent} %"
            return reduced(self.price_cents, self.sibling_percent), label
        return self.price_cents, self.label


def reduced(price_cents: int, percent: int) -> int:
    """``price_cents`` less ``percent`` %, rounded to the nearest cent (half a cent up)."""
    return (price_cents * (100 - percent) + 50) // 100


def bracket_label(index: int, bracket: Bracket) -> str:
    """« Tranche 2 — QF de 501 à 900 € » (``index`` from 0), « … de 1 201 € et plus » for the last."""
    if bracket.max_qf is None:
        return f"Tranche {index + 1} — QF de {format_whole_euros(bracket.min_qf)} et plus"
    return (
        f"Tranche {index + 1} — QF de {format_whole_euros(bracket.min_qf)[:-2]} à {format_whole_euros(bracket.max_qf)}"
    )


def bracket_index(grid: Grid, qf: int) -> int | None:
    """Which bracket a QF falls in (a QF exactly on a lower bound belongs to that bracket)."""
    for index, bracket in enumerate(grid.brackets):
        if bracket.contains(qf):
            return index
    return None


def quote(grid: Grid | None, fallback_cents: int, qf: int | None, outside: bool) -> Quote:
    """The price before sibling rank: outside-commune first, then the QF bracket, then « no QF »."""
    if grid is None:
        return Quote(fallback_cents, "", qf)
    siblings = dict(qf_euros=qf, sibling_percent=grid.sibling_percent, sibling_from_rank=grid.sibling_from_rank)
    if outside and grid.outside_price_cents is not None:
        return Quote(grid.outside_price_cents, OUTSIDE_LABEL, **siblings)  # type: ignore[arg-type]
    index = bracket_index(grid, qf) if qf is not None else None
    if index is None:
        return Quote(grid.no_qf_price_cents, NO_QF_LABEL, **siblings)  # type: ignore[arg-type]
    bracket = grid.brackets[index]
    return Quote(bracket.price_cents, bracket_label(index, bracket), **siblings)  # type: ignore[arg-type]


def ranked_prices(quote_: Quote, frozen: int, others: int) -> list[tuple[int, str]]:
    """Prices of the ``others`` children not yet paid, counted after ``frozen`` paid ones."""
    return [quote_.for_rank(frozen + 1 + i) for i in range(others)]


def grid_at(history: Sequence[Grid], day: date) -> Grid | None:
    """The grid in force on ``day``: the newest one whose ``valid_from`` ≤ day (``history`` sorted)."""
    found = None
    for grid in history:
        if grid.valid_from <= day:
            found = grid
        else:
            break
    return found
