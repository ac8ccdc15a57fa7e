"""Back office: the QF grid editor (Prestations › Grilles). « Quotients familiaux » is in admin_quotients.py,
« Aide cantine à 1 € » in admin_claim.py."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import grid, input_field, section, submit
from cantine_portal.components.admin_layout import admin_page, table, td
from cantine_portal.components.forms import INPUT_STYLE, callout, field
from cantine_portal.pages.admin_common import ACCENT_LINK, state_messages
from cantine_portal.state.admin_pricing import AdminGridsState
from cantine_portal.usecases.backoffice.pricing import BRACKET_ROWS

G = AdminGridsState
SIBLING_HELP = (
    "Réduction fratrie : pour une même famille, une même prestation et un même jour, les enfants "
    "réservés sont comptés d'abord ceux dont le jour est déjà payé, puis les autres, dans l'ordre de la "
    "page Enfants. L'enfant compté à partir du rang choisi paie le tarif (de sa tranche, extérieur ou "
    "sans QF) diminué du pourcentage, arrondi au centime. Un jour payé garde toujours son prix."
)


def _bracket_row(i: int) -> rx.Component:
    v = G.values
    return rx.el.fieldset(
        rx.el.legend(f"Tranche {i + 1}", style={"font_weight": "600"}),
        rx.flex(
            rx.box(
                input_field(
                    "QF minimum (€)", f"min_{i}", f"grid-min-{i}", v.get(f"min_{i}", ""), G.errors, input_mode="numeric"
                ),
                width="10rem",
            ),
            rx.box(
                input_field(
                    "QF maximum (€)",
                    f"max_{i}",
                    f"grid-max-{i}",
                    v.get(f"max_{i}", ""),
                    G.errors,
                    input_mode="numeric",
                    hint="vide pour la dernière" if i else None,
                ),
                width="10rem",
            ),
            rx.box(
                input_field(
                    "Prix (€)", f"price_{i}", f"grid-price-{i}", v.get(f"price_{i}", ""), G.errors, input_mode="decimal"
                ),
                width="10rem",
            ),
            gap="0.75rem",
            wrap="wrap",
            align="start",
        ),
        style={"border": "1px solid var(--gray-5)", "border_radius": "6px", "padding": "0.5rem 0.75rem"},
    )


# The grid's other fields: (label, form name, element id, input props).
GRID_FIELDS: list[tuple[str, str, str, dict[str, str]]] = [
    ("Prix sans quotient familial connu (€)", "no_qf", "grid-no-qf", {"input_mode": "decimal"}),
    ("Prix des familles extérieures (€, facultatif)", "outside", "grid-outside", {"input_mode": "decimal"}),
    ("Réduction fratrie (%)", "sibling_percent", "grid-sibling-percent", {"input_mode": "numeric"}),
    ("À partir du rang de l'enfant", "sibling_from_rank", "grid-sibling-rank", {"input_mode": "numeric"}),
    ("Grille valable à partir du", "valid_from", "grid-from", {"type": "date"}),
    ("Aperçu pour une famille au QF de (€)", "preview_qf", "grid-preview-qf", {"input_mode": "numeric"}),
]


def _grid_form() -> rx.Component:
    v = G.values
    return rx.el.form(
        rx.vstack(
            rx.text(
                "Laissez vides les lignes de tranche inutiles. La première tranche commence à 0 €, chaque "
                "tranche commence à la borne haute de la précédente + 1 €, la dernière n'a pas de plafond.",
                size="2",
            ),
            *[_bracket_row(i) for i in range(BRACKET_ROWS)],
            grid(
                *[
                    input_field(label, name, field_id, v.get(name, ""), G.errors, **props)
                    for label, name, field_id, props in GRID_FIELDS
                ]
            ),
            rx.text(SIBLING_HELP, size="2", id="grid-sibling-help"),
            submit("Vérifier la grille", variant="soft"),
            spacing="3",
            align="stretch",
            width="100%",
        ),
        on_submit=G.check,
        key=G.form_key.to_string() + "grid",
    )


def grids_page() -> rx.Component:
    return admin_page(
        "Grilles tarifaires selon le quotient familial",
        rx.el.a("← Prestations et tarifs", href="/" + G.portal_slug + "/admin/prestations", style=ACCENT_LINK),
        state_messages(G),
        rx.text(
            "Une grille s'applique à partir de sa date ; les réservations payées gardent leur prix. Une "
            "prestation sans grille garde son tarif unique."
        ),
        rx.el.div(
            field(
                "Prestation",
                rx.el.select(
                    rx.foreach(G.service_names, lambda name, i: rx.el.option(name, value=i.to_string())),
                    id="grid-service",
                    value=G.service_choice,
                    on_change=G.choose_service,
                    style=INPUT_STYLE,
                ),
                "grid-service",
            ),
            style={"max_width": "24rem"},
        ),
        table(
            ["À partir du", "Grille", "« Cantine à 1 € »"],
            rx.foreach(G.history, lambda row: rx.el.tr(td(row["from"]), td(row["lines"]), td(row["verdict"]))),
            caption="Grilles de cette prestation (la plus récente d'abord)",
        ),
        section("Nouvelle grille", _grid_form()),
        rx.cond(
            G.checked,
            section(
                "Aperçu",
                rx.el.p(G.preview, id="grid-preview", style={"font_size": "1.1rem", "font_weight": "600"}),
                rx.cond(G.verdict_ok, callout(G.verdict, "success"), callout(G.verdict, "info")),
                rx.text(
                    "Modifiez les champs et vérifiez à nouveau si besoin : c'est la grille vérifiée qui est "
                    "enregistrée.",
                    size="2",
                ),
                rx.button("Enregistrer cette grille", on_click=G.save, margin_top="0.5rem"),
                id="grid-preview-section",
            ),
        ),
        menu="prestations",
    )
