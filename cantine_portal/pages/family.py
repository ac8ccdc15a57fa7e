"""Guide section 2: `/{slug}/famille` (guardians) and `/{slug}/enfants` (children)."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.banner import family_page
from cantine_portal.components.forms import INPUT_STYLE, field, message_if, text_input
from cantine_portal.pages.guardian_access import family_sections
from cantine_portal.services.families.family import MSG_CLOSED
from cantine_portal.state.auth import AuthState
from cantine_portal.state.family import ChildrenState, FamilyState

# Columns that wrap to one per line on a phone: never a horizontal scroll.
GRID = {
    "display": "grid",
    "grid_template_columns": "repeat(auto-fit, minmax(min(100%, 15rem), 1fr))",
    "gap": "0.9rem",
    "width": "100%",
}
SECTION = {
    "border": "1px solid var(--gray-6)",
    "border_radius": "8px",
    "padding": "0.9rem",
    "margin": "0",
    "min_width": "0",
    "width": "100%",
}
LEGEND = {"font_weight": "700", "padding": "0 0.35rem"}
CHECK_STYLE = {"width": "1.25rem", "height": "1.25rem", "margin": "0", "flex_shrink": "0"}


def closed_notice() -> rx.Component:
    """The guide's message when the commune keeps these edits for itself, with the way to ask."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("lock", aria_hidden="true")),
        rx.callout.text(
            MSG_CLOSED,
            " ",
            rx.link("Contact", href="/" + AuthState.portal_slug + "/contact", weight="bold", high_contrast=True),
        ),
        color_scheme="blue",
        high_contrast=True,
        role="status",
        width="100%",
    )


def _messages(state) -> rx.Component:
    return rx.vstack(
        message_if(state.success_message, "success"),
        message_if(state.error_message, "error"),
        rx.foreach(
            state.notes,
            lambda note: rx.callout(
                note, icon="info", color_scheme="blue", high_contrast=True, role="status", width="100%"
            ),
        ),
        spacing="2",
        width="100%",
    )


def _read_only_row(label: str, value) -> rx.Component:
    return rx.el.div(
        rx.el.dt(label, style={"font_weight": "600"}),
        rx.el.dd(rx.cond(value != "", value, "—"), style={"margin": "0", "overflow_wrap": "anywhere"}),
    )


def _dl(*rows: rx.Component) -> rx.Component:
    return rx.el.dl(*rows, style={**GRID, "margin": "0"})


def _tabs(labels, contents, on_change) -> rx.Component:
    return rx.tabs.root(
        rx.tabs.list(
            rx.foreach(labels, lambda label, i: rx.tabs.trigger(label, value=i.to_string())),
            style={"flex_wrap": "wrap"},
        ),
        contents,
        default_value="0",
        on_change=on_change,
        width="100%",
    )


def _tab(i, content: rx.Component) -> rx.Component:
    return rx.tabs.content(content, value=i.to_string(), padding_top="1rem")


def _section(legend: str, *fields: rx.Component) -> rx.Component:
    return rx.el.fieldset(rx.el.legend(legend, style=LEGEND), rx.el.div(*fields, style=GRID), style=SECTION)


def _form_tab(i, state, save, *sections: rx.Component) -> rx.Component:
    """One guardian's or child's editable tab: its sections, then Enregistrer and the messages under it."""
    return _tab(
        i,
        rx.el.div(
            rx.vstack(
                *sections,
                rx.button("Enregistrer", type="button", size="3", on_click=save),
                _messages(state),
                spacing="4",
                align="stretch",
                width="100%",
            ),
        ),
    )


def _tabs_page(state, labels, rows, form, read_only) -> rx.Component:
    """Editable tabs, or, when the commune keeps these edits for itself, read-only ones under its notice."""
    return rx.cond(
        state.can_edit,
        _tabs(labels, rx.foreach(rows, form), state.tab_changed),
        rx.vstack(
            closed_notice(),
            _tabs(labels, rx.foreach(rows, read_only), state.tab_changed),
            _messages(state),
            spacing="4",
            width="100%",
        ),
    )


# --- Famille ---------------------------------------------------------------------------------


