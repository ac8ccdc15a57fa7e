"""Back office: Documents (upload, replace, publish, remove the files shown to families)."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import grid, input_field, section, submit, summarised_form
from cantine_portal.components.admin_layout import admin_page, table, td
from cantine_portal.components.file_picker import file_picker
from cantine_portal.components.forms import INPUT_STYLE, field
from cantine_portal.pages.admin_common import LINK, SR_ONLY, state_messages
from cantine_portal.services.backoffice.documents import CATEGORIES
from cantine_portal.state.admin_daily import DOCUMENT_UPLOAD_ID, REPLACE_UPLOAD_ID, AdminDocumentsState

D = AdminDocumentsState


def _file_picker(upload_id: str, label: str) -> rx.Component:
    return file_picker(
        upload_id,
        icon="paperclip",
        button="Choisir un fichier PDF",
        input_label=label,
        accept={"application/pdf": [".pdf"]},
    )


def _document_row(row, index) -> rx.Component:
    key = index.to_string()
    return rx.el.tr(
        td(
            rx.el.a(
                row["title"],
                rx.el.span(" (PDF, nouvel onglet)", style={"font_weight": "400"}),
                href=row["href"],
                target="_blank",
                rel="noopener",
                style=LINK,
            )
        ),
        td(row["category"]),
        td(
            rx.hstack(
                rx.icon(rx.cond(row["published"] == "1", "eye", "eye-off"), size=16, aria_hidden="true"),
                rx.text(row["status"]),
                spacing="1",
                align="center",
            )
        ),
        td(row["date"], " — ", row["size"]),
        td(
            rx.vstack(
                rx.button(
                    rx.cond(row["published"] == "1", "Retirer de la publication", "Publier"),
                    rx.el.span(" « ", row["title"], " »", style=SR_ONLY),
                    size="1",
                    variant="soft",
                    on_click=D.toggle_published(index),
                ),
                rx.el.details(
                    rx.el.summary("Modifier le titre ou la catégorie", style={"cursor": "pointer"}),
                    summarised_form(
                        input_field("Titre", "title", "doc-title-" + key, row["title"]),
                        input_field("Catégorie", "category", "doc-cat-" + key, row["category"]),
                        rx.el.input(type="hidden", name="row", value=key),
                        submit("Enregistrer", size="1"),
                        on_submit=D.save_meta,
                        key=D.form_key.to_string() + key,
                    ),
                ),
                spacing="2",
            )
        ),
    )


def _add_section() -> rx.Component:
    """« Ajouter un document »: title, category (suggested ones offered), the PDF, published or not."""
    return section(
        "Ajouter un document",
        grid(
            field(
                "Titre du nouveau document",
                rx.el.input(id="doc-new-title", value=D.new_title, on_change=D.set_new_title, style=INPUT_STYLE),
                "doc-new-title",
                error=D.errors.get("title", ""),
            ),
            field(
                "Catégorie du nouveau document",
                rx.el.input(
                    id="doc-new-category",
                    value=D.new_category,
                    on_change=D.set_new_category,
                    list="doc-categories",
                    style=INPUT_STYLE,
                ),
                "doc-new-category",
                error=D.errors.get("category", ""),
            ),
        ),
        rx.el.datalist(*[rx.el.option(value=c) for c in CATEGORIES], id="doc-categories"),
        rx.text("Un fichier PDF, ", D.max_size_label, " au maximum.", size="2"),
        _file_picker(DOCUMENT_UPLOAD_ID, "Fichier PDF du document"),
        rx.cond(
            D.errors.get("file", "") != "",
            rx.text("⚠ ", D.errors.get("file", ""), color_scheme="red", role="alert", size="2"),
        ),
        rx.el.div(
            rx.el.label(
                rx.el.input(
                    type="checkbox",
                    id="doc-new-published",
                    checked=D.new_published,
                    on_change=D.set_new_published,
                    style={"width": "1.1rem", "height": "1.1rem"},
                ),
                "Publier tout de suite (visible des familles)",
                html_for="doc-new-published",
                style={"display": "inline-flex", "gap": "0.4rem", "align_items": "center"},
            )
        ),
        rx.button(
            "Ajouter le document",
            margin_top="0.5rem",
            on_click=D.upload(rx.upload_files(upload_id=DOCUMENT_UPLOAD_ID)),
        ),
    )


def _replace_section() -> rx.Component:
    """« Remplacer le fichier d'un document »: the document chosen in a list, then its new PDF."""
    return section(
        "Remplacer le fichier d'un document",
        field(
            "Document",
            rx.el.select(
                rx.el.option("Choisir…", value=""),
                rx.foreach(D.rows, lambda r, i: rx.el.option(r["title"], value=i.to_string())),
                id="doc-replace",
                value=D.replace_choice,
                on_change=D.set_replace_choice,
                style=INPUT_STYLE,
            ),
            "doc-replace",
        ),
        _file_picker(REPLACE_UPLOAD_ID, "Nouveau fichier PDF"),
        rx.button(
            "Remplacer le fichier",
            variant="outline",
            on_click=D.replace(rx.upload_files(upload_id=REPLACE_UPLOAD_ID)),
        ),
    )


def documents_page() -> rx.Component:
    return admin_page(
        "Documents",
        state_messages(D),
        _add_section(),
        table(
            ["Titre", "Catégorie", "État", "Date et taille", "Actions"],
            rx.foreach(D.rows, _document_row),
            caption="Documents de la commune",
        ),
        _replace_section(),
    )
