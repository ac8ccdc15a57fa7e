"""`/{slug}`: the commune's portal entry, with the guide's SE CONNECTER button."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.layout import link_button, portal_page
from cantine_portal.state.portal import PortalState


def home() -> rx.Component:
    return portal_page(
        rx.vstack(
            rx.heading("Bienvenue sur le portail famille", as_="h1", size="7"),
            rx.text(
                "Réservez la restauration scolaire, la garderie et l'accueil de loisirs de vos enfants, "
                "réglez votre panier en ligne et retrouvez vos reçus et les documents de la commune."
            ),
            link_button("SE CONNECTER", "/" + PortalState.portal_slug + "/connexion", size="3"),
            spacing="4",
            align="start",
        )
    )


def root() -> rx.Component:
    return rx.el.main(
        rx.vstack(
            rx.heading("Portail famille", as_="h1", size="7"),
            rx.text("Ouvrez l'adresse du portail de votre commune, communiquée par e-mail (par exemple …/votreville)."),
            spacing="3",
            style={"max_width": "60rem", "margin": "0 auto", "padding": "1rem"},
        )
    )
