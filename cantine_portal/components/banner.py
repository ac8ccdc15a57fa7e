"""The guide's "bandeau principal": the family's navigation, the waiting basket, the protected frame.

One list of links, shown on one line on desktop and behind one « Menu » button below 768 px (a
native ``<details>``: no script). The current page's link carries ``aria-current="page"``.
"""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.forms import PostForm
from cantine_portal.components.layout import portal_page
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
MENU = [("Accueil", "accueil", "house"), *BANNER_ITEMS]


def _menu_list() -> rx.Component:
    slug = AuthState.portal_slug
    links = [
        rx.el.li(
            rx.el.a(
                rx.icon(icon, size=18, aria_hidden="true"),
                label,
                href="/" + slug + "/" + path,
                class_name="menu-link",
                aria_current=rx.cond(AuthState.current_page == path, "page", "false"),
            ),
        )
        for label, path, icon in MENU
    ]
    logout = rx.el.li(
        PostForm.create(
            rx.el.button(
                rx.icon("log-out", size=18, aria_hidden="true"),
                "Se déconnecter",
                type="submit",
                class_name="menu-link menu-logout",
            ),
            action="/api/" + slug + "/deconnexion",
            method="post",
        )
    )
    return rx.el.ul(*links, logout, class_name="menu-list")


def waiting_notice() -> rx.Component:
    """« 2 réservations en attente de paiement — 7,70 € · Payer », on every family page."""
    return rx.cond(
        AuthState.waiting_text != "",
        rx.el.div(
            rx.el.div(
                rx.el.span("🛒 ", aria_hidden="true"),
                rx.el.strong(AuthState.waiting_text),
                rx.el.a("Payer", href="/" + AuthState.portal_slug + "/reservations?panier=1"),
                class_name="waiting-inner",
            ),
            class_name="waiting-bar",
            role="region",
            aria_label="Panier en attente de paiement",
        ),
    )


def banner() -> rx.Component:
    return rx.el.div(
        rx.el.nav(
            rx.el.div(_menu_list(), class_name="menu-desktop"),
            rx.el.details(
                rx.el.summary(rx.icon("menu", size=20, aria_hidden="true"), "Menu"),
                _menu_list(),
                class_name="menu-phone",
            ),
            aria_label="Bandeau principal",
            class_name="banner-inner",
        ),
        waiting_notice(),
        class_name="banner",
    )


def family_page(title: str, *children: rx.Component) -> rx.Component:
    """A page behind login: banner, title, content. Nothing shows until the session is checked."""
    return portal_page(
        rx.cond(
            AuthState.logged_in,
            rx.vstack(
                rx.heading(title, as_="h1", size="7"),
                *children,
                spacing="3",
                width="100%",
                align="stretch",
            ),
            rx.center(rx.spinner(size="3"), rx.text("Chargement…", margin_left="0.5rem"), padding="3rem"),
        ),
        menu=rx.cond(AuthState.logged_in, banner(), rx.fragment()),
    )
