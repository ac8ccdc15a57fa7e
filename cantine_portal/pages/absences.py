"""`/{slug}/absences`: a child is ill — declare the booked days with the medical certificate, and
follow each declaration (reached from Réservations).

Phone first: one column, the child in a native list, each day a whole-width 48 px line that a
thumb ticks, the certificate chosen from the phone's files or camera (the file input accepts PDF,
JPEG and PNG, so a phone offers « Prendre une photo »; no ``capture`` attribute, which would forbid
the PDF a doctor e-mailed). Each status has its colour AND its words.
"""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.banner import family_page
from cantine_portal.components.forms import labelled_upload, message_if
from cantine_portal.state.absences import CERTIFICATE_UPLOAD_ID, AbsencesState, AbsenceUI, DayUI

S = AbsencesState


def _day(day: DayUI) -> rx.Component:
    return rx.el.li(
        rx.el.label(
            rx.el.input(
                type="checkbox",
                checked=day.chosen,
                on_change=S.toggle_day(day.index),
                data_testid="jour-absence",
            ),
            rx.el.span(day.text),
            class_name="abs-day",
        )
    )


def _certificate() -> rx.Component:
    chosen = rx.selected_files(CERTIFICATE_UPLOAD_ID)
    return rx.fragment(
        rx.text(
            "Certificat médical : un PDF ou une photo (JPEG, PNG), 5 Mo au plus. Sur un téléphone, vous "
            "pouvez le prendre en photo.",
            size="2",
            id="certificat-aide",
        ),
        labelled_upload(
            rx.flex(
                rx.el.button(
                    rx.icon("camera", size=18, aria_hidden="true"),
                    " Photographier ou choisir le certificat",
                    type="button",
                    aria_describedby="certificat-aide certificat-choisi",
                    class_name="abs-choose",
                ),
                rx.text(
                    rx.cond(chosen.length() > 0, "Fichier choisi : " + chosen.join(", "), "Aucun fichier choisi."),
                    size="2",
                    id="certificat-choisi",
                ),
                align="center",
                gap="0.75rem",
                wrap="wrap",
            ),
            upload_id=CERTIFICATE_UPLOAD_ID,
            input_label="Certificat médical",
            multiple=False,
            accept={"application/pdf": [".pdf"], "image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"]},
        ),
    )


def _declare() -> rx.Component:
    return rx.el.section(
        rx.heading("Signaler une absence pour maladie", as_="h2", size="5", id="signaler"),
        rx.cond(
            S.child_names.length() > 1,
            rx.el.div(
                rx.el.label("Enfant", html_for="absence-enfant", style={"display": "block", "font_weight": "600"}),
                rx.el.select(
                    rx.foreach(S.child_names, lambda name, i: rx.el.option(name, value=i.to_string())),
                    id="absence-enfant",
                    value=S.child_index.to_string(),
                    on_change=S.choose_child,
                    class_name="abs-select",
                ),
            ),
        ),
        rx.el.fieldset(
            rx.el.legend("Jours d'absence", style={"font_weight": "600", "margin_bottom": "0.4rem"}),
            rx.cond(
                S.days.length() > 0,
                rx.el.ul(rx.foreach(S.days, _day), class_name="abs-days"),
                rx.text("Aucun jour réservé ne peut plus être signalé pour cet enfant.", data_testid="aucun-jour"),
            ),
            style={"border": "none", "padding": "0", "margin": "0.5rem 0"},
        ),
        _certificate(),
        rx.button(
            "Signaler l'absence",
            size="3",
            width="100%",
            margin_top="0.75rem",
            on_click=S.send(rx.upload_files(upload_id=CERTIFICATE_UPLOAD_ID)),
        ),
        rx.el.div(
            message_if(S.info_message, "success"),
            message_if(S.error_message, "error"),
            aria_live="polite",
        ),
        aria_labelledby="signaler",
        style={"display": "flex", "flex_direction": "column", "gap": "0.5rem"},
    )


def _absence(item: AbsenceUI) -> rx.Component:
    return rx.el.li(
        rx.el.p(rx.el.strong(item.child), " — ", item.days),
        rx.el.p(
            rx.el.span(
                rx.match(
                    item.status,
                    ("validated", "✚ "),
                    ("refused", "✕ "),
                    "⏳ ",
                ),
                item.status_text,
                class_name="abs-badge abs-" + item.status,
                data_testid="statut-absence",
            )
        ),
        rx.cond(item.detail != "", rx.text(item.detail, size="2")),
        class_name="abs-item",
    )


def absences_page() -> rx.Component:
    return family_page(
        "Absences",
        rx.text(S.explanation, data_testid="absences-regle"),
        rx.el.a("← Retour aux réservations", href="/" + S.portal_slug + "/reservations", class_name="rsv-absence-link"),
        _declare(),
        rx.el.section(
            rx.heading("Vos absences signalées", as_="h2", size="5", id="vos-absences"),
            rx.cond(
                S.absences.length() > 0,
                rx.el.ul(rx.foreach(S.absences, _absence), class_name="abs-list"),
                rx.text("Aucune absence signalée."),
            ),
            aria_labelledby="vos-absences",
        ),
    )
