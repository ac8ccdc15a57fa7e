"""Back office: one family's page (guardians, children, enrollments, money) and its forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

import reflex as rx

from cantine_portal.components.admin_forms import (
    checkbox,
    grid,
    input_field,
    section,
    select_field,
    submit,
    summarised_form,
)
from cantine_portal.components.admin_layout import admin_page, table, td
from cantine_portal.components.forms import INPUT_STYLE, field
from cantine_portal.pages.admin_common import CIVILITIES, state_messages
from cantine_portal.pages.admin_family_logins import money_and_access_sections
from cantine_portal.services.families.fields import GuardianField
from cantine_portal.state.admin_families import AdminFamilyState

P = AdminFamilyState


def _guardian_form(row, index) -> rx.Component:
    key = index.to_string()
    prefix = "g" + key
    mine = P.error_form == "g" + key
    return summarised_form(
        rx.heading(
            rx.cond(row.get("login", "") == "1", "Responsable (identifiant de connexion)", "Responsable"),
            as_="h3",
            size="3",
        ),
        grid(
            select_field("Civilité", "civility", prefix + "-civ", row["civility"], CIVILITIES, P.errors, when=mine),
            input_field("Nom", "last_name", prefix + "-last", row["last_name"], P.errors, when=mine),
            input_field("Prénom", "first_name", prefix + "-first", row["first_name"], P.errors, when=mine),
            input_field(
                "Lien avec l'enfant", "relationship", prefix + "-rel", row["relationship"], P.errors, when=mine
            ),
            input_field("E-mail", "email", prefix + "-email", row["email"], P.errors, when=mine, type="email"),
            input_field("Portable", "mobile", prefix + "-mobile", row["mobile"], P.errors, when=mine, type="tel"),
            input_field(
                "Téléphone domicile", "phone_home", prefix + "-home", row["phone_home"], P.errors, when=mine, type="tel"
            ),
            input_field(
                "Téléphone travail", "phone_work", prefix + "-work", row["phone_work"], P.errors, when=mine, type="tel"
            ),
            input_field("Adresse", "address_line", prefix + "-addr", row["address_line"], P.errors, when=mine),
            input_field("Code postal", "postal_code", prefix + "-postal", row["postal_code"], P.errors, when=mine),
            input_field("Ville", "city", prefix + "-city", row["city"], P.errors, when=mine),
            input_field("Employeur", "employer", prefix + "-employer", row["employer"], P.errors, when=mine),
        ),
        rx.el.input(type="hidden", name="row", value=key),
        submit("Enregistrer le responsable", margin_top="0.5rem"),
        on_submit=P.save_guardian,
        key=P.form_key.to_string() + prefix,
        style={"padding": "0.8rem", "border": "1px solid var(--gray-6)", "border_radius": "8px", "width": "100%"},
    )


def _blank_guardian() -> dict:
    """An empty « add a guardian » form: the fields the rules know (services/families/fields.py)."""
    return dict.fromkeys(get_args(GuardianField), "")


def _child_fields(prefix: str, row, services, mine) -> rx.Component:
    return rx.fragment(
        grid(
            input_field("Nom", "last_name", prefix + "-last", row["last_name"], P.errors, when=mine),
            input_field("Prénom", "first_name", prefix + "-first", row["first_name"], P.errors, when=mine),
            input_field(
                "Date de naissance",
                "birth_date",
                prefix + "-birth",
                row["birth_date"],
                P.errors,
                when=mine,
                type="date",
            ),
            input_field("École", "school", prefix + "-school", row["school"], P.errors, when=mine),
            input_field("Classe", "class_name", prefix + "-class", row["class_name"], P.errors, when=mine),
            field(
                "Régime",
                rx.el.select(
                    rx.el.option("Aucun", value=""),
                    rx.foreach(P.diets, lambda d: rx.el.option(d, value=d)),
                    id=prefix + "-diet",
                    name="diet",
                    default_value=row["diet"],
                    style=INPUT_STYLE,
                ),
                prefix + "-diet",
                error=rx.cond(mine, P.errors.get("diet", ""), ""),
            ),
        ),
        rx.el.fieldset(
            rx.el.legend("Prestations", style={"font_weight": "600"}),
            rx.foreach(
                P.service_names,
                lambda name, i: checkbox(
                    name,
                    "service" + i.to_string(),
                    prefix + "-svc" + i.to_string(),
                    services[i] == "1" if services is not None else False,
                ),
            ),
            style={"border": "none", "padding": "0", "margin": "0.5rem 0"},
        ),
        rx.el.fieldset(
            rx.el.legend("PAI (projet d'accueil individualisé)", style={"font_weight": "600"}),
            checkbox("L'enfant a un PAI", "pai", prefix + "-pai", row["pai"] == "1"),
            field(
                "Consignes du PAI (visibles des seuls agents)",
                rx.el.textarea(
                    id=prefix + "-notes", name="pai_notes", default_value=row["pai_notes"], rows=2, style=INPUT_STYLE
                ),
                prefix + "-notes",
            ),
            style={"border": "none", "padding": "0", "margin": "0.5rem 0"},
        ),
    )


def _child_form(row, index) -> rx.Component:
    key = index.to_string()
    prefix = "c" + key
    return summarised_form(
        rx.heading(row["first_name"], " ", row["last_name"], as_="h3", size="3"),
        _child_fields(prefix, row, P.child_services[index], P.error_form == "c" + key),
        rx.el.input(type="hidden", name="row", value=key),
        submit("Enregistrer l'enfant"),
        on_submit=P.save_child,
        key=P.form_key.to_string() + prefix,
        style={"padding": "0.8rem", "border": "1px solid var(--gray-6)", "border_radius": "8px", "width": "100%"},
    )


def _blank_child() -> dict:
    return {
        k: "" for k in ("last_name", "first_name", "birth_date", "school", "class_name", "diet", "pai", "pai_notes")
    }


def _lines(title: str, headers: list[str], rows, keys: list[str], empty: str) -> rx.Component:
    return section(
        title,
        rx.cond(
            rows.length() > 0,
            table(headers, rx.foreach(rows, lambda r: rx.el.tr(*[td(r[k]) for k in keys]))),
            rx.text(empty),
        ),
    )


def family_page() -> rx.Component:
    return admin_page(
        rx.cond(P.found & (P.family_name != ""), "Famille " + P.family_name, "Famille"),
        state_messages(P),
        rx.cond(
            P.found,
            rx.vstack(
                rx.link(
                    "← Retour à la liste des familles", href="/" + P.portal_slug + "/admin/familles", underline="always"
                ),
                _family_section(),
                _people_section("Responsables", P.guardians, _guardian_form, "Ajouter un responsable", _new_guardian),
                _people_section("Enfants", P.children, _child_form, "Ajouter un enfant", _new_child),
                *_reading_sections(),
                money_and_access_sections(),
                spacing="4",
                width="100%",
                align="stretch",
            ),
        ),
    )


def _family_section() -> rx.Component:
    """The family's name and file number, its logins, the « Créer le mot de passe » invitation."""
    return section(
        "Famille",
        summarised_form(
            grid(
                input_field(
                    "Nom de la famille", "family_name", "f-name", P.family_name, P.errors, when=P.error_form == "family"
                ),
                input_field(
                    "N° de dossier", "reference", "f-ref", P.reference, P.errors, when=P.error_form == "family"
                ),
            ),
            submit("Enregistrer", margin_top="0.5rem"),
            on_submit=P.save_family,
            key=P.form_key.to_string() + "family",
        ),
        rx.text(
            "Compte(s) : ",
            rx.cond(P.accounts.length() > 0, P.accounts.join(", "), "aucun"),
            margin_top="0.5rem",
        ),
        rx.button(
            "Envoyer l'invitation « Créer le mot de passe »",
            variant="outline",
            on_click=P.invite,
            margin_top="0.5rem",
        ),
    )


