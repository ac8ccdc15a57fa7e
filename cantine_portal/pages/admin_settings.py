"""Back office « Paramètres »: the commune's identity and logo, its booking rules, what parents may
edit, the diets offered and the online payment provider."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import (
    checkbox,
    error_summary,
    grid,
    input_field,
    section,
    select_field,
    submit,
)
from cantine_portal.components.admin_layout import admin_page
from cantine_portal.components.file_picker import file_picker
from cantine_portal.components.forms import INPUT_STYLE, callout, field, message_if
from cantine_portal.components.upload_reset import upload_reset
from cantine_portal.french import WEEKDAYS
from cantine_portal.pages.admin_common import state_messages
from cantine_portal.state.admin_config import LOGO_UPLOAD_ID, AdminSettingsState
from cantine_portal.state.portal import PortalState

S = AdminSettingsState


def _logo_section() -> rx.Component:
    """The commune's logo: preview, file picker (PNG, JPEG, SVG), save and remove."""
    return section(
        "Logo de la commune",
        rx.text(
            "Le logo de la commune (pas celui de l'État) apparaît dans l'en-tête du portail, dans les e-mails "
            "et sur les reçus. Une image PNG, JPEG ou SVG d'1 Mo au maximum ; un logo SVG apparaît sur le "
            "portail, les e-mails et les reçus reprennent alors le nom de la commune dans sa couleur.",
            size="2",
        ),
        rx.cond(
            PortalState.commune_logo_url != "",
            rx.hstack(
                rx.el.img(
                    src=PortalState.commune_logo_url,
                    alt="Logo actuel de " + PortalState.commune_name,
                    id="logo-preview",
                    style={"height": "64px", "width": "auto"},
                ),
                rx.button("Retirer le logo", type="button", variant="outline", size="3", on_click=S.remove_logo),
                align="center",
                spacing="4",
            ),
            rx.text("Aucun logo pour l'instant.", size="2"),
        ),
        file_picker(
            LOGO_UPLOAD_ID,
            icon="image",
            button="Choisir une image",
            input_label="Image du logo (PNG, JPEG ou SVG)",
            accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/svg+xml": [".svg"]},
        ),
        upload_reset(LOGO_UPLOAD_ID),
        message_if(S.logo_message, "success"),
        message_if(S.logo_error, "error"),
        rx.button(
            "Enregistrer le logo",
            id="logo-save",
            size="3",
            on_click=S.upload_logo(rx.upload_files(upload_id=LOGO_UPLOAD_ID)),
        ),
    )


def _colour_field(v) -> rx.Component:
    """The main colour as a hex code, with a swatch showing white text on it."""
    return rx.vstack(
        input_field(
            "Couleur principale (code #RRVVBB)",
            "primary_color",
            "set-colour",
            v.get("primary_color", ""),
            S.errors,
            hint="Le texte blanc doit rester lisible sur cette couleur (contraste d'au moins 4,5:1).",
            placeholder="#1d4e89",
            auto_complete="off",
        ),
        rx.el.div(
            "Texte blanc sur la couleur de la commune",
            aria_hidden="true",
            style={
                "background": "var(--commune-primary, #1d4e89)",
                "color": "#ffffff",
                "padding": "0.5rem 0.75rem",
                "border_radius": "6px",
                "font_weight": "600",
            },
        ),
        spacing="2",
        width="100%",
        align="stretch",
    )


