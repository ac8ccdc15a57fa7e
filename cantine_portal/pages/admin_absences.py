"""Back-office « Absences »: each declaration with its certificate (served to this commune's staff
only), validate (credits by the commune's carence rule) or refuse with a message to the family."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import input_field, section, submit
from cantine_portal.components.admin_layout import admin_page
from cantine_portal.components.forms import message_if
from cantine_portal.state.admin_absences import AdminAbsencesState

A = AdminAbsencesState
LIST = {
    "list_style": "none",
    "padding": "0",
    "margin": "0",
    "display": "flex",
    "flex_direction": "column",
    "gap": "1rem",
}
ITEM = {"border": "1px solid var(--gray-6)", "border_radius": "8px", "padding": "0.75rem"}
LINK = {"color": "var(--accent-11)", "text_decoration": "underline", "font_weight": "600"}


def _pending_row(row: dict, i) -> rx.Component:
    prefix = "abs" + i.to_string()
    validated, refused = A.error_row == "val" + i.to_string(), A.error_row == "ref" + i.to_string()
    return rx.el.li(
        rx.text(rx.el.strong(row["family"]), " — ", row["child"], " — signalée le ", row["declared"]),
        rx.text(row["days"], size="2"),
        rx.el.a(
            "Voir le certificat (", row["kind"], ")", href=row["href"], target="_blank", rel="noopener", style=LINK
        ),
        rx.el.form(
            rx.flex(
                rx.box(
                    input_field(
                        "Message à la famille (facultatif pour valider, obligatoire pour refuser)",
                        "message",
                        prefix + "-message",
                        "",
                        A.errors,
                        when=validated,
                    ),
                    flex="1",
                    min_width="18rem",
                ),
                rx.el.input(type="hidden", name="row", value=i.to_string()),
                submit("Valider (avoir)", size="3"),
                gap="0.75rem",
                wrap="wrap",
                align="end",
            ),
            on_submit=A.validate,
            key=A.form_key.to_string() + prefix,
        ),
        rx.el.form(
            rx.flex(
                rx.box(
                    input_field(
                        "Motif du refus (envoyé par e-mail)", "message", prefix + "-refus", "", A.errors, when=refused
                    ),
                    flex="1",
                    min_width="18rem",
                ),
                rx.el.input(type="hidden", name="row", value=i.to_string()),
                submit("Refuser", variant="outline", color_scheme="red", size="3"),
                gap="0.75rem",
                wrap="wrap",
                align="end",
            ),
            on_submit=A.refuse,
            key=A.form_key.to_string() + prefix + "r",
        ),
        style=ITEM,
        data_testid="absence-a-traiter",
    )


def _decided_row(row: dict) -> rx.Component:
    return rx.el.li(
        rx.text(rx.el.strong(row["family"]), " — ", row["child"], " — ", row["days"]),
        rx.text(row["outcome"], size="2"),
        style=ITEM,
    )


def absences_page() -> rx.Component:
    return admin_page(
        "Absences",
        message_if(A.success_message, "success"),
        message_if(A.error_message, "error"),
        rx.text(
            "Les familles signalent ici un enfant malade, avec le certificat médical. Les effectifs de la "
            "cuisine ne le comptent plus dès le signalement. Valider transforme les jours payés en avoir, "
            "selon les jours de carence fixés dans Paramètres ; refuser laisse les jours dus."
        ),
        section(
            "Absences à traiter",
            rx.cond(
                A.pending.length() > 0,
                rx.el.ul(rx.foreach(A.pending, _pending_row), style=LIST),
                rx.text("Aucune absence à traiter."),
            ),
        ),
        section(
            "Dernières décisions",
            rx.cond(
                A.decided.length() > 0,
                rx.el.ul(rx.foreach(A.decided, _decided_row), style=LIST),
                rx.text("Aucune décision pour l'instant."),
            ),
        ),
    )
