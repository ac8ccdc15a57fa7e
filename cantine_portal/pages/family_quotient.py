"""The « Quotient familial » section of the Famille page (state/family_quotient.py)."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.forms import PICK_BUTTON_STYLE, callout, error_summary, labelled_upload
from cantine_portal.state.family_quotient import QF_UPLOAD_ID, FamilyQuotientState

Q = FamilyQuotientState
_LIST = {"padding_left": "1.2rem", "margin": "0.25rem 0"}


def _what_is_known() -> tuple[rx.Component, ...]:
    """The quotient on file, today's tariffs it gives, and the certificates waiting or refused."""
    return (
        rx.text(Q.current, id="qf-current"),
        rx.cond(
            Q.tariffs.length() > 0,
            rx.fragment(
                rx.text("Vos tarifs aujourd'hui :", size="2", margin_top="0.4rem"),
                rx.el.ul(rx.foreach(Q.tariffs, lambda t: rx.el.li(t)), id="qf-tariffs", style=_LIST),
            ),
        ),
        rx.cond(
            Q.pending.length() > 0,
            rx.el.ul(rx.foreach(Q.pending, lambda t: rx.el.li(t)), aria_label="Attestations en attente", style=_LIST),
        ),
        rx.cond(
            Q.refused.length() > 0,
            rx.el.ul(
                rx.foreach(Q.refused, lambda t: rx.el.li(t)),
                aria_label="Attestations refusées",
                style={**_LIST, "color": "var(--red-11)"},
            ),
        ),
    )


def _file_choice() -> rx.Component:
    """The certificate's picker: a real button (described by the hint and the error) and the file chosen."""
    chosen = rx.selected_files(QF_UPLOAD_ID)
    return labelled_upload(
        rx.flex(
            rx.el.button(
                rx.icon("file-up", size=16, aria_hidden="true"),
                " Choisir l'attestation",
                type="button",
                id="qf-file",
                aria_describedby=rx.cond(Q.upload_error != "", "qf-hint qf-chosen qf-error", "qf-hint qf-chosen"),
                aria_invalid=rx.cond(Q.upload_error != "", "true", "false"),
                style=PICK_BUTTON_STYLE,
            ),
            rx.text(
                rx.cond(chosen.length() > 0, "Fichier choisi : " + chosen.join(", "), "Aucun fichier choisi."),
                size="2",
                id="qf-chosen",
            ),
            align="center",
            gap="0.75rem",
            wrap="wrap",
        ),
        upload_id=QF_UPLOAD_ID,
        input_label="Attestation de quotient familial",
        multiple=False,
        accept={"application/pdf": [".pdf"], "image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"]},
        style={"margin": "0.5rem 0"},
    )


def quotient_section() -> rx.Component:
    return rx.el.section(
        rx.heading("Quotient familial", as_="h2", size="5", id="quotient-familial"),
        *_what_is_known(),
        rx.text(
            "Envoyez votre attestation de quotient familial de la CAF (ou de la MSA, ou votre avis "
            "d'imposition) : un PDF ou une photo (JPEG, PNG), 5 Mo au plus. La mairie la vérifie et enregistre "
            "votre quotient ; vous êtes prévenu par e-mail si elle la refuse.",
            size="2",
            id="qf-hint",
            margin_top="0.5rem",
        ),
        error_summary([(Q.upload_error, "qf-file", "Attestation")], "qf-errors"),
        _file_choice(),
        rx.button("Envoyer l'attestation", on_click=Q.send(rx.upload_files(upload_id=QF_UPLOAD_ID))),
        rx.cond(Q.sent_message != "", callout(Q.sent_message, "success")),
        rx.cond(Q.upload_error != "", rx.box(callout(Q.upload_error, "error"), id="qf-error")),
        style={
            "margin_top": "1.5rem",
            "padding": "1rem",
            "border": "1px solid var(--gray-6)",
            "border_radius": "8px",
            "width": "100%",
        },
        aria_labelledby="quotient-familial",
    )
