"""Back office: Familles (list, search, creation, CSV import)."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import checkbox, grid, input_field, section, select_field, submit
from cantine_portal.components.admin_layout import admin_page, table, td
from cantine_portal.components.file_picker import file_picker
from cantine_portal.components.forms import callout
from cantine_portal.pages.admin_common import CIVILITIES, LINK, state_messages
from cantine_portal.state.admin_families import IMPORT_UPLOAD_ID, AdminFamiliesState

F = AdminFamiliesState


def _import_section() -> rx.Component:
    return section(
        "Importer des familles (CSV)",
        rx.text(
            "Fichier CSV séparé par des points-virgules, une ligne par enfant. Tout le fichier est vérifié "
            "avant l'import : s'il contient une erreur, rien n'est importé et chaque ligne à corriger est "
            "indiquée. Chaque famille importée reçoit l'e-mail « Créer le mot de passe ».",
            size="2",
        ),
        rx.el.a(
            rx.icon("download", size=16, aria_hidden="true"),
            " Télécharger le modèle CSV",
            href="/api/" + F.portal_slug + "/admin/modele-import-familles.csv",
            style=LINK,
        ),
        file_picker(
            IMPORT_UPLOAD_ID,
            icon="file-up",
            button="Choisir le fichier CSV",
            input_label="Fichier CSV des familles",
            accept={"text/csv": [".csv"], "text/plain": [".csv", ".txt"]},
        ),
        rx.button("Importer", on_click=F.import_csv(rx.upload_files(upload_id=IMPORT_UPLOAD_ID))),
        rx.cond(
            F.import_message != "",
            rx.cond(F.import_ok, callout(F.import_message, "success"), callout(F.import_message, "error")),
        ),
        rx.cond(
            F.import_errors.length() > 0,
            rx.el.ul(
                rx.foreach(F.import_errors, lambda e: rx.el.li(e)),
                aria_label="Lignes à corriger",
                style={"color": "var(--red-11)", "padding_left": "1.2rem"},
            ),
        ),
    )


def _create_section() -> rx.Component:
    return section(
        "Nouvelle famille",
        rx.el.form(
            grid(
                input_field("Nom de la famille", "family_name", "fam-name", "", F.errors),
                input_field("N° de dossier (facultatif)", "reference", "fam-ref", "", F.errors),
                select_field("Civilité du responsable", "civility", "fam-civ", "", CIVILITIES, F.errors),
                input_field("Nom du responsable", "last_name", "fam-last", "", F.errors),
                input_field("Prénom du responsable", "first_name", "fam-first", "", F.errors),
                input_field("E-mail (identifiant de connexion)", "email", "fam-email", "", F.errors, type="email"),
                input_field("Téléphone portable", "mobile", "fam-mobile", "", F.errors, type="tel"),
                input_field("Adresse", "address_line", "fam-address", "", F.errors),
                input_field("Code postal", "postal_code", "fam-postal", "", F.errors),
                input_field("Ville", "city", "fam-city", "", F.errors),
            ),
            checkbox("Envoyer l'invitation « Créer le mot de passe »", "invite", "fam-invite", True),
            submit("Créer la famille", margin_top="0.5rem"),
            on_submit=F.create,
            key=F.form_key.to_string() + "new",
        ),
    )


def families_page() -> rx.Component:
    return admin_page(
        "Familles",
        state_messages(F),
        rx.el.form(
            rx.hstack(
                rx.box(
                    input_field("Rechercher (nom, e-mail, enfant, n° de dossier)", "q", "fam-search", F.query), flex="1"
                ),
                submit("Rechercher"),
                align="end",
                width="100%",
            ),
            on_submit=F.search,
            role="search",
        ),
        table(
            ["Famille", "Dossier", "Responsables", "Compte", "Enfants", "Connexion"],
            rx.foreach(
                F.rows,
                lambda row: rx.el.tr(
                    td(rx.el.a(row["name"], href=row["href"], style=LINK)),
                    td(row["reference"]),
                    td(row["guardians"]),
                    td(row["emails"]),
                    td(row["children"]),
                    td(row["account"]),
                ),
            ),
            caption="Familles de la commune",
        ),
        rx.cond(F.rows.length() == 0, rx.text("Aucune famille ne correspond à la recherche.")),
        _create_section(),
        _import_section(),
    )
