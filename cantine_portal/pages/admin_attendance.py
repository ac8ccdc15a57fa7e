"""Back office: Effectifs (who eats which day, per service and class)."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import grid, input_field, select_field, submit
from cantine_portal.components.admin_layout import admin_page, table, td
from cantine_portal.components.forms import message_if
from cantine_portal.pages.admin_common import LINK
from cantine_portal.state.admin_daily import AdminAttendanceState

A = AdminAttendanceState


def _counts(title: str, rows) -> rx.Component:
    return table([title, "Nombre"], rx.foreach(rows, lambda r: rx.el.tr(td(r[0]), td(r[1]))))


def _exports() -> rx.Component:
    """The day's list as CSV for a spreadsheet and as a printable PDF."""
    return rx.hstack(
        rx.el.a(
            rx.icon("file-spreadsheet", size=16, aria_hidden="true"),
            " Exporter en CSV (Excel)",
            href=A.csv_url,
            style=LINK,
        ),
        rx.el.a(
            rx.icon("printer", size=16, aria_hidden="true"),
            " Version imprimable (PDF)",
            href=A.pdf_url,
            target="_blank",
            rel="noopener",
            style=LINK,
        ),
        spacing="5",
    )


def _summary() -> rx.Component:
    """Counts by school and diet, PAI and the children declared ill (not counted)."""
    return grid(
        rx.box(_counts("École", A.by_school)),
        rx.box(_counts("Régime", A.by_diet)),
        rx.box(
            rx.text("Enfants avec PAI : ", rx.el.strong(A.pai_count)),
            rx.text(
                "Absents pour maladie (non comptés) : ",
                rx.el.strong(A.absent_count),
                data_testid="absents-maladie",
            ),
        ),
        min_width="18rem",
    )


def _row(r: rx.Var) -> rx.Component:
    """One expected child; the PAI as an icon and the word, never colour alone."""
    return rx.el.tr(
        td(r["child"]),
        td(r["family"]),
        td(r["school"]),
        td(r["class_name"]),
        td(r["diet"]),
        td(
            rx.cond(
                r["pai"] == "1",
                rx.vstack(
                    rx.hstack(
                        rx.icon("shield-alert", size=16, aria_hidden="true"),
                        rx.el.strong("PAI"),
                        spacing="1",
                        align="center",
                    ),
                    rx.text(r["pai_notes"], size="2"),
                    spacing="1",
                ),
                rx.text("—", aria_label="pas de PAI"),
            )
        ),
    )


def attendance_page() -> rx.Component:
    return admin_page(
        "Effectifs",
        rx.el.form(
            rx.flex(
                rx.box(input_field("Jour", "day", "att-day", A.day, type="date"), width="14rem"),
                rx.box(
                    select_field("Prestation", "service", "att-service", A.service_choice, A.service_names),
                    width="20rem",
                ),
                submit("Afficher", size="3"),
                align="end",
                wrap="wrap",
                gap="0.75rem",
            ),
            on_submit=A.show,
            key=A.form_key.to_string(),
        ),
        message_if(A.error_message, "error"),
        rx.cond(
            A.shown,
            rx.vstack(
                rx.heading(A.day_label, " : ", A.total, " enfant(s)", as_="h2", size="5"),
                _exports(),
                _summary(),
                table(
                    ["Enfant", "Famille", "École", "Classe", "Régime", "PAI"],
                    rx.foreach(
                        A.rows,
                        _row,
                    ),
                    caption="Enfants attendus (réservations payées)",
                ),
                rx.cond(A.total == 0, rx.text("Aucune réservation payée pour ce jour et cette prestation.")),
                spacing="4",
                width="100%",
                align="stretch",
            ),
        ),
    )
