"""Guide section 2, first half: `/{slug}/famille`, one tab per guardian (the children: pages/children.py)."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.banner import family_page
from cantine_portal.components.forms import INPUT_STYLE, field, text_input
from cantine_portal.pages.family_tabs import (
    form_section,
    form_tab,
    read_only_list,
    read_only_row,
    row_input,
    tab,
    tabs_page,
)
from cantine_portal.pages.guardian_access import family_sections
from cantine_portal.state.family import FamilyState


def _guardian_input(i, g, name: str, label: str, **props) -> rx.Component:
    return row_input("g", i, g, name, label, FamilyState.set_guardian_field, FamilyState.guardian_errors, **props)


def _civility_select(i, g) -> rx.Component:
    field_id = "g" + i.to_string() + "-civility"
    return field(
        "Civilité",
        rx.el.select(
            rx.el.option("Non précisée", value=""),
            rx.el.option("Madame (Mme)", value="Mme"),
            rx.el.option("Monsieur (M.)", value="M."),
            id=field_id,
            value=g["civility"],
            on_change=lambda v: FamilyState.set_guardian_field(i, "civility", v),
            style=INPUT_STYLE,
        ),
        field_id,
        error=FamilyState.guardian_errors[i]["civility"],
    )


def _password_field(i) -> rx.Component:
    field_id = "g" + i.to_string() + "-current-password"
    return rx.cond(
        FamilyState.password_needed[i],
        rx.el.div(
            field(
                "Votre mot de passe actuel (pour changer l'adresse de connexion)",
                text_input(
                    field_id,
                    type="password",
                    auto_complete="current-password",
                    on_change=FamilyState.set_current_password,
                    key=FamilyState.password_field_key,
                ),
                field_id,
                error=FamilyState.guardian_errors[i]["current_password"],
            ),
            rx.text(
                "Cette adresse e-mail sert d'identifiant de connexion : un message sera envoyé à l'ancienne "
                "adresse pour la prévenir du changement.",
                size="2",
            ),
            style={"grid_column": "1 / -1"},
        ),
    )


def _guardian_form(g, i) -> rx.Component:
    return form_tab(
        i,
        FamilyState,
        FamilyState.save_guardian(i),
        form_section(
            "Identité",
            _civility_select(i, g),
            _guardian_input(i, g, "last_name", "Nom", auto_complete="family-name", required=True),
            _guardian_input(i, g, "first_name", "Prénom", auto_complete="given-name", required=True),
            _guardian_input(i, g, "relationship", "Lien avec les enfants"),
        ),
        form_section(
            "Coordonnées",
            _guardian_input(i, g, "email", "Adresse e-mail", type="email", auto_complete="email"),
            _password_field(i),
            _guardian_input(i, g, "mobile", "Téléphone mobile", type="tel", auto_complete="tel"),
            _guardian_input(i, g, "phone_home", "Téléphone domicile", type="tel"),
            _guardian_input(i, g, "phone_work", "Téléphone travail", type="tel"),
        ),
        form_section(
            "Adresse",
            _guardian_input(i, g, "address_line", "Adresse", auto_complete="street-address"),
            _guardian_input(i, g, "postal_code", "Code postal", auto_complete="postal-code", input_mode="numeric"),
            _guardian_input(i, g, "city", "Ville", auto_complete="address-level2"),
        ),
        form_section(
            "Employeur (facultatif)", _guardian_input(i, g, "employer", "Employeur", auto_complete="organization")
        ),
    )


def _guardian_read_only(g, i) -> rx.Component:
    return tab(
        i,
        read_only_list(
            read_only_row("Civilité", g["civility"]),
            read_only_row("Nom", g["last_name"]),
            read_only_row("Prénom", g["first_name"]),
            read_only_row("Lien avec les enfants", g["relationship"]),
            read_only_row("Adresse e-mail", g["email"]),
            read_only_row("Téléphone mobile", g["mobile"]),
            read_only_row("Téléphone domicile", g["phone_home"]),
            read_only_row("Téléphone travail", g["phone_work"]),
            read_only_row("Adresse", g["address_line"]),
            read_only_row("Code postal", g["postal_code"]),
            read_only_row("Ville", g["city"]),
            read_only_row("Employeur", g["employer"]),
        ),
    )


def family_info_page() -> rx.Component:
    return family_page(
        "Famille",
        rx.text("Les responsables de la famille : un onglet par responsable."),
        tabs_page(FamilyState, FamilyState.guardian_labels, FamilyState.guardians, _guardian_form, _guardian_read_only),
        family_sections(),
    )
