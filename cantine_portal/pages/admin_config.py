"""Back office: Paramètres, Prestations et tarifs, Calendrier."""

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
    summarised_form,
)
from cantine_portal.components.admin_layout import admin_page, table, td
from cantine_portal.components.forms import INPUT_STYLE, callout, field, labelled_upload, message_if
from cantine_portal.components.upload_reset import upload_reset
from cantine_portal.french import WEEKDAYS
from cantine_portal.state.admin_config import (
    LOGO_UPLOAD_ID,
    WEEKDAY_KEYS,
    AdminCalendarState,
    AdminServicesState,
    AdminSettingsState,
)
from cantine_portal.state.portal import PortalState

S = AdminSettingsState


def _messages(state) -> rx.Component:
    return rx.fragment(message_if(state.success_message, "success"), message_if(state.error_message, "error"))


def _logo_section() -> rx.Component:
    """The commune's logo: preview, file picker (PNG, JPEG, SVG), save and remove."""
    chosen = rx.selected_files(LOGO_UPLOAD_ID)
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
        labelled_upload(
            rx.flex(
                rx.el.button(
                    rx.icon("image", size=16, aria_hidden="true"),
                    " Choisir une image",
                    type="button",
                    style={
                        "display": "inline-flex",
                        "align_items": "center",
                        "gap": "0.35rem",
                        "min_height": "44px",
                        "padding": "0.5rem 0.9rem",
                        "border": "1px solid var(--gray-8)",
                        "border_radius": "6px",
                        "background": "var(--gray-2)",
                        "color": "var(--gray-12)",
                        "cursor": "pointer",
                    },
                ),
                rx.text(
                    rx.cond(chosen.length() > 0, "Fichier choisi : " + chosen.join(", "), "Aucun fichier choisi."),
                    size="2",
                ),
                gap="0.75rem",
                align="center",
                wrap="wrap",
            ),
            upload_id=LOGO_UPLOAD_ID,
            input_label="Image du logo (PNG, JPEG ou SVG)",
            multiple=False,
            accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/svg+xml": [".svg"]},
            style={"margin": "0.5rem 0"},
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
    ("diets", "set-diets", "Régimes proposés"),
    ("payment_provider", "set-provider", "Paiement en ligne"),
]


def settings_page() -> rx.Component:
    v = S.values
    return admin_page(
        "Paramètres",
        _messages(S),
        _logo_section(),
        rx.el.form(
            rx.vstack(
                error_summary(S.errors, SETTINGS_ERROR_FIELDS),
                section(
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
                ),
                section(
                    "Réservations",
                    grid(
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
                    ),
                    rx.cond(
                        S.deadline_text != "",
                        rx.text(
                            "Règle enregistrée : les familles réservent au plus tard ",
                            S.deadline_text,
                            ".",
                            margin_top="0.5rem",
                        ),
                    ),
                ),
                section(
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
                ),
                section(
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
                    grid(
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
                    ),
                    rx.cond(
                        S.payment_notice != "",
                        rx.cond(S.payment_ok, callout(S.payment_notice, "info"), callout(S.payment_notice, "error")),
                    ),
                ),
                submit("Enregistrer", size="3"),
                spacing="4",
                align="start",
                width="100%",
            ),
            key=S.form_key.to_string(),
            on_submit=S.save,
        ),
    )


V = AdminServicesState


def _weekday_boxes(prefix, row: dict | None) -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend("Jours de service", style={"font_weight": "600"}),
        *[
            checkbox(
                name.capitalize(), key, prefix + "-" + key, (row[key] == "1") if row is not None else i < 5 and i != 2
            )
            for i, (key, name) in enumerate(zip(WEEKDAY_KEYS, WEEKDAYS, strict=True))
        ],
        style={"border": "none", "padding": "0", "margin": "0"},
    )


def _service_row(row: dict, index) -> rx.Component:
    prefix = "svc" + index.to_string()
    mine = V.error_row == index.to_string()
    price_mine = V.error_row == "price" + index.to_string()
    return rx.el.li(
        rx.heading(row["name"], as_="h2", size="4"),
        rx.text(
            "Tarif actuel : ",
            rx.el.strong(row["price_label"]),
            " — ",
            row["status"],
            " — ",
            row["weekdays_label"],
            size="2",
        ),
        rx.text("Historique : ", row["prices"], size="2", color_scheme="gray", high_contrast=True),
        summarised_form(
            grid(
                input_field("Nom", "name", prefix + "-name", row["name"], V.errors, when=mine),
                _weekday_boxes(prefix, row),
                checkbox(
                    "Prestation active (proposée aux familles)", "active", prefix + "-active", row["active"] == "1"
                ),
            ),
            rx.el.input(type="hidden", name="row", value=index.to_string()),
            submit("Enregistrer la prestation", variant="soft"),
            on_submit=V.update,
            key=V.form_key.to_string() + prefix,
        ),
        summarised_form(
            rx.flex(
                rx.box(
                    input_field(
                        "Nouveau tarif (€)",
                        "price",
                        prefix + "-price",
                        "",
                        V.errors,
                        when=price_mine,
                        placeholder="ex. 3,85",
                        input_mode="decimal",
                    ),
                    width="12rem",
                ),
                rx.box(
                    input_field(
                        "À partir du", "valid_from", prefix + "-from", "", V.errors, when=price_mine, type="date"
                    ),
                    width="14rem",
                ),
                rx.el.input(type="hidden", name="row", value=index.to_string()),
                submit("Changer le tarif", variant="outline", size="3"),
                align="end",
                wrap="wrap",
                gap="0.75rem",
            ),
            on_submit=V.change_price,
            key=V.form_key.to_string() + prefix + "p",
        ),
        style={
            "padding": "0.8rem",
            "border": "1px solid var(--gray-6)",
            "border_radius": "8px",
            "display": "flex",
            "flex_direction": "column",
            "gap": "0.5rem",
        },
    )


