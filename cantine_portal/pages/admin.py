"""Back office: the staff login and the home page."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_layout import ADMIN_ITEMS, admin_frame, admin_page
from cantine_portal.components.forms import login_form
from cantine_portal.state.admin import StaffLoginState, StaffState
from cantine_portal.state.admin_tasks import AdminHomeState

NARROW = {"max_width": "28rem", "width": "100%"}

DESCRIPTIONS = {
    "parametres": "Coordonnées de la commune, période et date limite de réservation, régimes, paiement.",
    "prestations": "Prestations proposées, jours de service, tarifs et grilles selon le quotient familial.",
    "calendrier": "Jours fériés, vacances scolaires et fermetures exceptionnelles.",
    "familles": "Rechercher, créer, modifier, importer les familles ; voir leurs réservations et paiements.",
    "effectifs": "Les enfants attendus un jour donné, par école et par régime ; export CSV et PDF.",
    "absences": "Les absences pour maladie signalées par les familles : certificat, validation (avoir) ou refus.",
    "documents": "Publier les menus, le règlement et les informations aux familles.",
    "messages": "Les messages des familles, leurs pièces jointes, vos réponses.",
    "paiements": "Les paiements en ligne, totaux par jour et par mois ; export pour la comptabilité.",
    "regie": "Le journal de la régie par jour et par mois, sa clôture ; CSV et PDF pour le régisseur.",
    "quotients": "Les quotients familiaux : saisie, import CSV, attestations des familles, expirations.",
    "aide-cantine-1-euro": "La demande d'aide « cantine à 1 € » par quadrimestre, par mois et par école.",
}


def staff_login_page() -> rx.Component:
    slug = StaffLoginState.portal_slug
    return admin_frame(
        rx.vstack(
            rx.heading("Connexion au back-office", as_="h1", size="7"),
            rx.text(
                "Réservé aux agents de la commune. Les familles se connectent depuis ",
                rx.link("le portail famille", href="/" + slug + "/connexion", underline="always"),
                ".",
            ),
            login_form(
                StaffLoginState,
                id_prefix="staff",
                email_label="Adresse e-mail de l'agent",
                submit_label="Se connecter",
                action="/api/" + slug + "/admin/connexion",
                style=NARROW,
            ),
            rx.text(
                "Mot de passe oublié : demandez à l'administrateur du portail un nouveau compte ou utilisez "
                "« PREMIÈRE CONNEXION OU MOT DE PASSE OUBLIÉ » sur la page de connexion des familles.",
                size="2",
                color_scheme="gray",
                high_contrast=True,
            ),
            spacing="4",
            style=NARROW,
        )
    )


def admin_home_page() -> rx.Component:
    slug = StaffState.portal_slug
    cards = [
        rx.el.li(
            rx.el.a(
                rx.icon(icon, size=20, aria_hidden="true"),
                " ",
                label,
                href="/" + slug + "/admin/" + path,
                style={
                    "font_weight": "600",
                    "font_size": "18px",
                    "color": "var(--accent-12)",
                    "display": "inline-flex",
                    "align_items": "center",
                    "gap": "0.4rem",
                },
            ),
            rx.text(DESCRIPTIONS[path], size="2"),
            style={"padding": "0.8rem", "border": "1px solid var(--gray-6)", "border_radius": "8px"},
        )
        for label, path, icon in ADMIN_ITEMS
    ]
    return admin_page(
        "Back-office",
        rx.el.ul(
            *cards,
            style={
                "display": "grid",
                "grid_template_columns": "repeat(auto-fill, minmax(18rem, 1fr))",
                "gap": "0.75rem",
                "list_style": "none",
                "padding": "0",
                "margin": "0",
            },
        ),
        _tasks_box(),
    )


def _tasks_box() -> rx.Component:
    """« Tâches »: background work that failed for good (details in the logs) and reminders sent."""
    return rx.el.section(
        rx.heading("Tâches", as_="h2", size="5"),
        rx.cond(
            AdminHomeState.tasks_failed > 0,
            rx.vstack(
                rx.text(
                    rx.icon("triangle-alert", size=16, aria_hidden="true"),
                    " Tâches en échec (30 derniers jours) : ",
                    AdminHomeState.tasks_failed,
                    " — prévenez votre hébergeur.",
                    color="var(--red-11)",
                ),
                rx.el.ul(rx.foreach(AdminHomeState.task_failures, lambda line: rx.el.li(line))),
            ),
            rx.text("Aucune tâche en échec."),
        ),
        rx.cond(
            AdminHomeState.tasks_late > 0,
            rx.text(
                "Tâches en retard de plus de 10 minutes : ",
                AdminHomeState.tasks_late,
                " (le traitement en arrière-plan est-il démarré ?)",
            ),
        ),
        rx.heading("Rappels envoyés par période", as_="h3", size="3", margin_top="0.75rem"),
        rx.cond(
            AdminHomeState.reminders_sent.length() > 0,
            rx.el.ul(rx.foreach(AdminHomeState.reminders_sent, lambda line: rx.el.li(line))),
            rx.text("Aucun rappel envoyé pour le moment."),
        ),
        margin_top="1.5rem",
        width="100%",
    )
