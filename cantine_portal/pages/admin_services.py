"""Back office « Prestations et tarifs »: each service with its days and price history, a new price
from a date, a new service."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import checkbox, grid, input_field, section, submit
from cantine_portal.components.admin_layout import admin_page
from cantine_portal.french import WEEKDAYS
from cantine_portal.pages.admin_common import state_messages
from cantine_portal.state.admin_config import WEEKDAY_KEYS, AdminServicesState

V = AdminServicesState


def _weekday_boxes(prefix, row: dict | None) -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend("Jours de service", style={"font_weight": "600"}),
        *[
            checkbox(
                name.capitalize(), key, prefix + "-" + key, (row[key] == "1") if row is not None else i < 5 and i != 2
            )
            for i, (key, name) in enumerate(zip(WEEKDAY_KEYS, WEEKDAYS, strict=True))
        ],
        style={"border": "none", "padding": "0", "margin": "0"},
    )


def _service_row(row: dict, index) -> rx.Component:
    prefix = "svc" + index.to_string()
    mine = V.error_row == index.to_string()
    price_mine = V.error_row == "price" + index.to_string()
    return rx.el.li(
        rx.heading(row["name"], as_="h2", size="4"),
        rx.text(
            "Tarif actuel : ",
            rx.el.strong(row["price_label"]),
            " — ",
            row["status"],
            " — ",
            row["weekdays_label"],
            size="2",
        ),
        rx.text("Historique : ", row["prices"], size="2", color_scheme="gray", high_contrast=True),
        rx.el.form(
            grid(
                input_field("Nom", "name", prefix + "-name", row["name"], V.errors, when=mine),
                _weekday_boxes(prefix, row),
                checkbox(
                    "Prestation active (proposée aux familles)", "active", prefix + "-active", row["active"] == "1"
                ),
            ),
            rx.el.input(type="hidden", name="row", value=index.to_string()),
            submit("Enregistrer la prestation", variant="soft"),
            on_submit=V.update,
            key=V.form_key.to_string() + prefix,
        ),
        _price_form(prefix, index, price_mine),
        style={
            "padding": "0.8rem",
            "border": "1px solid var(--gray-6)",
            "border_radius": "8px",
            "display": "flex",
            "flex_direction": "column",
            "gap": "0.5rem",
        },
    )


def _price_form(prefix: rx.Var, index: rx.Var, price_mine: rx.Var) -> rx.Component:
    """A new price for the service from a chosen day (days already booked keep theirs)."""
    return rx.el.form(
        rx.flex(
            rx.box(
                input_field(
                    "Nouveau tarif (€)",
                    "price",
                    prefix + "-price",
                    "",
                    V.errors,
                    when=price_mine,
                    placeholder="ex. 3,85",
                    input_mode="decimal",
                ),
                width="12rem",
            ),
            rx.box(
                input_field("À partir du", "valid_from", prefix + "-from", "", V.errors, when=price_mine, type="date"),
                width="14rem",
            ),
            rx.el.input(type="hidden", name="row", value=index.to_string()),
            submit("Changer le tarif", variant="outline", size="3"),
            align="end",
            wrap="wrap",
            gap="0.75rem",
        ),
        on_submit=V.change_price,
        key=V.form_key.to_string() + prefix + "p",
    )


def services_page() -> rx.Component:
    return admin_page(
        "Prestations et tarifs",
        state_messages(V),
        rx.text(
            "Un changement de tarif s'applique à partir de la date choisie ; les réservations déjà faites "
            "gardent leur prix. Désactivez une prestation plutôt que de la supprimer."
        ),
        rx.el.a(
            rx.icon("scale", size=16, aria_hidden="true"),
            " Grilles tarifaires selon le quotient familial (tranches, tarif extérieur, réduction fratrie, "
            "« cantine à 1 € »)",
            href="/" + V.portal_slug + "/admin/prestations/grilles",
            style={"display": "inline-flex", "align_items": "center", "gap": "0.3rem", "color": "var(--accent-11)"},
        ),
        rx.el.ul(
            rx.foreach(V.rows, _service_row),
            style={
                "list_style": "none",
                "padding": "0",
                "margin": "0",
                "display": "flex",
                "flex_direction": "column",
                "gap": "0.75rem",
                "width": "100%",
            },
        ),
        section(
            "Nouvelle prestation",
            rx.el.form(
                grid(
                    input_field(
                        "Nom de la prestation", "name", "new-svc-name", "", V.errors, when=V.error_row == "new"
                    ),
                    input_field(
                        "Tarif (€)",
                        "price",
                        "new-svc-price",
                        "",
                        V.errors,
                        when=V.error_row == "new",
                        placeholder="3,85",
                        input_mode="decimal",
                    ),
                    _weekday_boxes("new-svc", None),
                ),
                submit("Créer la prestation"),
                on_submit=V.create,
                key=V.form_key.to_string() + "new",
            ),
        ),
    )
