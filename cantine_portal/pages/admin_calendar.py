"""Back office « Calendrier »: public and school holidays, exceptional closures (which cancel and
credit the paid days, services/backoffice/closures.py) and the list of closed days."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import checkbox, grid, input_field, section, select_field, submit
from cantine_portal.components.admin_layout import admin_page, table, td
from cantine_portal.pages.admin_common import state_messages
from cantine_portal.state.admin_config import AdminCalendarState

C = AdminCalendarState


def calendar_page() -> rx.Component:
    return admin_page(
        "Calendrier",
        state_messages(C),
        section(
            "Jours fériés",
            rx.text(
                "Ajoute les jours fériés français de l'année scolaire ",
                C.school_year,
                " qui ne sont pas encore dans la liste.",
            ),
            rx.button(
                "Ajouter les jours fériés de l'année scolaire", on_click=C.add_public_holidays, margin_top="0.5rem"
            ),
        ),
        section(
            "Vacances scolaires",
            rx.el.form(
                grid(
                    input_field("Nom des vacances", "label", "hol-label", "", C.errors, placeholder="Vacances de Noël"),
                    input_field("Premier jour", "first", "hol-first", "", C.errors, type="date"),
                    input_field("Dernier jour", "last", "hol-last", "", C.errors, type="date"),
                ),
                submit("Ajouter les vacances", margin_top="0.5rem"),
                on_submit=C.add_school_holidays,
                key=C.form_key.to_string() + "hol",
            ),
        ),
        _closure_section(),
        table(
            ["Jours", "Type", "Motif", "Prestation", "Action"],
            rx.foreach(
                C.rows,
                _closed_day_row,
            ),
            caption="Jours fermés à partir de l'année scolaire en cours",
        ),
    )


def _closure_section() -> rx.Component:
    """A day closed for one service or all: the staff must tick that paid days will be cancelled."""
    return section(
        "Fermeture exceptionnelle",
        rx.text(
            "Les réservations payées de ce jour sont annulées et chaque famille reçoit un avoir et un "
            "e-mail ; les réservations en attente sont retirées des paniers.",
            size="2",
        ),
        rx.el.form(
            grid(
                input_field("Jour fermé", "day", "close-day", "", C.errors, type="date"),
                select_field(
                    "Prestation concernée",
                    "service",
                    "close-service",
                    "",
                    C.service_names,
                    None,
                    first=("", "Toutes les prestations"),
                ),
                input_field(
                    "Motif (montré aux familles)",
                    "reason",
                    "close-reason",
                    "",
                    C.errors,
                    placeholder="Grève du personnel",
                ),
            ),
            rx.el.div(
                checkbox(
                    "Je confirme l'annulation des réservations payées de ce jour (avoir et e-mail aux familles)",
                    "confirm",
                    "close-confirm",
                    False,
                ),
                rx.cond(
                    C.errors.get("confirm", "") != "",
                    rx.text("⚠ ", C.errors.get("confirm", ""), color_scheme="red", size="2", role="alert"),
                ),
                style={"margin_top": "0.5rem"},
            ),
            submit("Fermer ce jour", color_scheme="red", high_contrast=True, margin_top="0.5rem"),
            on_submit=C.close_day,
            key=C.form_key.to_string() + "close",
        ),
    )


def _closed_day_row(row: rx.Var, i: rx.Var) -> rx.Component:
    return rx.el.tr(
        td(row["day"]),
        td(row["kind"]),
        td(row["reason"]),
        td(row["service"]),
        td(
            rx.button(
                "Retirer",
                rx.el.span(
                    " : ",
                    row["day"],
                    class_name="sr-only",
                    style={
                        "position": "absolute",
                        "width": "1px",
                        "height": "1px",
                        "overflow": "hidden",
                        "clip": "rect(0 0 0 0)",
                    },
                ),
                variant="soft",
                size="1",
                on_click=C.delete_row(i),
            )
        ),
    )
