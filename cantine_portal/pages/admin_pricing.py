"""Back office: the QF grid editor (Prestations › Grilles), « Quotients familiaux », « Aide cantine à 1 € »."""

from __future__ import annotations

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
from cantine_portal.components.forms import INPUT_STYLE, callout, field, labelled_upload, message_if
from cantine_portal.state.admin_pricing import (
    QF_IMPORT_UPLOAD_ID,
    AdminClaimState,
    AdminGridsState,
    AdminQuotientsState,
)
from cantine_portal.usecases.backoffice.pricing import BRACKET_ROWS

G = AdminGridsState
Q = AdminQuotientsState
C = AdminClaimState
LINK = {"display": "inline-flex", "align_items": "center", "gap": "0.3rem", "color": "var(--accent-11)"}
SOURCES = [("caf", "Attestation CAF ou MSA"), ("impots", "Avis d'imposition"), ("decision", "Décision du service")]
SIBLING_HELP = (
    "Réduction fratrie : pour une même famille, une même prestation et un même jour, les enfants "
    "réservés sont comptés d'abord ceux dont le jour est déjà payé, puis les autres, dans l'ordre de la "
    "page Enfants. L'enfant compté à partir du rang choisi paie le tarif (de sa tranche, extérieur ou "
    "sans QF) diminué du pourcentage, arrondi au centime. Un jour payé garde toujours son prix."
)


def _messages(state) -> rx.Component:
    return rx.fragment(message_if(state.success_message, "success"), message_if(state.error_message, "error"))


def _bracket_row(i: int) -> rx.Component:
    v = G.values
    return rx.el.fieldset(
        rx.el.legend(f"Tranche {i + 1}", style={"font_weight": "600"}),
        rx.flex(
            rx.box(
                input_field(
                    "QF minimum (€)", f"min_{i}", f"grid-min-{i}", v.get(f"min_{i}", ""), G.errors, input_mode="numeric"
                ),
                width="10rem",
            ),
            rx.box(
                input_field(
                    "QF maximum (€)",
                    f"max_{i}",
                    f"grid-max-{i}",
                    v.get(f"max_{i}", ""),
                    G.errors,
                    input_mode="numeric",
                    hint="vide pour la dernière" if i else None,
                ),
                width="10rem",
            ),
            rx.box(
                input_field(
                    "Prix (€)", f"price_{i}", f"grid-price-{i}", v.get(f"price_{i}", ""), G.errors, input_mode="decimal"
                ),
                width="10rem",
            ),
            gap="0.75rem",
            wrap="wrap",
            align="start",
        ),
        style={"border": "1px solid var(--gray-5)", "border_radius": "6px", "padding": "0.5rem 0.75rem"},
    )


def _grid_form() -> rx.Component:
    v = G.values
    return summarised_form(
        rx.vstack(
            rx.text(
                "Laissez vides les lignes de tranche inutiles. La première tranche commence à 0 €, chaque "
                "tranche commence à la borne haute de la précédente + 1 €, la dernière n'a pas de plafond.",
                size="2",
            ),
            *[_bracket_row(i) for i in range(BRACKET_ROWS)],
            grid(
                input_field(
                    "Prix sans quotient familial connu (€)",
                    "no_qf",
                    "grid-no-qf",
                    v.get("no_qf", ""),
                    G.errors,
                    input_mode="decimal",
                ),
                input_field(
                    "Prix des familles extérieures (€, facultatif)",
                    "outside",
                    "grid-outside",
                    v.get("outside", ""),
                    G.errors,
                    input_mode="decimal",
                ),
                input_field(
                    "Réduction fratrie (%)",
                    "sibling_percent",
                    "grid-sibling-percent",
                    v.get("sibling_percent", ""),
                    G.errors,
                    input_mode="numeric",
                ),
                input_field(
                    "À partir du rang de l'enfant",
                    "sibling_from_rank",
                    "grid-sibling-rank",
                    v.get("sibling_from_rank", ""),
                    G.errors,
                    input_mode="numeric",
                ),
                input_field(
                    "Grille valable à partir du",
                    "valid_from",
                    "grid-from",
                    v.get("valid_from", ""),
                    G.errors,
                    type="date",
                ),
                input_field(
                    "Aperçu pour une famille au QF de (€)",
                    "preview_qf",
                    "grid-preview-qf",
                    v.get("preview_qf", ""),
                    G.errors,
                    input_mode="numeric",
                ),
            ),
            rx.text(SIBLING_HELP, size="2", id="grid-sibling-help"),
            submit("Vérifier la grille", variant="soft"),
            spacing="3",
            align="stretch",
            width="100%",
        ),
        on_submit=G.check,
        key=G.form_key.to_string() + "grid",
    )