SETTINGS_ERROR_FIELDS = [
    ("name", "set-name", "Nom affiché"),
    ("address_line", "set-address", "Adresse"),
    ("postal_code", "set-postal", "Code postal"),
    ("city", "set-city", "Ville"),
    ("phone", "set-phone", "Téléphone"),
    ("email", "set-email", "E-mail de la commune"),
    ("primary_color", "set-colour", "Couleur principale"),
    ("period_mode", "set-period", "Période de réservation"),
    ("deadline_kind", "set-kind", "Règle de date limite"),
    ("deadline_weekday", "set-weekday", "Jour de la semaine"),
    ("deadline_days_before", "set-days", "Nombre de jours"),
    ("deadline_time", "set-time", "Heure limite"),
    ("absence_deadline_time", "set-absence-time", "Absences : heure limite du jour même"),
    ("absence_carence_days", "set-carence", "Absences : jours de carence"),
    ("diets", "set-diets", "Régimes proposés"),
    ("payment_provider", "set-provider", "Paiement en ligne"),
]


def settings_page() -> rx.Component:
    v = S.values
    return admin_page(
        "Paramètres",
        state_messages(S),
        _logo_section(),
        rx.el.form(
            rx.vstack(
                error_summary(S.errors, SETTINGS_ERROR_FIELDS),
                _identity_section(v),
                _booking_section(v),
                _absences_section(v),
                _edits_section(v),
                _diets_and_payment_section(v),
                submit("Enregistrer", size="3"),
                spacing="4",
                align="start",
                width="100%",
            ),
            key=S.form_key.to_string(),
            on_submit=S.save,
        ),
    )


def _identity_section(v: rx.Var) -> rx.Component:
    """The commune's name, address, phone, e-mail and colour (header, e-mails, receipts)."""
    return section(
        "Identité et coordonnées de la commune",
        grid(
            input_field("Nom affiché", "name", "set-name", v.get("name", ""), S.errors),
            input_field("Adresse", "address_line", "set-address", v.get("address_line", ""), S.errors),
            input_field(
                "Code postal",
                "postal_code",
                "set-postal",
                v.get("postal_code", ""),
                S.errors,
                input_mode="numeric",
            ),
            input_field("Ville", "city", "set-city", v.get("city", ""), S.errors),
            input_field("Téléphone", "phone", "set-phone", v.get("phone", ""), S.errors, type="tel"),
            input_field(
                "E-mail de la commune (réponses aux familles)",
                "email",
                "set-email",
                v.get("email", ""),
                S.errors,
                type="email",
            ),
            _colour_field(v),
        ),
    )


def _booking_section(v: rx.Var) -> rx.Component:
    """The booking period and its deadline rule, with the rule as saved in words."""
    return section(
        "Réservations",
        grid(*_booking_fields(v)),
        rx.cond(
            S.deadline_text != "",
            rx.text(
                "Règle enregistrée : les familles réservent au plus tard ",
                S.deadline_text,
                ".",
                margin_top="0.5rem",
            ),
        ),
    )


def _booking_fields(v: rx.Var) -> list[rx.Component]:
    return [
        select_field(
            "Période de réservation",
            "period_mode",
            "set-period",
            v.get("period_mode", ""),
            [("week", "Semaine"), ("month", "Mois")],
            S.errors,
        ),
        select_field(
            "Règle de date limite",
            "deadline_kind",
            "set-kind",
            v.get("deadline_kind", ""),
            [
                ("weekday_before", "Un jour de la semaine précédant la période"),
                ("days_before", "Un nombre de jours avant la période"),
            ],
            S.errors,
        ),
        select_field(
            "Jour de la semaine (première règle)",
            "deadline_weekday",
            "set-weekday",
            v.get("deadline_weekday", ""),
            [(str(i), name.capitalize()) for i, name in enumerate(WEEKDAYS)],
            S.errors,
        ),
        input_field(
            "Nombre de jours avant (seconde règle)",
            "deadline_days_before",
            "set-days",
            v.get("deadline_days_before", ""),
            S.errors,
            type="number",
            min="0",
            max="60",
        ),
        input_field(
            "Heure limite (HH:MM)",
            "deadline_time",
            "set-time",
            v.get("deadline_time", ""),
            S.errors,
            placeholder="23:59",
        ),
        input_field(
            "Rappel par e-mail, jours avant la date limite (0 : aucun)",
            "reminder_days_before",
            "set-reminder",
            v.get("reminder_days_before", ""),
            S.errors,
            type="number",
            min="0",
            max="14",
        ),
    ]