def _people_section(
    title: str, rows: Any, row_form: Callable[..., rx.Component], add: str, new_form: Callable[[], rx.Component]
) -> rx.Component:
    """Guardians or children: one form each, then a folded form to add one."""
    return section(
        title,
        rx.vstack(rx.foreach(rows, row_form), spacing="3", width="100%"),
        rx.el.details(
            rx.el.summary(add, style={"cursor": "pointer", "font_weight": "600"}),
            new_form(),
            style={"margin_top": "0.75rem"},
        ),
    )


def _reading_sections() -> list[rx.Component]:
    """What the family booked and paid, read only: basket, reservations, credits, payments, receipts."""
    day_columns = ["Jour", "Enfant", "Prestation", "Statut", "Prix", "Réservé par"]
    day_keys = ["day", "child", "service", "status", "price", "by"]
    return [
        _lines("Panier en cours", day_columns, P.basket_lines, day_keys, "Le panier est vide."),
        _lines("Réservations", day_columns, P.reservations, day_keys, "Aucune réservation."),
        section(
            "Avoirs",
            rx.text("Solde : ", rx.el.strong(P.credit_balance)),
            rx.cond(
                P.credits.length() > 0,
                table(
                    ["Date", "Libellé", "Montant"],
                    rx.foreach(P.credits, lambda r: rx.el.tr(td(r["date"]), td(r["label"]), td(r["amount"]))),
                ),
            ),
        ),
        _lines(
            "Paiements",
            ["Date", "Référence", "Prestataire", "Statut", "Montant", "Payé par"],
            P.payments,
            ["date", "reference", "provider", "status", "amount", "by"],
            "Aucun paiement.",
        ),
        _lines("Reçus", ["Date", "Numéro", "Montant"], P.receipts, ["date", "number", "amount"], "Aucun reçu."),
    ]


def _new_guardian() -> rx.Component:
    blank = _blank_guardian()
    mine = P.error_form == "gnew"
    return summarised_form(
        grid(
            select_field("Civilité", "civility", "gnew-civ", "", CIVILITIES, P.errors, when=mine),
            *[
                input_field(label, name, "gnew-" + name, blank[name], P.errors, when=mine)
                for label, name in (
                    ("Nom", "last_name"),
                    ("Prénom", "first_name"),
                    ("Lien avec l'enfant", "relationship"),
                    ("E-mail", "email"),
                    ("Portable", "mobile"),
                    ("Adresse", "address_line"),
                    ("Code postal", "postal_code"),
                    ("Ville", "city"),
                )
            ],
        ),
        rx.el.input(type="hidden", name="row", value="new"),
        submit("Ajouter le responsable", margin_top="0.5rem"),
        on_submit=P.save_guardian,
        key=P.form_key.to_string() + "gnew",
    )


def _new_child() -> rx.Component:
    return summarised_form(
        _child_fields("cnew", _blank_child(), None, P.error_form == "cnew"),
        rx.el.input(type="hidden", name="row", value="new"),
        submit("Ajouter l'enfant"),
        on_submit=P.save_child,
        key=P.form_key.to_string() + "cnew",
    )