def grids_page() -> rx.Component:
    return admin_page(
        "Grilles tarifaires selon le quotient familial",
        rx.el.a("← Prestations et tarifs", href="/" + G.portal_slug + "/admin/prestations", style=LINK),
        _messages(G),
        rx.text(
            "Une grille s'applique à partir de sa date ; les réservations payées gardent leur prix. Une "
            "prestation sans grille garde son tarif unique."
        ),
        rx.el.div(
            field(
                "Prestation",
                rx.el.select(
                    rx.foreach(G.service_names, lambda name, i: rx.el.option(name, value=i.to_string())),
                    id="grid-service",
                    value=G.service_choice,
                    on_change=G.choose_service,
                    style=INPUT_STYLE,
                ),
                "grid-service",
            ),
            style={"max_width": "24rem"},
        ),
        table(
            ["À partir du", "Grille", "« Cantine à 1 € »"],
            rx.foreach(G.history, lambda row: rx.el.tr(td(row["from"]), td(row["lines"]), td(row["verdict"]))),
            caption="Grilles de cette prestation (la plus récente d'abord)",
        ),
        section("Nouvelle grille", _grid_form()),
        rx.cond(
            G.checked,
            section(
                "Aperçu",
                rx.el.p(G.preview, id="grid-preview", style={"font_size": "1.1rem", "font_weight": "600"}),
                rx.cond(G.verdict_ok, callout(G.verdict, "success"), callout(G.verdict, "info")),
                rx.text(
                    "Modifiez les champs et vérifiez à nouveau si besoin : c'est la grille vérifiée qui est "
                    "enregistrée.",
                    size="2",
                ),
                rx.button("Enregistrer cette grille", on_click=G.save, margin_top="0.5rem"),
                id="grid-preview-section",
            ),
        ),
        menu="prestations",
    )


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
            rx.el.a("Voir l'attestation", href=row["href"], target="_blank", rel="noopener", style=LINK),
        ),
        summarised_form(
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
                rx.box(
                    input_field("au", "valid_to", prefix + "-to", "", Q.errors, when=mine, type="date"), width="11rem"
                ),
                rx.el.input(type="hidden", name="row", value=i.to_string()),
                submit("Accepter", size="3"),
                gap="0.75rem",
                wrap="wrap",
                align="end",
            ),
            on_submit=Q.accept,
            key=Q.form_key.to_string() + prefix,
        ),
        summarised_form(
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


def _import_section() -> rx.Component:
    chosen = rx.selected_files(QF_IMPORT_UPLOAD_ID)
    return section(
        "Importer des quotients familiaux (CSV)",
        rx.text(
            "En-tête : reference_famille;quotient_familial;source;valable_du;valable_au (dates jj/mm/aaaa, "
            "source caf, impots ou decision). Tout le fichier est vérifié : s'il contient une erreur, rien "
            "n'est importé et chaque ligne à corriger est indiquée.",
            size="2",
        ),
        labelled_upload(
            rx.flex(
                rx.el.button(
                    "Choisir le fichier CSV",
                    type="button",
                    style={
                        "padding": "0.5rem 0.9rem",
                        "border": "1px solid var(--gray-8)",
                        "border_radius": "6px",
                        "background": "var(--gray-2)",
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
            upload_id=QF_IMPORT_UPLOAD_ID,
            input_label="Fichier CSV des quotients familiaux",
            multiple=False,
            accept={"text/csv": [".csv"], "text/plain": [".csv", ".txt"]},
            style={"margin": "0.5rem 0"},
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
            summarised_form(
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
        _messages(Q),
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
            summarised_form(
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


def claim_page() -> rx.Component:
    return admin_page(
        "Aide « cantine à 1 € »",
        message_if(C.error_message, "error"),
        rx.text(
            "Repas payés, facturés 1 € ou moins à des familles dont le quotient familial est au plus de "
            "1 000 €, par mois et par école, pour un quadrimestre. L'aide de l'État est de 3 € par repas, "
            "4 € avec l'engagement EGAlim (voir la documentation des tarifs)."
        ),
        summarised_form(
            rx.flex(
                rx.box(
                    select_field("Prestation", "service", "claim-service", C.service_choice, C.service_names),
                    width="16rem",
                ),
                rx.box(
                    field(
                        "Quadrimestre",
                        rx.el.select(
                            rx.foreach(C.period_values, lambda value, i: rx.el.option(C.period_labels[i], value=value)),
                            id="claim-period",
                            name="period",
                            default_value=C.period,
                            style=INPUT_STYLE,
                        ),
                        "claim-period",
                    ),
                    width="16rem",
                ),
                checkbox("Engagement EGAlim (+1 € par repas)", "egalim", "claim-egalim", C.egalim),
                submit("Afficher", size="3"),
                gap="0.75rem",
                wrap="wrap",
                align="end",
            ),
            on_submit=C.show,
            key=C.form_key.to_string() + "claim",
        ),
        table(
            ["Mois", "École", "Repas", "Aide demandée"],
            rx.fragment(
                rx.foreach(
                    C.rows, lambda r: rx.el.tr(td(r["month"]), td(r["school"]), td(r["meals"]), td(r["amount"]))
                ),
                rx.el.tr(
                    td(rx.el.strong("Total")), td(""), td(rx.el.strong(C.total_meals)), td(rx.el.strong(C.total_amount))
                ),
            ),
            caption="Demande d'aide",
        ),
        rx.text("Aide par repas : ", C.aid_per_meal, size="2"),
        rx.cond(
            C.csv_href != "",
            rx.flex(
                rx.el.a(
                    rx.icon("download", size=16, aria_hidden="true"), " Télécharger le CSV", href=C.csv_href, style=LINK
                ),
                rx.el.a(
                    rx.icon("file-text", size=16, aria_hidden="true"),
                    " Télécharger le PDF",
                    href=C.pdf_href + "&telecharger=1",
                    style=LINK,
                ),
                gap="1.5rem",
            ),
        ),
        menu="aide-cantine-1-euro",
    )
