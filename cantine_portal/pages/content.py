"""Guide sections 6 and 7: the commune's documents, and the contact form."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.banner import family_page
from cantine_portal.components.forms import (
    INPUT_STYLE,
    PICK_BUTTON_STYLE,
    callout,
    error_summary,
    field,
    labelled_upload,
    message_if,
    text_input,
)
from cantine_portal.state.content import ATTACHMENT_UPLOAD_ID, ContactState, DocumentRow, DocumentsState

_ROW_STYLE = {"padding": "0.6rem 0", "border_bottom": "1px solid var(--gray-5)"}
_LINK_STYLE = {"color": "var(--accent-12)", "font_weight": "600", "text_decoration": "underline"}


def _document_row(row: DocumentRow) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.vstack(
                rx.el.a(
                    rx.icon("file-text", size=18, aria_hidden="true", style={"vertical_align": "text-bottom"}),
                    " ",
                    row.title,
                    rx.el.span(
                        " (PDF, s'ouvre dans un nouvel onglet)",
                        class_name="rt-r-size-1",
                        style={"font_weight": "400", "color": "var(--gray-12)"},
                    ),
                    href=row.view_url,
                    target="_blank",
                    rel="noopener",
                    style=_LINK_STYLE,
                ),
                rx.text("Publié le ", row.date_label, size="2", color_scheme="gray", high_contrast=True),
                spacing="1",
            ),
            rx.el.a(
                rx.icon("download", size=16, aria_hidden="true"),
                " Télécharger",
                rx.el.span(
                    " « ",
                    row.title,
                    " »",
                    style={
                        "position": "absolute",
                        "width": "1px",
                        "height": "1px",
                        "overflow": "hidden",
                        "clip": "rect(0 0 0 0)",
                        "white_space": "nowrap",
                    },
                ),
                href=row.download_url,
                style={
                    **_LINK_STYLE,
                    "display": "inline-flex",
                    "align_items": "center",
                    "gap": "0.25rem",
                    "padding": "0.4rem 0",
                    "white_space": "nowrap",
                },
            ),
            justify="between",
            align="center",
            wrap="wrap",
            gap="0.5rem",
        ),
        style=_ROW_STYLE,
    )


def documents_page() -> rx.Component:
    return family_page(
        "Documents",
        rx.text(
            "Les documents mis à votre disposition par la mairie (menus, règlement, informations). "
            "Cliquez sur l'intitulé pour ouvrir le document dans un nouvel onglet : vous pourrez "
            "l'enregistrer ou l'imprimer depuis la barre d'outils du lecteur PDF."
        ),
        rx.cond(
            DocumentsState.sections.length() > 0,
            rx.vstack(
                rx.foreach(
                    DocumentsState.sections,
                    lambda section: rx.el.section(
                        rx.heading(section.category, as_="h2", size="5"),
                        rx.el.ul(
                            rx.foreach(section.documents, _document_row),
                            style={"list_style": "none", "padding": "0", "margin": "0.5rem 0 0 0"},
                        ),
                        width="100%",
                    ),
                ),
                spacing="5",
                width="100%",
            ),
            rx.cond(
                DocumentsState.documents_loaded,
                callout("Aucun document n'est publié pour le moment.", "info"),
                rx.text("Chargement des documents…"),
            ),
        ),
    )


def _coordinates() -> rx.Component:
    return rx.el.section(
        rx.heading("Coordonnées de la mairie", as_="h2", size="5"),
        rx.el.address(
            rx.text(rx.el.strong(ContactState.commune_name)),
            rx.text(ContactState.commune_address),
            rx.text(
                "Téléphone : ",
                rx.el.a(ContactState.commune_phone, href=ContactState.commune_phone_href, style=_LINK_STYLE),
            ),
            rx.cond(
                ContactState.commune_email != "",
                rx.text(
                    "E-mail : ",
                    rx.el.a(ContactState.commune_email, href="mailto:" + ContactState.commune_email, style=_LINK_STYLE),
                ),
            ),
            style={"font_style": "normal", "margin_top": "0.5rem"},
        ),
        style={"padding": "1rem", "border": "1px solid var(--gray-6)", "border_radius": "8px"},
    )


def _pick_button() -> rx.Component:
    """Inside the drop zone: a real button (described by the hint, the file chosen and the error, so a
    screen reader hears all three) and the name of the file chosen."""
    chosen = rx.selected_files(ATTACHMENT_UPLOAD_ID)
    return rx.flex(
        rx.el.button(
            rx.icon("paperclip", size=16, aria_hidden="true"),
            " Choisir un fichier PDF",
            type="button",
            id="contact-attachment",
            aria_describedby=rx.cond(
                ContactState.attachment_error != "",
                "attachment-hint attachment-chosen contact-attachment-error",
                "attachment-hint attachment-chosen",
            ),
            aria_invalid=rx.cond(ContactState.attachment_error != "", "true", "false"),
            style=PICK_BUTTON_STYLE,
        ),
        rx.text(
            rx.cond(chosen.length() > 0, "Fichier choisi : " + chosen.join(", "), "Aucun fichier choisi."),
            size="2",
            id="attachment-chosen",
        ),
        align="center",
        gap="0.75rem",
        wrap="wrap",
    )


def _attachment_field() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend("Pièce jointe (facultative)", style={"font_weight": "600"}),
        rx.text(
            "Un seul fichier PDF, ",
            ContactState.max_size_label,
            " au maximum.",
            size="2",
            color_scheme="gray",
            high_contrast=True,
            id="attachment-hint",
        ),
        labelled_upload(
            _pick_button(),
            upload_id=ATTACHMENT_UPLOAD_ID,
            input_label="Pièce jointe (fichier PDF)",
            multiple=False,
            max_files=1,
            accept={"application/pdf": [".pdf"]},
            no_keyboard=True,
            on_drop_rejected=ContactState.attachment_rejected,
            style={
                "padding": "0.75rem",
                "border": "1px dashed var(--gray-8)",
                "border_radius": "6px",
                "margin_top": "0.5rem",
            },
        ),
        rx.cond(
            ContactState.attachment_error != "",
            rx.text(
                "⚠ ",
                ContactState.attachment_error,
                id="contact-attachment-error",
                size="2",
                color_scheme="red",
                high_contrast=True,
                role="alert",
                margin_top="0.5rem",
            ),
        ),
        style={"border": "none", "padding": "0", "margin": "0"},
    )


def _child_select() -> rx.Component:
    return rx.el.select(
        rx.el.option("Aucun enfant en particulier", value=""),
        rx.foreach(ContactState.child_labels, lambda label, index: rx.el.option(label, value=index.to_string())),
        id="contact-child",
        value=ContactState.child_choice,
        on_change=ContactState.set_child_choice,
        style=INPUT_STYLE,
    )


def _contact_form() -> rx.Component:
    return rx.el.section(
        rx.heading("Écrire à la mairie", as_="h2", size="5"),
        rx.vstack(
            message_if(ContactState.form_error, "error"),
            error_summary(
                [
                    (ContactState.subject_error, "contact-subject", "Objet"),
                    (ContactState.body_error, "contact-body", "Message"),
                    (ContactState.child_error, "contact-child", "Enfant concerné"),
                    (ContactState.attachment_error, "contact-attachment", "Pièce jointe"),
                ],
                "contact-errors",
            ),
            field(
                "Objet",
                text_input(
                    "contact-subject",
                    value=ContactState.subject,
                    on_change=ContactState.set_subject,
                    max_length=200,
                    auto_complete="off",
                ),
                "contact-subject",
                error=ContactState.subject_error,
            ),
            field(
                "Message",
                rx.el.textarea(
                    id="contact-body",
                    value=ContactState.body,
                    on_change=ContactState.set_body,
                    rows=7,
                    max_length=5000,
                    style={**INPUT_STYLE, "resize": "vertical"},
                ),
                "contact-body",
                error=ContactState.body_error,
            ),
            field("Enfant concerné (facultatif)", _child_select(), "contact-child", error=ContactState.child_error),
            _attachment_field(),
            rx.button(
                rx.icon("send", size=16, aria_hidden="true"),
                "Envoyer",
                type="button",
                size="3",
                on_click=ContactState.send(rx.upload_files(upload_id=ATTACHMENT_UPLOAD_ID)),
            ),
            spacing="4",
            align="stretch",
            margin_top="0.5rem",
        ),
    )


def contact_page() -> rx.Component:
    return family_page(
        "Contact",
        rx.text("Pour toute question, écrivez à la mairie avec ce formulaire ou appelez-la."),
        _coordinates(),
        rx.cond(
            ContactState.sent_message != "",
            rx.vstack(
                callout(ContactState.sent_message, "success"),
                rx.button("Écrire un autre message", variant="outline", on_click=ContactState.new_message),
                spacing="3",
                align="start",
            ),
            _contact_form(),
        ),
    )
