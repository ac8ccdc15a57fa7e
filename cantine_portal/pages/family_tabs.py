"""What the Famille and Enfants pages share: one tab per guardian or child, editable or read-only.

The pages (pages/family.py, pages/children.py) give the rows and the form of one tab; this module lays
out the tabs, the fieldsets, Enregistrer with its messages, and the commune's notice when it keeps
these edits for itself (then the tabs are read-only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from cantine_portal.components.forms import field, message_if, text_input, with_error_summary
from cantine_portal.services.families.family import MSG_CLOSED
from cantine_portal.state.auth import AuthState

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


def form_messages(state) -> rx.Component:
    """The save's outcome and its notes (e.g. days cancelled by an unenrollment), under Enregistrer."""
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


def read_only_row(label: str, value) -> rx.Component:
    """One term and its value; an empty value reads « — » rather than nothing."""
    return rx.el.div(
        rx.el.dt(label, style={"font_weight": "600"}),
        rx.el.dd(rx.cond(value != "", value, "—"), style={"margin": "0", "overflow_wrap": "anywhere"}),
    )


def read_only_list(*rows: rx.Component) -> rx.Component:
    """The read-only tab's description list, in the same wrapping columns as the form."""
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


def tab(i, content: rx.Component) -> rx.Component:
    """The panel of the ``i``-th tab (its value matches the trigger's)."""
    return rx.tabs.content(content, value=i.to_string(), padding_top="1rem")


def form_section(legend: str, *fields: rx.Component) -> rx.Component:
    """A titled fieldset whose fields wrap to one per line on a phone."""
    return rx.el.fieldset(rx.el.legend(legend, style=LEGEND), rx.el.div(*fields, style=GRID), style=SECTION)


def form_tab(i, state, save, *sections: rx.Component) -> rx.Component:
    """One guardian's or child's editable tab: its sections, then Enregistrer and the messages under it."""
    return tab(
        i,
        rx.el.div(
            rx.vstack(
                *with_error_summary(sections),
                rx.button("Enregistrer", type="button", size="3", on_click=save),
                form_messages(state),
                spacing="4",
                align="stretch",
                width="100%",
            ),
        ),
    )


def tabs_page(state, labels, rows, form, read_only) -> rx.Component:
    """Editable tabs, or, when the commune keeps these edits for itself, read-only ones under its notice."""
    return rx.cond(
        state.can_edit,
        _tabs(labels, rx.foreach(rows, form), state.tab_changed),
        rx.vstack(
            closed_notice(),
            _tabs(labels, rx.foreach(rows, read_only), state.tab_changed),
            form_messages(state),
            spacing="4",
            width="100%",
        ),
    )


def row_input(
    prefix: str, i: Any, row: Any, name: str, label: str, setter: Callable[..., Any], errors: Any, **props: Any
) -> rx.Component:
    """One labelled text field of a guardian's or a child's form (field ids ``g0-email``, ``c1-school``),
    its error under it and in ``aria-invalid``."""
    field_id = prefix + i.to_string() + "-" + name
    return field(
        label,
        text_input(
            field_id,
            value=row[name],
            on_change=lambda v: setter(i, name, v),
            aria_invalid=errors[i][name] != "",
            **props,
        ),
        field_id,
        error=errors[i][name],
    )
