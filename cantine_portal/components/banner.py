"""The guide's "bandeau principal": the family's navigation, and the protected page frame."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.forms import PostForm
from cantine_portal.components.layout import PAGE_STYLE, portal_page
from cantine_portal.state.auth import AuthState

# (label as in the guide, path under /{slug}/, icon)
BANNER_ITEMS = [
    ("Famille", "famille", "users"),
    ("Enfants", "enfants", "baby"),
    ("Réservations", "reservations", "calendar-check"),
    ("Factures", "factures", "receipt"),
    ("Documents", "documents", "file-text"),
    ("Mot de Passe", "mot-de-passe", "key-round"),
    ("Contact", "contact", "mail"),
    ("Préférences", "preferences", "bell"),
]

_LINK_STYLE = {
    "display": "inline-flex",
    "align_items": "center",
    "gap": "0.35rem",
    "padding": "0.5rem 0.7rem",
    "border_radius": "6px",
    "color": "var(--gray-12)",
    "text_decoration": "none",
    "font_weight": "500",
    "_hover": {"background": "var(--accent-4)"},
}


def banner() -> rx.Component:
    slug = AuthState.portal_slug
    links = [
        rx.el.li(
            rx.el.a(rx.icon(icon, size=18, aria_hidden="true"), label, href="/" + slug + "/" + path,
                    style=_LINK_STYLE),
        )
        for label, path, icon in BANNER_ITEMS
    ]
    logout = rx.el.li(
        PostForm.create(
            rx.el.button(
                rx.icon("log-out", size=18, aria_hidden="true"), "Se déconnecter", type="submit",
                style={**_LINK_STYLE, "background": "none", "border": "1px solid var(--gray-7)", "cursor": "pointer"},
            ),
            action="/api/" + slug + "/deconnexion",
            method="post",
        )
    )
    return rx.el.nav(
        rx.el.ul(
            rx.el.li(rx.el.a(rx.icon("house", size=18, aria_hidden="true"), "Accueil",
                             href="/" + slug + "/accueil", style=_LINK_STYLE)),
            *links,
            logout,
            style={"display": "flex", "flex_wrap": "wrap", "gap": "0.25rem", "list_style": "none",
                   "margin": "0", "padding": "0.25rem 0"},
        ),
        aria_label="Bandeau principal",
        style={**PAGE_STYLE, "padding_top": "0.25rem", "padding_bottom": "0.25rem"},
    )


def family_page(title: str, *children: rx.Component) -> rx.Component:
    """A page behind login: banner, title, content. Nothing shows until the session is checked."""
    return portal_page(
        rx.cond(
            AuthState.logged_in,
            rx.vstack(
                rx.el.div(banner(), style={"border_bottom": "1px solid var(--gray-5)", "width": "100%"}),
                rx.heading(title, as_="h1", size="7", margin_top="0.5rem"),
                *children,
                spacing="4",
                width="100%",
                align="stretch",
            ),
            rx.center(rx.spinner(size="3"), rx.text("Chargement…", margin_left="0.5rem"), padding="3rem"),
        )
    )
