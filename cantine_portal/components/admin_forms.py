"""Form pieces of the back office: uncontrolled inputs read on submit, errors next to fields."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.forms import INPUT_STYLE, listed, with_error_summary
from cantine_portal.components.forms import error_summary as shared_error_summary

CHECK_STYLE = {"display": "inline-flex", "align_items": "center", "gap": "0.4rem", "margin_right": "0.8rem"}


def error_of(errors: rx.Var, name: str, when: rx.Var | bool = True) -> rx.Var:
    value = errors.get(name, "")
    return rx.cond(when, value, "") if when is not True else value


ERROR_RED = "#b3261e"  # 6.3:1 on white


def _marked(field_id: str, error: rx.Var | None, hint: str | None) -> dict:
    """RGAA 11.10: an invalid field says so (aria-invalid, a red border) and points to its message
    (aria-describedby, with the hint when there is one)."""
    hint_id = f"{field_id}-hint" if hint else ""
    if error is None:
        return {"style": INPUT_STYLE, **({"aria_describedby": hint_id} if hint_id else {})}
    invalid = error != ""
    return {
        "aria_invalid": rx.cond(invalid, "true", "false"),
        "aria_describedby": rx.cond(invalid, (f"{field_id}-error " + hint_id).strip(), hint_id),
        "style": {**INPUT_STYLE, "border": rx.cond(invalid, f"2px solid {ERROR_RED}", INPUT_STYLE["border"])},
    }


def _admin_field(
    label: str, control: rx.Component, field_id: str, hint: str | None, error: rx.Var | None
) -> rx.Component:
    """``field`` of the back office: the error message carries the id the control points to."""
    children = [rx.el.label(label, html_for=field_id, style={"font_weight": "600"})]
    if hint is not None:
        children.append(rx.text(hint, size="2", id=f"{field_id}-hint"))
    children.append(control)
    if error is not None:
        children.append(
            rx.cond(
                error != "",
                rx.text(
                    "⚠ ", error, id=f"{field_id}-error", size="2", style={"color": ERROR_RED, "font_weight": "600"}
                ),
            )
        )
    return rx.vstack(*children, spacing="1", width="100%", align="stretch")


def input_field(
    label: str,
    name: str,
    field_id: str,
    default,
    errors: rx.Var | None = None,
    *,
    hint: str | None = None,
    when=True,
    **props,
) -> rx.Component:
    error = error_of(errors, name, when) if errors is not None else None
    control = rx.el.input(id=field_id, name=name, default_value=default, **_marked(field_id, error, hint), **props)
    return listed(_admin_field(label, control, field_id, hint, error), error, field_id, label)


def select_field(
    label: str,
    name: str,
    field_id: str,
    default,
    options: list[tuple[str, str]] | rx.Var,
    errors: rx.Var | None = None,
    *,
    when=True,
    first: tuple[str, str] | None = None,
) -> rx.Component:
    """``options``: (value, text) pairs, or a list Var of names whose values are their positions."""
    children = [rx.el.option(first[1], value=first[0])] if first else []
    if isinstance(options, list):
        children += [rx.el.option(text, value=value) for value, text in options]
    else:
        children += [rx.foreach(options, lambda name, i: rx.el.option(name, value=i.to_string()))]
    error = error_of(errors, name, when) if errors is not None else None
    control = rx.el.select(*children, id=field_id, name=name, default_value=default, **_marked(field_id, error, None))
    return listed(_admin_field(label, control, field_id, None, error), error, field_id, label)


def error_summary(errors: rx.Var, fields: list[tuple[str, str, str]], summary_id: str = "form-errors") -> rx.Component:
    """At the top of a form (RGAA 11.10): the list of fields to correct, each a link to its field.
    ``fields``: (error key, field id, label), in the form's order. The parents' summary
    (components/forms.py), fed from the form's ``errors`` dict."""
    return shared_error_summary(
        [(errors.get(name, "").to(str), field_id, label) for name, field_id, label in fields], summary_id
    )


def summarised_form(*children: rx.Component, **props) -> rx.Component:
    """A back-office form with its error summary on top (RGAA 11.10), listing each field of the
    form built by ``input_field``/``select_field`` whose message is showing, as a link to it."""
    return rx.el.form(*with_error_summary(children), **props)


def checkbox(label, name: str, field_id: str, checked) -> rx.Component:
    return rx.el.label(
        rx.el.input(
            type="checkbox",
            id=field_id,
            name=name,
            default_checked=checked,
            style={"width": "1.1rem", "height": "1.1rem"},
        ),
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
    return rx.el.div(
        *children,
        style={
            "display": "grid",
            "gap": "0.75rem",
            "width": "100%",
            "grid_template_columns": f"repeat(auto-fill, minmax({min_width}, 1fr))",
        },
    )
