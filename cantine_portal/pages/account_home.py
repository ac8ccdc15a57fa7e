"""`/{slug}/accueil`: where a parent lands after logging in."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.banner import BANNER_ITEMS, family_page
from cantine_portal.state.auth import AuthState


def account_home() -> rx.Component:
    return family_page(
        "Mon espace famille",
        rx.text("Bonjour ", rx.el.strong(AuthState.display_name), " — famille ", AuthState.family_name, "."),
        rx.text(
            "Utilisez le bandeau ci-dessus : Réservations pour inscrire vos enfants jour par jour puis "
            "valider votre panier, Factures pour vos reçus, Documents pour les menus et informations de "
            "la commune, Contact pour écrire à la mairie."
        ),
    )


__all__ = ["account_home", "BANNER_ITEMS"]
