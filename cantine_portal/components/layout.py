"""The page frame shared by every portal page: skip link, header, menu slot, main column, footer.

Styles are static classes of assets/portal.css (RGAA focus, phone sizes, the commune's colour as
``--commune-primary``). The header stays simple on purpose: the commune's logo ``<img
class="site-logo">`` goes next to its name.
"""

from __future__ import annotations

import reflex as rx

from cantine_portal.state.portal import PortalState

PAGE_STYLE = {"max_width": "60rem", "margin": "0 auto", "padding": "1rem", "width": "100%"}
MAIN_ID = "contenu"


def link_button(label, href, **props) -> rx.Component:
    """A link that looks like a button (a real <a>, so it is not a button inside a link)."""
    return rx.button(rx.link(label, href=href, underline="none", high_contrast=True), as_child=True, **props)


def commune_logo(height: str = "48px") -> rx.Component:
    """The commune's logo next to its name, or the generic pictogram when it has none."""
    return rx.cond(
        PortalState.commune_logo_url != "",
        rx.el.img(
            src=PortalState.commune_logo_url,
            alt="Logo de " + PortalState.commune_name,
            class_name="site-logo",
            style={"height": height, "width": "auto", "object_fit": "contain"},
        ),
        rx.icon("utensils", size=28, aria_hidden="true"),
    )


def commune_colour_root() -> dict:
    """Style of a page's root element: the commune's main colour as ``--commune-primary``.

    Set here on the page's root, together with the variables that portal.css derives from it
    (``--portal-primary``, Radix's ``--accent-9/10``): a custom property defined on ``:root`` as
    ``var(--commune-primary)`` would be resolved there, before this element sets the colour."""
    colour = PortalState.commune_colour
    return {"--commune-primary": colour, "--portal-primary": colour, "--accent-9": colour, "--accent-10": colour}


def skip_link() -> rx.Component:
    """RGAA 12.7: the first focusable element jumps over the header and the menu."""
    return rx.el.a("Aller au contenu", href="#" + MAIN_ID, class_name="skip-link")


def header() -> rx.Component:
    return rx.el.header(
        rx.el.div(
            commune_logo(),
            rx.el.div(
                rx.el.p("Portail famille", class_name="site-kicker"),
                rx.el.p(PortalState.commune_name, class_name="site-name"),
            ),
            class_name="site-header-inner",
        ),
        class_name="site-header",
    )


def footer() -> rx.Component:
    """The commune's address; « Code source »: the portal is free software (AGPL-3.0-or-later),
    whose §13 asks that every user be offered its source (api/source_routes.py)."""
    return rx.el.footer(
        PortalState.commune_name,
        " — ",
        PortalState.commune_address,
        " — ",
        PortalState.commune_phone,
        " — ",
        rx.el.a(
            "Code source",
            href="/api/code-source",
            title="Le portail est un logiciel libre (licence AGPL-3.0 ou ultérieure) : téléchargez son code source",
            style={"text_decoration": "underline"},  # a link told apart from the text without colour
        ),
        class_name="portal-footer",
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


def portal_page(*children: rx.Component, menu: rx.Component | None = None) -> rx.Component:
    """Frame for a commune page; shows the not-found text when the slug is unknown.

    ``menu`` (the family's banner) sits between the header and ``<main>``, so that « Aller au
    contenu » skips it.
    """
    return rx.el.div(
        rx.cond(
            PortalState.portal_status == "found",
            rx.fragment(
                skip_link(),
                header(),
                menu if menu is not None else rx.fragment(),
                rx.el.main(*children, id=MAIN_ID, tab_index=-1, class_name="portal-main"),
                footer(),
            ),
            rx.el.main(
                rx.cond(PortalState.portal_status == "missing", not_found_content(), loading_content()),
                id=MAIN_ID,
            ),
        ),
        style={"min_height": "100vh", "display": "flex", "flex_direction": "column", **commune_colour_root()},
    )
