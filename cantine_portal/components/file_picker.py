"""The back office's file picker: one button that opens the file chooser, and the name of the file
chosen (or « Aucun fichier choisi. »), inside an upload zone whose hidden input has its own label.

Logo (Paramètres), family and QF imports (Familles, Quotients familiaux) and documents all used
their own copy of this block; one component keeps them alike (44 px tall, as the touch targets of
the parents' pages)."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.forms import labelled_upload

BUTTON_STYLE = {
    "display": "inline-flex",
    "align_items": "center",
    "gap": "0.35rem",
    "min_height": "44px",
    "padding": "0.5rem 0.9rem",
    "border": "1px solid var(--gray-8)",
    "border_radius": "6px",
    "background": "var(--gray-2)",
    "color": "var(--gray-12)",
    "cursor": "pointer",
}


def file_picker(
    upload_id: str, *, button: str, input_label: str, accept: dict[str, list[str]], icon: str | None = None
) -> rx.Component:
    """``button`` is the visible text, ``input_label`` the accessible name of the hidden file input."""
    chosen = rx.selected_files(upload_id)
    label: list[rx.Component | str] = [rx.icon(icon, size=16, aria_hidden="true"), " " + button] if icon else [button]
    return labelled_upload(
        rx.flex(
            rx.el.button(*label, type="button", style=BUTTON_STYLE),
            rx.text(
                rx.cond(chosen.length() > 0, "Fichier choisi : " + chosen.join(", "), "Aucun fichier choisi."),
                size="2",
            ),
            gap="0.75rem",
            align="center",
            wrap="wrap",
        ),
        upload_id=upload_id,
        input_label=input_label,
        multiple=False,
        accept=accept,
        style={"margin": "0.5rem 0"},
    )