def _absences_section(v: rx.Var) -> rx.Component:
    """Sick-day absences: how late a parent may declare today's absence, and the carence."""
    return section(
        "Absences pour maladie",
        grid(
            input_field(
                "Heure limite pour signaler une absence le jour même (HH:MM)",
                "absence_deadline_time",
                "set-absence-time",
                v.get("absence_deadline_time", ""),
                S.errors,
                placeholder="09:00",
            ),
            input_field(
                "Jours de carence non remboursés (0 : avoir dès le premier jour)",
                "absence_carence_days",
                "set-carence",
                v.get("absence_carence_days", ""),
                S.errors,
                type="number",
                min="0",
                max="10",
            ),
        ),
    )


def _edits_section(v: rx.Var) -> rx.Component:
    """Whether parents may edit their guardians and children themselves."""
    return section(
        "Modifications en ligne par les familles",
        checkbox(
            "Les familles peuvent modifier les responsables (page Famille)",
            "allow_family_edit",
            "set-family-edit",
            v.get("allow_family_edit", "") == "1",
        ),
        checkbox(
            "Les familles peuvent modifier les enfants (page Enfants)",
            "allow_children_edit",
            "set-children-edit",
            v.get("allow_children_edit", "") == "1",
        ),
    )


def _diets_and_payment_section(v: rx.Var) -> rx.Component:
    """The diets parents choose from and the online payment provider with its account numbers."""
    return section(
        "Régimes et paiement",
        grid(
            field(
                "Régimes proposés (un par ligne)",
                rx.el.textarea(
                    id="set-diets",
                    name="diets",
                    default_value=v.get("diets", ""),
                    rows=5,
                    style=INPUT_STYLE,
                ),
                "set-diets",
                error=S.errors.get("diets", ""),
            ),
            select_field(
                "Paiement en ligne",
                "payment_provider",
                "set-provider",
                v.get("payment_provider", ""),
                [
                    ("simulated", "Simulé (démonstration)"),
                    ("stripe", "Stripe"),
                    ("payfip", "PayFiP (DGFiP)"),
                    ("systempay", "Systempay / PayZen"),
                ],
                S.errors,
            ),
            min_width="20rem",
        ),
        _provider_accounts(v),
        rx.cond(
            S.payment_notice != "",
            rx.cond(S.payment_ok, callout(S.payment_notice, "info"), callout(S.payment_notice, "error")),
        ),
    )


def _provider_accounts(v: rx.Var) -> rx.Component:
    """The regie's numbers at PayFiP and Systempay, and whether each runs in test or for real."""
    return grid(
        input_field(
            "Numéro de régie PayFiP (numcli)",
            "payfip_numcli",
            "set-payfip-numcli",
            v.get("payfip_numcli", ""),
            S.errors,
            hint="6 chiffres fournis par la DGFiP",
            input_mode="numeric",
            max_length=6,
        ),
        select_field(
            "Mode PayFiP",
            "payfip_mode",
            "set-payfip-mode",
            v.get("payfip_mode", "T"),
            [("T", "Test"), ("X", "Activation"), ("W", "Production")],
            S.errors,
        ),
        input_field(
            "Identifiant de boutique Systempay",
            "systempay_site_id",
            "set-systempay-site",
            v.get("systempay_site_id", ""),
            S.errors,
            hint="8 chiffres",
            input_mode="numeric",
            max_length=8,
        ),
        select_field(
            "Mode Systempay",
            "systempay_mode",
            "set-systempay-mode",
            v.get("systempay_mode", "TEST"),
            [("TEST", "Test"), ("PRODUCTION", "Production")],
            S.errors,
        ),
        min_width="14rem",
    )
