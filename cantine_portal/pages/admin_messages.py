"""Back office: Messages (the families' contact requests and the staff's answers)."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import submit, summarised_form
from cantine_portal.components.admin_layout import admin_page
from cantine_portal.components.forms import INPUT_STYLE, field
from cantine_portal.pages.admin_common import LINK, state_messages
from cantine_portal.state.admin_daily import AdminMessagesState

M = AdminMessagesState


def _reply_form(row, index) -> rx.Component:
    """Répondre (by e-mail, the text kept under the message) and the « traité » switch. The form's key
    changes whenever the list is shown again (after a reply), so that the browser empties its textarea."""
    key = index.to_string()
    return summarised_form(
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
    )


def _message(row, index) -> rx.Component:
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
        _reply_form(row, index),
        style={"padding": "0.8rem", "border": "1px solid var(--gray-6)", "border_radius": "8px"},
    )


def messages_page() -> rx.Component:
    return admin_page(
        "Messages",
        state_messages(M),
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
