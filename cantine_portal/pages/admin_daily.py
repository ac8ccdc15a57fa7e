"""Back office: Effectifs, Documents, Messages, Paiements."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import grid, input_field, section, select_field, submit
from cantine_portal.components.admin_layout import admin_page, table, td
from cantine_portal.components.forms import INPUT_STYLE, field, labelled_upload, message_if
from cantine_portal.services.backoffice.documents import CATEGORIES
from cantine_portal.state.admin_daily import (
    DOCUMENT_UPLOAD_ID,
    REPLACE_UPLOAD_ID,
    AdminAttendanceState,
    AdminDocumentsState,
    AdminMessagesState,
    AdminPaymentsState,
)

LINK = {
    "color": "var(--accent-12)",
    "font_weight": "600",
    "text_decoration": "underline",
    "display": "inline-flex",
    "align_items": "center",
    "gap": "0.3rem",
}
SR_ONLY = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "overflow": "hidden",
    "clip": "rect(0 0 0 0)",
    "white_space": "nowrap",
}


def _messages(state) -> rx.Component:
    return rx.fragment(message_if(state.success_message, "success"), message_if(state.error_message, "error"))


A = AdminAttendanceState


def _counts(title: str, rows) -> rx.Component:
    return table([title, "Nombre"], rx.foreach(rows, lambda r: rx.el.tr(td(r[0]), td(r[1]))))


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
                rx.hstack(
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
                ),
                grid(
                    rx.box(_counts("École", A.by_school)),
                    rx.box(_counts("Régime", A.by_diet)),
                    rx.box(rx.text("Enfants avec PAI : ", rx.el.strong(A.pai_count))),
                    min_width="18rem",
                ),
                table(
                    ["Enfant", "Famille", "École", "Classe", "Régime", "PAI"],
                    rx.foreach(
                        A.rows,
                        lambda r: rx.el.tr(
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
                        ),
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


D = AdminDocumentsState


def _file_picker(upload_id: str, label: str) -> rx.Component:
    chosen = rx.selected_files(upload_id)
    return labelled_upload(
        rx.flex(
            rx.el.button(
                rx.icon("paperclip", size=16, aria_hidden="true"),
                " Choisir un fichier PDF",
                type="button",
                style={
                    "display": "inline-flex",
                    "align_items": "center",
                    "gap": "0.35rem",
                    "padding": "0.5rem 0.9rem",
                    "border": "1px solid var(--gray-8)",
                    "border_radius": "6px",
                    "background": "var(--gray-2)",
                    "color": "var(--gray-12)",
                    "cursor": "pointer",
                },
            ),
            rx.text(
                rx.cond(chosen.length() > 0, "Fichier choisi : " + chosen.join(", "), "Aucun fichier choisi."), size="2"
            ),
            gap="0.75rem",
            align="center",
            wrap="wrap",
        ),
        upload_id=upload_id,
        input_label=label,
        multiple=False,
        accept={"application/pdf": [".pdf"]},
        style={"margin": "0.5rem 0"},
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
                    rx.el.form(
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


def documents_page() -> rx.Component:
    return admin_page(
        "Documents",
        _messages(D),
        section(
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
        ),
        table(
            ["Titre", "Catégorie", "État", "Date et taille", "Actions"],
            rx.foreach(D.rows, _document_row),
            caption="Documents de la commune",
        ),
        section(
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
        ),
    )


M = AdminMessagesState


def _message(row, index) -> rx.Component:
    key = index.to_string()
    return rx.el.li(
        rx.hstack(
            rx.heading(row["subject"], as_="h2", size="4"),
            rx.badge(
                rx.cond(row["handled"] == "1", "✓ ", "● "),
                row["handled_label"],
                color_scheme=rx.cond(row["handled"] == "1", "green", "orange"),
                high_contrast=True,
            ),
            align="center",
            wrap="wrap",
        ),
        rx.text(
            "Le ",
            row["date"],
            " — famille ",
            rx.el.strong(row["family"]),
            " (",
            row["email"],
            ")",
            rx.cond(row["child"] != "", rx.fragment(" — enfant : ", row["child"])),
            size="2",
        ),
        rx.el.p(row["body"], style={"white_space": "pre-wrap", "margin": "0.5rem 0"}),
        rx.cond(
            row["attachment"] != "",
            rx.el.a(
                rx.icon("paperclip", size=16, aria_hidden="true"),
                " Pièce jointe : ",
                row["attachment"],
                href=row["attachment_href"],
                target="_blank",
                rel="noopener",
                style=LINK,
            ),
        ),
        rx.foreach(
            M.replies[index],
            lambda r: rx.text(r, size="2", color_scheme="gray", high_contrast=True, style={"white_space": "pre-wrap"}),
        ),
        rx.el.form(
            field(
                "Répondre par e-mail à la famille",
                rx.el.textarea(id="reply-" + key, name="reply", rows=3, style=INPUT_STYLE),
                "reply-" + key,
                error=rx.cond(M.error_row == key, M.reply_error, ""),
            ),
            rx.el.input(type="hidden", name="row", value=key),
            rx.hstack(
                submit("Envoyer la réponse"),
                rx.button(
                    rx.cond(row["handled"] == "1", "Remettre à traiter", "Marquer comme traité"),
                    type="button",
                    variant="outline",
                    on_click=M.toggle_handled(index),
                ),
                spacing="3",
                margin_top="0.5rem",
            ),
            on_submit=M.reply,
            key=M.form_key.to_string() + key,
        ),
        style={"padding": "0.8rem", "border": "1px solid var(--gray-6)", "border_radius": "8px"},
    )


def messages_page() -> rx.Component:
    return admin_page(
        "Messages",
        _messages(M),
        field(
            "Afficher",
            rx.el.select(
                rx.el.option("À traiter", value="open"),
                rx.el.option("Traités", value="handled"),
                rx.el.option("Tous", value="all"),
                id="msg-show",
                value=M.show,
                on_change=M.set_show,
                style={**INPUT_STYLE, "max_width": "16rem"},
            ),
            "msg-show",
        ),
        rx.cond(
            M.rows.length() > 0,
            rx.el.ul(
                rx.foreach(M.rows, _message),
                style={
                    "list_style": "none",
                    "padding": "0",
                    "display": "flex",
                    "flex_direction": "column",
                    "gap": "0.75rem",
                },
            ),
            rx.text("Aucun message."),
        ),
    )


Y = AdminPaymentsState


def payments_page() -> rx.Component:
    return admin_page(
        "Paiements",
        message_if(Y.error_message, "error"),
        rx.el.form(
            rx.flex(
                rx.box(input_field("Mois (vide : tous)", "month", "pay-month", Y.month, type="month"), width="14rem"),
                rx.box(
                    rx.vstack(
                        rx.el.label("Prestataire ou moyen", html_for="pay-provider", style={"font_weight": "600"}),
                        rx.el.select(
                            rx.foreach(Y.provider_options, lambda o: rx.el.option(o[1], value=o[0])),
                            id="pay-provider",
                            name="provider",
                            default_value=Y.provider,
                            style=INPUT_STYLE,
                        ),
                        spacing="1",
                        align="stretch",
                    ),
                    width="16rem",
                ),
                submit("Afficher", size="3"),
                align="end",
                gap="0.75rem",
                wrap="wrap",
            ),
            on_submit=Y.filter,
        ),
        rx.el.a(
            rx.icon("file-spreadsheet", size=16, aria_hidden="true"),
            " Exporter en CSV pour la comptabilité",
            href=Y.csv_url,
            style=LINK,
        ),
        grid(
            table(
                ["Mois", "Paiements réussis", "Total"],
                rx.foreach(Y.by_month, lambda r: rx.el.tr(td(r[0]), td(r[1]), td(r[2]))),
                caption="Totaux par mois",
            ),
            table(
                ["Jour", "Paiements réussis", "Total"],
                rx.foreach(Y.by_day, lambda r: rx.el.tr(td(r[0]), td(r[1]), td(r[2]))),
                caption="Totaux par jour",
            ),
            min_width="24rem",
        ),
        table(
            ["Date", "Famille", "Référence", "Prestataire", "Réf. prestataire", "Statut", "Montant", "Avoir", "Reçu"],
            rx.foreach(
                Y.rows,
                lambda r: rx.el.tr(
                    *[
                        td(r[k])
                        for k in (
                            "date",
                            "family",
                            "reference",
                            "provider",
                            "provider_reference",
                            "status",
                            "amount",
                            "credit",
                            "receipt",
                        )
                    ]
                ),
            ),
            caption="Paiements",
        ),
        rx.cond(Y.rows.length() == 0, rx.text("Aucun paiement.")),
    )