def services_page() -> rx.Component:
    return admin_page(
        "Prestations et tarifs",
        _messages(V),
        rx.text(
            "Un changement de tarif s'applique à partir de la date choisie ; les réservations déjà faites "
            "gardent leur prix. Désactivez une prestation plutôt que de la supprimer."
        ),
        rx.el.a(
            rx.icon("scale", size=16, aria_hidden="true"),
            " Grilles tarifaires selon le quotient familial (tranches, tarif extérieur, réduction fratrie, "
            "« cantine à 1 € »)",
            href="/" + V.portal_slug + "/admin/prestations/grilles",
            style={"display": "inline-flex", "align_items": "center", "gap": "0.3rem", "color": "var(--accent-11)"},
        ),
        rx.el.ul(
            rx.foreach(V.rows, _service_row),
            style={
                "list_style": "none",
                "padding": "0",
                "margin": "0",
                "display": "flex",
                "flex_direction": "column",
                "gap": "0.75rem",
                "width": "100%",
            },
        ),
        section(
            "Nouvelle prestation",
            summarised_form(
                grid(
                    input_field(
                        "Nom de la prestation", "name", "new-svc-name", "", V.errors, when=V.error_row == "new"
                    ),
                    input_field(
                        "Tarif (€)",
                        "price",
                        "new-svc-price",
                        "",
                        V.errors,
                        when=V.error_row == "new",
                        placeholder="3,85",
                        input_mode="decimal",
                    ),
                    _weekday_boxes("new-svc", None),
                ),
                submit("Créer la prestation"),
                on_submit=V.create,
                key=V.form_key.to_string() + "new",
            ),
        ),
    )


C = AdminCalendarState


def calendar_page() -> rx.Component:
    return admin_page(
        "Calendrier",
        _messages(C),
        section(
            "Jours fériés",
            rx.text(
                "Ajoute les jours fériés français de l'année scolaire ",
                C.school_year,
                " qui ne sont pas encore dans la liste.",
            ),
            rx.button(
                "Ajouter les jours fériés de l'année scolaire", on_click=C.add_public_holidays, margin_top="0.5rem"
            ),
        ),
        section(
            "Vacances scolaires",
            summarised_form(
                grid(
                    input_field("Nom des vacances", "label", "hol-label", "", C.errors, placeholder="Vacances de Noël"),
                    input_field("Premier jour", "first", "hol-first", "", C.errors, type="date"),
                    input_field("Dernier jour", "last", "hol-last", "", C.errors, type="date"),
                ),
                submit("Ajouter les vacances", margin_top="0.5rem"),
                on_submit=C.add_school_holidays,
                key=C.form_key.to_string() + "hol",
            ),
        ),
        section(
            "Fermeture exceptionnelle",
            rx.text(
                "Les réservations payées de ce jour sont annulées et chaque famille reçoit un avoir et un "
                "e-mail ; les réservations en attente sont retirées des paniers.",
                size="2",
            ),
            summarised_form(
                grid(
                    input_field("Jour fermé", "day", "close-day", "", C.errors, type="date"),
                    select_field(
                        "Prestation concernée",
                        "service",
                        "close-service",
                        "",
                        C.service_names,
                        None,
                        first=("", "Toutes les prestations"),
                    ),
                    input_field(
                        "Motif (montré aux familles)",
                        "reason",
                        "close-reason",
                        "",
                        C.errors,
                        placeholder="Grève du personnel",
                    ),
                ),
                rx.el.div(
                    checkbox(
                        "Je confirme l'annulation des réservations payées de ce jour (avoir et e-mail aux familles)",
                        "confirm",
                        "close-confirm",
                        False,
                    ),
                    rx.cond(
                        C.errors.get("confirm", "") != "",
                        rx.text("⚠ ", C.errors.get("confirm", ""), color_scheme="red", size="2", role="alert"),
                    ),
                    style={"margin_top": "0.5rem"},
                ),
                submit("Fermer ce jour", color_scheme="red", high_contrast=True, margin_top="0.5rem"),
                on_submit=C.close_day,
                key=C.form_key.to_string() + "close",
            ),
        ),
        table(
            ["Jours", "Type", "Motif", "Prestation", "Action"],
            rx.foreach(
                C.rows,
                lambda row, i: rx.el.tr(
                    td(row["day"]),
                    td(row["kind"]),
                    td(row["reason"]),
                    td(row["service"]),
                    td(
                        rx.button(
                            "Retirer",
                            rx.el.span(
                                " : ",
                                row["day"],
                                class_name="sr-only",
                                style={
                                    "position": "absolute",
                                    "width": "1px",
                                    "height": "1px",
                                    "overflow": "hidden",
                                    "clip": "rect(0 0 0 0)",
                                },
                            ),
                            variant="soft",
                            size="1",
                            on_click=C.delete_row(i),
                        )
                    ),
                ),
            ),
            caption="Jours fermés à partir de l'année scolaire en cours",
        ),
    )
