"""Back office « Quotients familiaux »: the attestations parents sent (accept with the QF read on it,
or refuse with a message), a QF entered by hand or imported by CSV, those expiring soon, and the
outside-commune decision per family."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import grid, input_field, section, select_field, submit
from cantine_portal.components.admin_layout import admin_page, table, td
from cantine_portal.components.file_picker import file_picker
from cantine_portal.components.forms import INPUT_STYLE
from cantine_portal.pages.admin_common import ACCENT_LINK, state_messages
from cantine_portal.state.admin_pricing import QF_IMPORT_UPLOAD_ID, AdminQuotientsState

Q = AdminQuotientsState
SOURCES = [("caf", "Attestation CAF ou MSA"), ("impots", "Avis d'imposition"), ("decision", "Décision du service")]


def _attestation_row(row: dict, i) -> rx.Component:
    mine, refused = Q.error_row == "att" + i.to_string(), Q.error_row == "ref" + i.to_string()
    prefix = "att" + i.to_string()
    return rx.el.li(
        rx.text(
            rx.el.strong(row["family"]),
            " — envoyée le ",
            row["sent"],
            " (",
            row["kind"],
            ") — ",
            rx.el.a("Voir l'attestation", href=row["href"], target="_blank", rel="noopener", style=ACCENT_LINK),
        ),
        _accept_form(prefix, i, mine),
        _refuse_form(prefix, i, refused),
        style={
            "padding": "0.8rem",
            "border": "1px solid var(--gray-6)",
            "border_radius": "8px",
            "display": "flex",
            "flex_direction": "column",
            "gap": "0.5rem",
        },
    )


def _accept_form(prefix: rx.Var, i: rx.Var, mine: rx.Var) -> rx.Component:
    """The QF, its source and dates as read on the attestation: it becomes the family's QF."""
    return rx.el.form(
        rx.flex(
            rx.box(
                input_field("QF (€)", "qf", prefix + "-qf", "", Q.errors, when=mine, input_mode="numeric"),
                width="8rem",
            ),
            rx.box(
                select_field("Source", "source", prefix + "-source", "caf", SOURCES, Q.errors, when=mine),
                width="14rem",
            ),
            rx.box(
                input_field("Valable du", "valid_from", prefix + "-from", "", Q.errors, when=mine, type="date"),
                width="11rem",
            ),
            rx.box(input_field("au", "valid_to", prefix + "-to", "", Q.errors, when=mine, type="date"), width="11rem"),
            rx.el.input(type="hidden", name="row", value=i.to_string()),
            submit("Accepter", size="3"),
            gap="0.75rem",
            wrap="wrap",
            align="end",
        ),
        on_submit=Q.accept,
        key=Q.form_key.to_string() + prefix,
    )


def _refuse_form(prefix: rx.Var, i: rx.Var, refused: rx.Var) -> rx.Component:
    """Why the attestation is refused: e-mailed to the family's parents."""
    return rx.el.form(
        rx.flex(
            rx.box(
                input_field(
                    "Motif du refus (envoyé par e-mail)", "message", prefix + "-message", "", Q.errors, when=refused
                ),
                flex="1",
                min_width="18rem",
            ),
            rx.el.input(type="hidden", name="row", value=i.to_string()),
            submit("Refuser", variant="outline", color_scheme="red", size="3"),
            gap="0.75rem",
            wrap="wrap",
            align="end",
        ),
        on_submit=Q.refuse,
        key=Q.form_key.to_string() + prefix + "r",
    )


def _import_section() -> rx.Component:
    return section(
        "Importer des quotients familiaux (CSV)",
        rx.text(
            "En-tête : reference_famille;quotient_familial;source;valable_du;valable_au (dates jj/mm/aaaa, "
            "source caf, impots ou decision). Tout le fichier est vérifié : s'il contient une erreur, rien "
            "n'est importé et chaque ligne à corriger est indiquée.",
            size="2",
        ),
        file_picker(
            QF_IMPORT_UPLOAD_ID,
            button="Choisir le fichier CSV",
            input_label="Fichier CSV des quotients familiaux",
            accept={"text/csv": [".csv"], "text/plain": [".csv", ".txt"]},
        ),
        rx.button("Importer", on_click=Q.import_csv(rx.upload_files(upload_id=QF_IMPORT_UPLOAD_ID))),
        rx.cond(
            Q.import_messages.length() > 0,
            rx.el.ul(
                rx.foreach(Q.import_messages, lambda e: rx.el.li(e)),
                aria_label="Résultat de l'import",
                style={"color": rx.cond(Q.import_ok, "var(--green-11)", "var(--red-11)"), "padding_left": "1.2rem"},
            ),
        ),
    )


def _family_row(row: dict, i) -> rx.Component:
    prefix = "out" + i.to_string()
    return rx.el.tr(
        td(row["name"]),
        td(row["reference"]),
        td(row["qf"]),
        td(
            rx.el.form(
                rx.flex(
                    rx.el.select(
                        rx.el.option("Selon l'adresse", value=""),
                        rx.el.option("Extérieure", value="1"),
                        rx.el.option("Résidente", value="0"),
                        name="outside",
                        default_value=row["outside"],
                        aria_label="Tarif extérieur : " + row["name"],
                        style=INPUT_STYLE,
                    ),
                    rx.el.input(type="hidden", name="row", value=i.to_string()),
                    submit("Enregistrer", variant="soft", size="1"),
                    gap="0.5rem",
                    align="center",
                ),
                on_submit=Q.set_outside,
                key=Q.form_key.to_string() + prefix,
            )
        ),
    )


def quotients_page() -> rx.Component:
    return admin_page(
        "Quotients familiaux",
        state_messages(Q),
        section(
            "Attestations envoyées par les familles",
            rx.cond(
                Q.attestations.length() > 0,
                rx.el.ul(
                    rx.foreach(Q.attestations, _attestation_row),
                    style={
                        "list_style": "none",
                        "padding": "0",
                        "margin": "0",
                        "display": "flex",
                        "flex_direction": "column",
                        "gap": "0.75rem",
                    },
                ),
                rx.text("Aucune attestation en attente."),
            ),
        ),
        section(
            "Saisir un quotient familial",
            rx.el.form(
                grid(
                    select_field("Famille", "family", "qf-family", "", Q.family_names, None),
                    input_field(
                        "QF (€)", "qf", "qf-value", "", Q.errors, when=Q.error_row == "new", input_mode="numeric"
                    ),
                    select_field("Source", "source", "qf-source", "caf", SOURCES, Q.errors, when=Q.error_row == "new"),
                    input_field(
                        "Valable du", "valid_from", "qf-from", "", Q.errors, when=Q.error_row == "new", type="date"
                    ),
                    input_field("au", "valid_to", "qf-to", "", Q.errors, when=Q.error_row == "new", type="date"),
                ),
                submit("Enregistrer le quotient familial", margin_top="0.5rem"),
                on_submit=Q.add,
                key=Q.form_key.to_string() + "new",
            ),
        ),
        _import_section(),
        table(
            ["Famille", "QF", "Fin de validité"],
            rx.foreach(Q.expiring, lambda row: rx.el.tr(td(row["family"]), td(row["qf"]), td(row["to"]))),
            caption="Quotients familiaux qui expirent dans le mois",
        ),
        table(
            ["Famille", "N° de dossier", "QF aujourd'hui", "Tarif extérieur"],
            rx.foreach(Q.families, _family_row),
            caption="Familles",
        ),
        menu="quotients",
    )
