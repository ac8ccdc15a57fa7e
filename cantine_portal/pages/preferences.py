"""Préférences: deadline reminder e-mails, and the family's private calendar address."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.banner import family_page
from cantine_portal.components.forms import callout
from cantine_portal.pages.guardian_access import leave_section, mail_section
from cantine_portal.state.preferences import PreferencesState as S


def _reminders() -> rx.Component:
    return rx.el.section(
        rx.heading("Rappels avant la date limite", as_="h2", size="5"),
        rx.text(
            "Un e-mail quelques jours avant la date limite des réservations, si rien n'est réservé pour la "
            "période ou si votre panier attend son paiement."
        ),
        rx.el.label(
            rx.checkbox(checked=S.reminders_enabled, on_change=S.set_reminders, id="rappels"),
            " Recevoir les rappels par e-mail",
            html_for="rappels",
            style={"display": "flex", "gap": "0.5rem", "align_items": "center"},
        ),
        width="100%",
    )


def _feed() -> rx.Component:
    return rx.el.section(
        rx.heading("Agenda", as_="h2", size="5"),
        rx.text(
            "Ajoutez vos réservations (payées et en attente) à l'agenda de votre téléphone : générez une "
            "adresse privée, puis abonnez-vous à cette adresse depuis votre application d'agenda. "
            "Ne la partagez pas : elle donne accès à vos réservations."
        ),
        rx.cond(
            S.feed_url != "",
            rx.vstack(
                rx.text("Votre adresse privée (affichée une seule fois, copiez-la maintenant) :"),
                rx.code(S.feed_url, id="adresse-agenda", style={"word_break": "break-all"}),
                width="100%",
            ),
            rx.cond(
                S.feed_active,
                rx.text("Une adresse d'agenda est active."),
                rx.text("Aucune adresse d'agenda n'est active."),
            ),
        ),
        rx.hstack(
            rx.button("Générer une nouvelle adresse", on_click=S.regenerate_feed),
            rx.cond(
                S.feed_active,
                rx.button("Supprimer l'adresse", variant="soft", color_scheme="red", on_click=S.revoke_feed),
            ),
            wrap="wrap",
        ),
        width="100%",
    )


def preferences_page() -> rx.Component:
    return family_page(
        "Préférences",
        rx.cond(S.preferences_message != "", callout(S.preferences_message, "success")),
        rx.cond(
            S.preferences_loaded,
            rx.vstack(_reminders(), mail_section(), _feed(), leave_section(), spacing="6", width="100%"),
            rx.text("Chargement…"),
        ),
    )
