"""The page frame shared by every portal page: header, main column, footer."""

from __future__ import annotations

import reflex as rx

from cantine_portal.state.portal import PortalState

PAGE_STYLE = {"max_width": "60rem", "margin": "0 auto", "padding": "1rem", "width": "100%"}


def link_button(label, href, **props) -> rx.Component:
    """A link that looks like a button (a real <a>, so it is not a button inside a link)."""
    return rx.button(rx.link(label, href=href, underline="none", high_contrast=True), as_child=True, **props)


def commune_logo(height: str = "48px") -> rx.Component:
    """The commune's logo next to its name, or the generic pictogram when it has none."""
    return rx.cond(
        PortalState.commune_logo_url != "",
        rx.el.img(src=PortalState.commune_logo_url, alt="Logo de " + PortalState.commune_name,
                  style={"height": height, "width": "auto", "max_width": "8rem", "object_fit": "contain"}),
        rx.icon("utensils", size=28, aria_hidden="true"),
    )


def commune_colour_root() -> dict:
    """Style of a page's root element: the commune's main colour as ``--commune-primary``."""
    return {"--commune-primary": PortalState.commune_colour}


def header() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            commune_logo(),
            rx.vstack(
                rx.text("Portail famille", size="2", color_scheme="gray"),
                rx.heading(PortalState.commune_name, as_="p", size="5"),
                spacing="0",
            ),
            align="center",
            spacing="3",
            style=PAGE_STYLE,
        ),
        style={"border_bottom": "4px solid var(--commune-primary, #1d4e89)", "background": "var(--accent-2)"},
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.text(
            PortalState.commune_name,
            " — ",
            PortalState.commune_address,
            " — ",
            PortalState.commune_phone,
            size="1",
            color_scheme="gray",
        ),
        style={**PAGE_STYLE, "border_top": "1px solid var(--gray-5)", "margin_top": "2rem"},
    )


def not_found_content() -> rx.Component:
    return rx.vstack(
        rx.heading("Portail introuvable", as_="h1", size="7"),
        rx.text(
            "Aucun portail famille ne correspond à cette adresse. Vérifiez le lien que votre "
            "commune vous a communiqué par e-mail (il est de la forme …/votreville)."
        ),
        spacing="3",
        style=PAGE_STYLE,
    )


def loading_content() -> rx.Component:
    return rx.center(rx.spinner(size="3"), rx.text("Chargement…", margin_left="0.5rem"), padding="3rem")


def portal_page(*children: rx.Component) -> rx.Component:
    """Frame for a commune page; shows the not-found text when the slug is unknown."""
    return rx.el.div(
        rx.cond(
            PortalState.portal_status == "found",
            rx.fragment(header(), rx.el.main(*children, style=PAGE_STYLE), footer()),
            rx.el.main(
                rx.cond(PortalState.portal_status == "missing", not_found_content(), loading_content()),
            ),
        ),
        style={"min_height": "100vh", "display": "flex", "flex_direction": "column", **commune_colour_root()},
    )