def _guardian_input(i, g, name: str, label: str, **props) -> rx.Component:
    field_id = "g" + i.to_string() + "-" + name
    return field(
        label,
        text_input(
            field_id,
            value=g[name],
            on_change=lambda v: FamilyState.set_guardian_field(i, name, v),
            aria_invalid=FamilyState.guardian_errors[i][name] != "",
            **props,
        ),
        field_id,
        error=FamilyState.guardian_errors[i][name],
    )


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
    return _form_tab(
        i,
        FamilyState,
        FamilyState.save_guardian(i),
        _section(
            "Identité",
            _civility_select(i, g),
            _guardian_input(i, g, "last_name", "Nom", auto_complete="family-name", required=True),
            _guardian_input(i, g, "first_name", "Prénom", auto_complete="given-name", required=True),
            _guardian_input(i, g, "relationship", "Lien avec les enfants"),
        ),
        _section(
            "Coordonnées",
            _guardian_input(i, g, "email", "Adresse e-mail", type="email", auto_complete="email"),
            _password_field(i),
            _guardian_input(i, g, "mobile", "Téléphone mobile", type="tel", auto_complete="tel"),
            _guardian_input(i, g, "phone_home", "Téléphone domicile", type="tel"),
            _guardian_input(i, g, "phone_work", "Téléphone travail", type="tel"),
        ),
        _section(
            "Adresse",
            _guardian_input(i, g, "address_line", "Adresse", auto_complete="street-address"),
            _guardian_input(i, g, "postal_code", "Code postal", auto_complete="postal-code", input_mode="numeric"),
            _guardian_input(i, g, "city", "Ville", auto_complete="address-level2"),
        ),
        _section(
            "Employeur (facultatif)", _guardian_input(i, g, "employer", "Employeur", auto_complete="organization")
        ),
    )


def _guardian_read_only(g, i) -> rx.Component:
    return _tab(
        i,
        _dl(
            _read_only_row("Civilité", g["civility"]),
            _read_only_row("Nom", g["last_name"]),
            _read_only_row("Prénom", g["first_name"]),
            _read_only_row("Lien avec les enfants", g["relationship"]),
            _read_only_row("Adresse e-mail", g["email"]),
            _read_only_row("Téléphone mobile", g["mobile"]),
            _read_only_row("Téléphone domicile", g["phone_home"]),
            _read_only_row("Téléphone travail", g["phone_work"]),
            _read_only_row("Adresse", g["address_line"]),
            _read_only_row("Code postal", g["postal_code"]),
            _read_only_row("Ville", g["city"]),
            _read_only_row("Employeur", g["employer"]),
        ),
    )


def family_info_page() -> rx.Component:
    return family_page(
        "Famille",
        rx.text("Les responsables de la famille : un onglet par responsable."),
        _tabs_page(
            FamilyState, FamilyState.guardian_labels, FamilyState.guardians, _guardian_form, _guardian_read_only
        ),
        family_sections(),
    )


# --- Enfants ---------------------------------------------------------------------------------


def _child_input(i, c, name: str, label: str, **props) -> rx.Component:
    field_id = "c" + i.to_string() + "-" + name
    return field(
        label,
        text_input(
            field_id,
            value=c[name],
            on_change=lambda v: ChildrenState.set_child_field(i, name, v),
            aria_invalid=ChildrenState.child_errors[i][name] != "",
            **props,
        ),
        field_id,
        error=ChildrenState.child_errors[i][name],
    )


def _check_row(control: rx.Component, label, field_id) -> rx.Component:
    return rx.el.div(
        control,
        rx.el.label(label, html_for=field_id),
        style={"display": "flex", "align_items": "center", "gap": "0.6rem", "min_height": "2.25rem"},
    )


def _services(i) -> rx.Component:
    def one(name, j):
        field_id = "c" + i.to_string() + "-service-" + j.to_string()
        return _check_row(
            rx.el.input(
                type="checkbox",
                id=field_id,
                checked=ChildrenState.enrolled[i][j],
                on_change=ChildrenState.toggle_service(i, j),
                style=CHECK_STYLE,
            ),
            name,
            field_id,
        )

    return rx.el.fieldset(
        rx.el.legend("Prestations auxquelles l'enfant est inscrit", style=LEGEND),
        rx.foreach(ChildrenState.service_names, one),
        style=SECTION,
    )


