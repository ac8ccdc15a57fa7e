"""Form pieces shared by the pages: labelled fields, messages, a plain HTTP form."""

from __future__ import annotations

from collections.abc import Sequence

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML

from cantine_portal.components.upload_reset import upload_reset


class PostForm(BaseHTML):
    """A native <form method=post>: the browser submits it over HTTP (login, logout).

    Reflex's own form always cancels native submission; these two forms must reach an HTTP
    route so that the session cookie can be set HttpOnly.
    """

    tag = "form"
    action: rx.Var[str]
    method: rx.Var[str]


def field(
    label: str, control: rx.Component, field_id: str, hint: str | rx.Var | None = None, error: rx.Var | None = None
) -> rx.Component:
    """A label above its control, with an optional hint and an error said in words.

    With ``error`` (RGAA 11.10), the control is marked: ``aria-invalid`` while there is a message,
    and ``aria-describedby`` names the message (and the hint); portal.css draws its red border.
    A control that already sets them keeps its own."""
    children = [rx.el.label(label, html_for=field_id, style={"font_weight": "600"})]
    if hint is not None:
        children.append(rx.text(hint, size="2", color_scheme="gray", id=f"{field_id}-hint"))
    if error is not None:
        _mark_invalid(control, field_id, error, hint is not None)
    children.append(control)
    if error is not None:
        children.append(
            rx.el.p(
                rx.cond(error != "", rx.fragment("⚠ ", error), ""),
                id=f"{field_id}-error",
                class_name="field-error",
                aria_live="polite",
            )
        )
    return listed(rx.vstack(*children, spacing="1", width="100%", align="stretch"), error, field_id, label)


def _mark_invalid(control: rx.Component, field_id: str | rx.Var, error: rx.Var, has_hint: bool) -> None:
    invalid = error != ""
    hint = (" " + field_id + "-hint") if has_hint else ""
    attrs = control.custom_attrs
    attrs.setdefault("aria-invalid", rx.cond(invalid, "true", "false"))
    attrs.setdefault(
        "aria-describedby", rx.cond(invalid, field_id + "-error" + hint, (field_id + "-hint") if has_hint else "")
    )


def error_summary(
    fields: Sequence[tuple[rx.Var, str | rx.Var, str]], summary_id: str | rx.Var = "form-errors"
) -> rx.Component:
    """RGAA 11.10, at the top of a form: each field in error as a link to it (« Nom : obligatoire »).

    ``fields``: (message, field id, label) in the form's order; a field without a message is not
    listed. When it appears (a failed submit: fields are checked on submit) it takes the focus
    (tabindex -1, Reflex's own set_focus event on mount), so a screen reader reads the list and a
    keyboard user goes on from it; each link focuses its field the same way. Shared by the parents' pages
    and the back office (``admin_forms.error_summary`` builds it from an ``errors`` dict)."""
    items = [
        rx.cond(
            message != "",
            rx.el.li(_field_link((label + " : " if label else "") + message, field_id)),
        )
        for message, field_id, label in fields
    ]
    any_error: rx.Var = fields[0][0] != ""
    for message, _, _ in fields[1:]:
        any_error = any_error | (message != "")
    return rx.cond(
        any_error,
        rx.el.div(
            rx.el.h2("Le formulaire contient des erreurs :", class_name="error-summary-title"),
            rx.el.ul(*items),
            id=summary_id,
            class_name="error-summary",
            role="alert",
            tab_index=-1,
            # A static id has a React ref: focus moves here when the summary appears.
            **({"on_mount": rx.set_focus(summary_id)} if isinstance(summary_id, str) else {}),
        ),
    )


def _field_link(text: rx.Var | str, field_id: str | rx.Var) -> rx.Component:
    """A summary line: a link to its field that also gives it the focus (the router alone would
    only change the address). Fields with a computed id keep the plain link."""
    if isinstance(field_id, str):
        return rx.el.a(text, href="#" + field_id, on_click=[rx.prevent_default, rx.set_focus(field_id)])
    return rx.el.a(text, href="#" + field_id)


# Fields built with an error by ``field`` (and the back office's ``input_field``/``select_field``):
# (component, message, id, label). ``with_error_summary`` and ``admin_forms.summarised_form`` find
# those among a form's children, so a form's summary lists exactly its own fields.
_SUMMARISED: list[tuple[rx.Component, rx.Var, str | rx.Var, str]] = []


def listed(component: rx.Component, error: rx.Var | None, field_id: str | rx.Var, label: str) -> rx.Component:
    if error is not None:
        _SUMMARISED.append((component, error, field_id, label))
    return component


def fields_in(component: rx.Component, found: list[tuple[rx.Var, str | rx.Var, str]]) -> None:
    """Append the summarised fields inside ``component`` to ``found``, in the page's order."""
    for known, error, field_id, label in _SUMMARISED:
        if known is component:
            found.append((error.to(str), field_id, label))
            return
    for child in getattr(component, "children", []):
        if isinstance(child, rx.Component):
            fields_in(child, found)


