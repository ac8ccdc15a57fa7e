"""Styles and helpers shared by the back-office pages (Effectifs, Documents, Messages, Paiements,
Familles), so that each page module stays small and they all look alike."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.forms import message_if

LINK = {
    "color": "var(--accent-12)",
    "font_weight": "600",
    "text_decoration": "underline",
    "display": "inline-flex",
    "align_items": "center",
    "gap": "0.3rem",
}
# A link in the accent colour (the pricing pages: grids, quotients, claim).
ACCENT_LINK = {"display": "inline-flex", "align_items": "center", "gap": "0.3rem", "color": "var(--accent-11)"}
SR_ONLY = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "overflow": "hidden",
    "clip": "rect(0 0 0 0)",
    "white_space": "nowrap",
}
CIVILITIES = [("", "—"), ("Mme", "Mme"), ("M.", "M.")]


def state_messages(state) -> rx.Component:
    """The success / error banners every back-office state exposes."""
    return rx.fragment(message_if(state.success_message, "success"), message_if(state.error_message, "error"))