def _diet_select(i, c) -> rx.Component:
    field_id = "c" + i.to_string() + "-diet"
    return field(
        "Régime alimentaire",
        rx.el.select(
            rx.foreach(ChildrenState.diet_options, lambda option: rx.el.option(option[1], value=option[0])),
            id=field_id,
            value=c["diet"],
            on_change=lambda v: ChildrenState.set_child_field(i, "diet", v),
            style=INPUT_STYLE,
        ),
        field_id,
        error=ChildrenState.child_errors[i]["diet"],
    )


def _pai(i, c) -> rx.Component:
    no_id = "c" + i.to_string() + "-pai-non"
    yes_id = "c" + i.to_string() + "-pai-oui"
    notes_id = "c" + i.to_string() + "-pai-notes"
    name = "pai-" + i.to_string()
    return rx.el.fieldset(
        rx.el.legend("PAI (projet d'accueil individualisé)", style=LEGEND),
        rx.el.div(
            _check_row(
                rx.el.input(
                    type="radio",
                    id=no_id,
                    name=name,
                    checked=c["pai"] == "",
                    on_change=ChildrenState.set_child_field(i, "pai", ""),
                    style=CHECK_STYLE,
                ),
                "Non",
                no_id,
            ),
            _check_row(
                rx.el.input(
                    type="radio",
                    id=yes_id,
                    name=name,
                    checked=c["pai"] == "1",
                    on_change=ChildrenState.set_child_field(i, "pai", "1"),
                    style=CHECK_STYLE,
                ),
                "Oui",
                yes_id,
            ),
            style={"display": "flex", "flex_wrap": "wrap", "gap": "1.5rem"},
        ),
        rx.cond(
            c["pai"] == "1",
            field(
                "Allergies et remarques du PAI",
                rx.el.textarea(
                    id=notes_id,
                    value=c["pai_notes"],
                    rows=4,
                    on_change=lambda v: ChildrenState.set_child_field(i, "pai_notes", v),
                    style=INPUT_STYLE,
                ),
                notes_id,
                error=ChildrenState.child_errors[i]["pai_notes"],
            ),
        ),
        style=SECTION,
    )


def _child_form(c, i) -> rx.Component:
    return _form_tab(
        i,
        ChildrenState,
        ChildrenState.save_child(i),
        _section(
            "Identité",
            _child_input(i, c, "last_name", "Nom", required=True),
            _child_input(i, c, "first_name", "Prénom", required=True),
            _child_input(i, c, "birth_date", "Date de naissance", type="date"),
            _child_input(i, c, "school", "École"),
            _child_input(i, c, "class_name", "Classe"),
        ),
        _services(i),
        _section("Régime particulier", _diet_select(i, c)),
        _pai(i, c),
    )


def _child_read_only(c, i) -> rx.Component:
    return _tab(
        i,
        rx.vstack(
            _dl(
                _read_only_row("Nom", c["last_name"]),
                _read_only_row("Prénom", c["first_name"]),
                _read_only_row("Date de naissance", c["birth_date_fr"]),
                _read_only_row("École", c["school"]),
                _read_only_row("Classe", c["class_name"]),
                _read_only_row("Régime alimentaire", rx.cond(c["diet"] != "", c["diet"], "Aucun")),
                _read_only_row("PAI", rx.cond(c["pai"] == "1", "Oui", "Non")),
            ),
            rx.el.div(
                rx.el.h2("Prestations", style={"font_weight": "600", "font_size": "1rem", "margin": "0"}),
                rx.el.ul(
                    rx.foreach(
                        ChildrenState.service_names,
                        lambda name, j: rx.cond(ChildrenState.enrolled[i][j], rx.el.li(name)),
                    )
                ),
            ),
            spacing="3",
            width="100%",
        ),
    )


def children_info_page() -> rx.Component:
    return family_page(
        "Enfants",
        rx.text(
            "Vos enfants : un onglet par enfant, avec les prestations auxquelles il est inscrit et son "
            "régime particulier."
        ),
        _tabs_page(ChildrenState, ChildrenState.child_labels, ChildrenState.children, _child_form, _child_read_only),
    )