def with_error_summary(children: Sequence[rx.Component]) -> list[rx.Component]:
    """``children`` with, first, the summary of the fields among them (its id after the first one's)."""
    found: list[tuple[rx.Var, str | rx.Var, str]] = []
    for child in children:
        fields_in(child, found)
    return [error_summary(found, found[0][1] + "-errors"), *children] if found else list(children)


INPUT_STYLE = {
    "padding": "0.6rem 0.75rem",
    "border": "1px solid var(--gray-8)",
    "border_radius": "6px",
    "font_size": "16px",  # 16px: phones do not zoom into the field
    "width": "100%",
    "background": "var(--color-background)",
    "color": "var(--gray-12)",
}


# The visible « Choisir … » button of a file picker (the file input itself is hidden by Reflex).
PICK_BUTTON_STYLE = {
    "display": "inline-flex",
    "align_items": "center",
    "gap": "0.35rem",
    "padding": "0.55rem 0.9rem",
    "border": "1px solid var(--gray-8)",
    "border_radius": "6px",
    "background": "var(--gray-2)",
    "color": "var(--gray-12)",
    "cursor": "pointer",
    "font_size": "16px",
}


def text_input(field_id: str, **props) -> rx.Component:
    return rx.el.input(id=field_id, style=INPUT_STYLE, **props)


def callout(message: rx.Var | str, kind: str = "info") -> rx.Component:
    """A message box; the icon and the words carry the meaning, not the colour alone."""
    icons = {"info": "info", "success": "circle-check", "error": "triangle-alert"}
    colors = {"info": "blue", "success": "green", "error": "red"}
    return rx.callout(
        message,
        icon=icons[kind],
        color_scheme=colors[kind],
        role="alert" if kind == "error" else "status",
        width="100%",
        high_contrast=True,
    )


def message_if(message: rx.Var, kind: str = "info") -> rx.Component:
    return rx.cond(message != "", callout(message, kind))


def labelled_upload(*children: rx.Component, upload_id: str, input_label: str, **props) -> rx.Component:
    """rx.upload.root whose hidden file input carries an accessible name (and an id for tests).

    Reflex renders the dropzone's <input type=file> itself, without any prop of ours; it is
    visually hidden but still exposed to assistive technology, so it needs a name of its own.
    The visible control is a button inside the zone (the zone opens the file chooser on click).

    No prop of rx.upload / rx.upload.root reaches that input (other props go to the zone's <div>,
    children after the input), and wrapping react-dropzone ourselves would need Reflex's
    non-public upload context (``upload_file``, ``UploadFilesContext``) for ``rx.upload_files`` and
    ``rx.selected_files`` to keep working. So this edits the element Reflex built, found by
    ``_dropzone_file_input``; pyproject.toml pins reflex-components-core, and
    tests/unit/test_labelled_upload.py checks the rendered input still gets the attributes.
    """
    upload = rx.upload.root(*children, id=upload_id, **props)
    _dropzone_file_input(upload).custom_attrs.update({"aria-label": input_label, "id": f"{upload_id}-input"})
    return rx.fragment(upload, upload_reset(upload_id))  # handlers clear it with clear_upload()


def _dropzone_file_input(upload: rx.Component) -> rx.Component:
    """The <input type=file> of Reflex 0.10's upload: Upload > zone <div> > [input, *children].

    Raises at compile time (so ``reflex run`` and the tests stop) rather than label the wrong
    element if a Reflex upgrade builds the upload another way.
    """
    zone = upload.children[0] if len(upload.children) == 1 else None
    candidate = zone.children[0] if zone is not None and zone.children else None
    kind = getattr(candidate, "type", None)
    if candidate is None or candidate.tag != "input" or str(kind) != '"file"':
        raise RuntimeError(
            "rx.upload.root no longer renders <div><input type=file>…: "
            "update components/forms.py labelled_upload (see tests/unit/test_labelled_upload.py)"
        )
    return candidate


def login_form(
    state, *, id_prefix: str, email_label: str, submit_label: str, action: rx.Var | str, style: dict
) -> rx.Component:
    """The parents' and the staff login: messages, then a native POST form (see PostForm).

    ``state`` holds info_message, error_message, email_prefill (re-shown after a failure) and
    next_path (the page to return to). Keyed on the prefill so the input takes it up again.
    """
    email_id, password_id = f"{id_prefix}-email", f"{id_prefix}-password"
    return rx.fragment(
        message_if(state.info_message, "success"),
        message_if(state.error_message, "error"),
        PostForm.create(
            rx.vstack(
                field(
                    email_label,
                    text_input(
                        email_id,
                        name="email",
                        type="email",
                        auto_complete="username",
                        required=True,
                        default_value=state.email_prefill,
                        key=state.email_prefill,
                    ),
                    email_id,
                ),
                field(
                    "Mot de passe",
                    text_input(
                        password_id, name="password", type="password", auto_complete="current-password", required=True
                    ),
                    password_id,
                ),
                rx.el.input(type="hidden", name="suite", value=state.next_path),
                rx.button(submit_label, type="submit", size="3", width="100%"),
                spacing="4",
                align="stretch",
            ),
            action=action,
            method="post",
            style=style,
        ),
    )
