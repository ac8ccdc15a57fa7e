"""Guide section 2, second half: `/{slug}/enfants`, one tab per child with its services, diet and PAI."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.banner import family_page
from cantine_portal.components.forms import INPUT_STYLE, field
from cantine_portal.pages.family_tabs import (
    CHECK_STYLE,
    LEGEND,
    SECTION,
    form_section,
    form_tab,
    read_only_list,
    read_only_row,
    row_input,
    tab,
    tabs_page,
)
from cantine_portal.state.family import ChildrenState


def _child_input(i, c, name: str, label: str, **props) -> rx.Component:
    return row_input("c", i, c, name, label, ChildrenState.set_child_field, ChildrenState.child_errors, **props)


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
    return form_tab(
        i,
        ChildrenState,
        ChildrenState.save_child(i),
        form_section(
            "Identité",
            _child_input(i, c, "last_name", "Nom", required=True),
            _child_input(i, c, "first_name", "Prénom", required=True),
            _child_input(i, c, "birth_date", "Date de naissance", type="date"),
            _child_input(i, c, "school", "École"),
            _child_input(i, c, "class_name", "Classe"),
        ),
        _services(i),
        form_section("Régime particulier", _diet_select(i, c)),
        _pai(i, c),
    )


def _child_read_only(c, i) -> rx.Component:
    return tab(
        i,
        rx.vstack(
            read_only_list(
                read_only_row("Nom", c["last_name"]),
                read_only_row("Prénom", c["first_name"]),
                read_only_row("Date de naissance", c["birth_date_fr"]),
                read_only_row("École", c["school"]),
                read_only_row("Classe", c["class_name"]),
                read_only_row("Régime alimentaire", rx.cond(c["diet"] != "", c["diet"], "Aucun")),
                read_only_row("PAI", rx.cond(c["pai"] == "1", "Oui", "Non")),
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
        tabs_page(ChildrenState, ChildrenState.child_labels, ChildrenState.children, _child_form, _child_read_only),
    )
