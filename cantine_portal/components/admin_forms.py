"""Form pieces of the back office: uncontrolled inputs read on submit, errors next to fields."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.forms import INPUT_STYLE, field

CHECK_STYLE = {"display": "inline-flex", "align_items": "center", "gap": "0.4rem", "margin_right": "0.8rem"}


def error_of(errors: rx.Var, name: str, when: rx.Var | bool = True) -> rx.Var:
    value = errors.get(name, "")
    return rx.cond(when, value, "") if when is not True else value


def input_field(label: str, name: str, field_id: str, default, errors: rx.Var | None = None, *,
                hint: str | None = None, when=True, **props) -> rx.Component:
    control = rx.el.input(id=field_id, name=name, default_value=default, style=INPUT_STYLE,
                          aria_describedby=f"{field_id}-hint" if hint else None, **props)
    error = error_of(errors, name, when) if errors is not None else None
    return field(label, control, field_id, hint=hint, error=error)


def select_field(label: str, name: str, field_id: str, default, options: list[tuple[str, str]] | rx.Var,
                 errors: rx.Var | None = None, *, when=True, first: tuple[str, str] | None = None) -> rx.Component:
    """``options``: (value, text) pairs, or a list Var of names whose values are their positions."""
    children = [rx.el.option(first[1], value=first[0])] if first else []
    if isinstance(options, list):
        children += [rx.el.option(text, value=value) for value, text in options]
    else:
        children += [rx.foreach(options, lambda name, i: rx.el.option(name, value=i.to_string()))]
    control = rx.el.select(*children, id=field_id, name=name, default_value=default, style=INPUT_STYLE)
    error = error_of(errors, name, when) if errors is not None else None
    return field(label, control, field_id, error=error)


def checkbox(label, name: str, field_id: str, checked) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", id=field_id, name=name, default_checked=checked,
                    style={"width": "1.1rem", "height": "1.1rem"}),
        label,
        html_for=field_id,
        style=CHECK_STYLE,
    )


def submit(label: str, **props) -> rx.Component:
    return rx.button(label, type="submit", **{"size": "2", **props})


def section(title: str, *children, **props) -> rx.Component:
    return rx.el.section(
        rx.heading(title, as_="h2", size="5", margin_bottom="0.5rem"),
        *children,
        style={"padding": "1rem", "border": "1px solid var(--gray-6)", "border_radius": "8px", "width": "100%"},
        **props,
    )


def grid(*children, min_width: str = "14rem") -> rx.Component:
    return rx.el.div(*children, style={"display": "grid", "gap": "0.75rem", "width": "100%",
                                       "grid_template_columns": f"repeat(auto-fill, minmax({min_width}, 1fr))"})
