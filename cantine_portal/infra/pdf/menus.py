"""The weekly canteen menu PDF, and plausible demo menus to seed a new commune's portal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table

from cantine_portal.french import format_date_range
from cantine_portal.infra.pdf.common import (
    ACCENT,
    CONTENT_WIDTH,
    RULE,
    build_pdf,
    capitalised_long_date,
    escape_markup,
    fr_typo,
    styles,
    table_style,
)

__all__ = ["default_demo_menus", "render_menu_week"]

_COURSE_LABELS = ("Entrée", "Plat", "Légume", "Laitage", "Dessert")  # "Légume" = garniture


def default_demo_menus(week_start: date) -> list[tuple[str, list[str]]]:
    """Plausible French school menus for Monday, Tuesday, Thursday and Friday.

    Four days because most French primary schools do not open on Wednesday,
    which is also the portal's default set of bookable days. Each list is
    entrée / plat / légume / laitage / dessert, with the weekly vegetarian
    meal required by the EGalim law on Thursday.
    """
    monday = week_start - timedelta(days=week_start.weekday())
    dishes: list[tuple[int, list[str]]] = [
        (
            0,
            [
                "Carottes râpées vinaigrette à l'orange",
                "Sauté de volaille au curry doux",
                "Riz basmati bio",
                "Yaourt nature et sucre",
                "Pomme de saison",
            ],
        ),
        (
            1,
            [
                "Velouté de potiron",
                "Bœuf bourguignon (viande d'origine France)",
                "Coquillettes",
                "Emmental à la coupe",
                "Compote pomme-poire sans sucre ajouté",
            ],
        ),
        (
            3,
            [
                "Salade de lentilles aux échalotes",
                "Omelette aux fines herbes (menu végétarien)",
                "Haricots verts persillés",
                "Fromage blanc aux fruits rouges",
                "Clémentines",
            ],
        ),
        (
            4,
            [
                "Betteraves en salade",
                "Filet de colin d'Alaska sauce citron (pêche durable)",
                "Purée de pommes de terre maison",
                "Camembert",
                "Gâteau au chocolat de la cuisine centrale",
            ],
        ),
    ]
    return [(capitalised_long_date(monday + timedelta(days=offset)), items) for offset, items in dishes]


def _menu_day_block(label: str, items: list[str]) -> Flowable:
    """One day of the menu, kept on one page: a coloured day heading, then one row per course."""
    st = styles()
    width = CONTENT_WIDTH
    rows: list[list[Any]] = [[Paragraph(escape_markup(label), st["day"]), ""]]
    for index, item in enumerate(items):
        course = _COURSE_LABELS[index] if len(items) == len(_COURSE_LABELS) else ""
        rows.append([Paragraph(course, st["muted"]), Paragraph(escape_markup(item), st["base"])])
    if not items:
        rows.append(["", Paragraph("Pas de service ce jour.", st["muted"])])
    table = Table(rows, colWidths=[28 * mm, width - 28 * mm])
    table.setStyle(
        table_style(
            [
                ("SPAN", (0, 0), (-1, 0)),
                ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                ("BOX", (0, 0), (-1, -1), 0.6, ACCENT),
                ("LINEBELOW", (0, 1), (-1, -2), 0.3, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return KeepTogether([table, Spacer(1, 5 * mm)])


def render_menu_week(commune_name: str, week_start: date, menus: list[tuple[str, list[str]]]) -> bytes:
    """Render the weekly canteen menu ("Menu de la semaine du 7 au 11 décembre 2026").

    ``week_start`` may be any day of the week: the title always spans Monday
    to Friday of that week, since menus are published per school week.
    ``menus`` is a list of (day label, dishes); with exactly five dishes each
    line is labelled entrée / plat / légume / laitage / dessert.
    """
    st = styles()
    monday = week_start - timedelta(days=week_start.weekday())
    title = f"Menu de la semaine {format_date_range(monday, monday + timedelta(days=4))}"

    def story() -> list[Flowable]:
        flow: list[Flowable] = [
            Paragraph(escape_markup(commune_name), st["org"]),
            Paragraph("Restauration scolaire", st["muted"]),
            Spacer(1, 6 * mm),
            Paragraph(title, st["center_title"]),
            Spacer(1, 6 * mm),
        ]
        flow.extend(_menu_day_block(label, items) for label, items in menus)
        flow.extend(
            [
                Spacer(1, 2 * mm),
                Paragraph(
                    fr_typo(
                        "<b>Allergènes :</b> Liste des allergènes disponible sur demande auprès "
                        "du service de restauration scolaire. Les enfants bénéficiant d'un PAI "
                        "suivent les consignes de leur protocole."
                    ),
                    st["small"],
                ),
                Spacer(1, 2 * mm),
                Paragraph(
                    "Les menus peuvent être modifiés en fonction des approvisionnements. "
                    "Les plats sont préparés par la cuisine centrale avec des produits de saison.",
                    st["muted"],
                ),
            ]
        )
        return flow

    return build_pdf(
        story,
        title=title,
        author=commune_name,
        subject="Menu de la restauration scolaire",
        footer_left=f"{commune_name} — {title}",
    )
