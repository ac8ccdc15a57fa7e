"""The back office's frame: the staff banner and a wider main column (a laptop screen)."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.forms import PostForm
from cantine_portal.components.layout import commune_colour_root, commune_logo, footer
from cantine_portal.state.admin import StaffState
from cantine_portal.state.portal import PortalState

ADMIN_PAGE_STYLE = {"max_width": "80rem", "margin": "0 auto", "padding": "1rem", "width": "100%"}

# (label, path under /{slug}/admin/, icon)
ADMIN_ITEMS = [
    ("Paramètres", "parametres", "settings"),
    ("Prestations", "prestations", "utensils"),
    ("Calendrier", "calendrier", "calendar-days"),
    ("Familles", "familles", "users"),
    ("Quotients familiaux", "quotients", "scale"),
    ("Effectifs", "effectifs", "clipboard-list"),
    ("Absences", "absences", "thermometer"),
    ("Documents", "documents", "file-text"),
    ("Messages", "messages", "mail"),
    ("Paiements", "paiements", "credit-card"),
    ("Aide cantine à 1 €", "aide-cantine-1-euro", "hand-coins"),
    ("Régie", "regie", "landmark"),
]

LINK_STYLE = {
    "display": "inline-flex",
    "align_items": "center",
    "gap": "0.35rem",
    "padding": "0.45rem 0.6rem",
    "min_height": "44px",
    "border_radius": "6px",
    "color": "var(--gray-12)",
    "text_decoration": "none",
    "font_weight": "500",
    "_hover": {"background": "var(--accent-4)", "text_decoration": "underline"},
}
# The page in the menu: underlined and bold, with the commune's colour as a bar (not colour alone).
CURRENT_STYLE = {
    **LINK_STYLE,
    "font_weight": "700",
    "text_decoration": "underline",
    "box_shadow": "inset 0 -3px 0 var(--commune-primary, #1d4e89)",
}
# Which menu entry a page title belongs to (aria-current="page"); the family page is under Familles.
_MENU_OF_TITLE = {
    "Back-office": "",
    "Paramètres": "parametres",
    "Prestations et tarifs": "prestations",
    "Calendrier": "calendrier",
    "Familles": "familles",
    "Effectifs": "effectifs",
    "Absences": "absences",
    "Documents": "documents",
    "Messages": "messages",
    "Paiements": "paiements",
    "Régie": "regie",
}
MAIN_ID = "contenu"
# RGAA 4.1 basics for every back-office page: a focus ring that shows on every control, and
# 44 px targets (WCAG 2.5.5) for buttons, fields and links of the menu.
A11Y_STYLE = {
    "& :focus-visible": {"outline": "3px solid var(--commune-primary, #1d4e89)", "outline_offset": "2px"},
    "& button, & select, & input:not([type=checkbox]):not([type=radio]):not([type=hidden])": {"min_height": "44px"},
    "& input[type=checkbox]": {"width": "1.4rem", "height": "1.4rem"},
}
SKIP_LINK_STYLE = {
    "position": "absolute",
    "left": "0.5rem",
    "top": "-4rem",
    "z_index": "10",
    "padding": "0.75rem 1rem",
    "background": "#ffffff",
    "color": "#1a1a1a",
    "border": "2px solid #1a1a1a",
    "border_radius": "6px",
    "font_weight": "600",
    "_focus": {"top": "0.5rem"},
}


def skip_link() -> rx.Component:
    """« Aller au contenu »: the first stop of the keyboard, visible when focused (RGAA 12.7)."""
    return rx.el.a("Aller au contenu", href="#" + MAIN_ID, style=SKIP_LINK_STYLE)


def admin_header() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            commune_logo(),
            rx.vstack(
                rx.text("Back-office de la commune", size="2", color_scheme="gray", high_contrast=True),
                rx.heading(PortalState.commune_name, as_="p", size="5"),
                spacing="0",
            ),
            rx.spacer(),
            rx.cond(StaffState.staff_logged_in, rx.text("Agent : ", StaffState.staff_email, size="2")),
            align="center",
            spacing="3",
            style=ADMIN_PAGE_STYLE,
        ),
        style={"border_bottom": "4px solid var(--commune-primary, #1d4e89)", "background": "var(--gray-3)"},
    )


def _menu_link(icon: str, label: str, path: str, current: str | None) -> rx.Component:
    mine = current == path
    href = "/" + StaffState.portal_slug + "/admin" + ("/" + path if path else "")
    return rx.el.li(
        rx.el.a(
            rx.icon(icon, size=18, aria_hidden="true"),
            label,
            href=href,
            style=CURRENT_STYLE if mine else LINK_STYLE,
            **({"aria_current": "page"} if mine else {}),
        )
    )


def admin_banner(current: str | None = None) -> rx.Component:
    """The menu; ``current`` is the path of the page shown ("" for Accueil), marked aria-current."""
    slug = StaffState.portal_slug
    items = [_menu_link("layout-dashboard", "Accueil", "", current)]
    items += [_menu_link(icon, label, path, current) for label, path, icon in ADMIN_ITEMS]
    items.append(
        rx.el.li(
            PostForm.create(
                rx.el.button(
                    rx.icon("log-out", size=18, aria_hidden="true"),
                    "Se déconnecter",
                    type="submit",
                    style={
                        **LINK_STYLE,
                        "background": "none",
                        "border": "1px solid var(--gray-7)",
                        "cursor": "pointer",
                    },
                ),
                action="/api/" + slug + "/admin/deconnexion",
                method="post",
            )
        )
    )
    return rx.el.nav(
        rx.el.ul(
            *items,
            style={
                "display": "flex",
                "flex_wrap": "wrap",
                "gap": "0.2rem",
                "list_style": "none",
                "margin": "0",
                "padding": "0.25rem 0",
            },
        ),
        aria_label="Menu du back-office",
        style={**ADMIN_PAGE_STYLE, "padding_top": "0.25rem", "padding_bottom": "0.25rem"},
    )


def admin_frame(*children: rx.Component) -> rx.Component:
    """Header, main, footer; the not-found text for an unknown commune."""
    return rx.el.div(
        rx.cond(
            PortalState.portal_status == "found",
            rx.fragment(
                skip_link(),
                admin_header(),
                rx.el.main(*children, id=MAIN_ID, tab_index=-1, style=ADMIN_PAGE_STYLE),
                footer(),
            ),
            rx.el.main(
                rx.cond(
                    PortalState.portal_status == "missing",
                    rx.heading("Portail introuvable", as_="h1", size="7"),
                    rx.center(rx.spinner(size="3"), rx.text("Chargement…", margin_left="0.5rem"), padding="3rem"),
                ),
                style=ADMIN_PAGE_STYLE,
            ),
        ),
        style={
            "min_height": "100vh",
            "display": "flex",
            "flex_direction": "column",
            "position": "relative",
            **commune_colour_root(),
            **A11Y_STYLE,
        },
    )


def admin_page(title: str | rx.Var, *children: rx.Component, menu: str | None = None) -> rx.Component:
    """A back-office page: nothing shows until the staff session is checked. ``menu``: the menu
    entry marked as the current page (by default the one named by ``title``; Familles for a family)."""
    current = menu if menu is not None else (_MENU_OF_TITLE.get(title) if isinstance(title, str) else "familles")
    return admin_frame(
        rx.cond(
            StaffState.staff_logged_in,
            rx.vstack(
                rx.el.div(admin_banner(current), style={"border_bottom": "1px solid var(--gray-5)", "width": "100%"}),
                rx.heading(title, as_="h1", size="7", margin_top="0.5rem"),
                *children,
                spacing="4",
                width="100%",
                align="stretch",
            ),
            rx.center(rx.spinner(size="3"), rx.text("Chargement…", margin_left="0.5rem"), padding="3rem"),
        )
    )


CELL = {
    "padding": "0.4rem 0.5rem",
    "border_bottom": "1px solid var(--gray-5)",
    "text_align": "left",
    "vertical_align": "top",
}


def table(headers: list[str], body: rx.Component, caption: str | None = None) -> rx.Component:
    """A plain, accessible data table (<th scope=col>), scrolling sideways on narrow screens."""
    return rx.el.div(
        rx.el.table(
            *(
                [rx.el.caption(caption, style={"text_align": "left", "font_weight": "600", "padding": "0.3rem 0"})]
                if caption
                else []
            ),
            rx.el.thead(
                rx.el.tr(*[rx.el.th(h, scope="col", style={**CELL, "background": "var(--gray-3)"}) for h in headers])
            ),
            rx.el.tbody(body),
            style={"border_collapse": "collapse", "width": "100%", "font_size": "15px"},
        ),
        # a region that scrolls sideways on a phone must be reachable with the keyboard (axe:
        # scrollable-region-focusable): it takes the focus and is named after its table
        tab_index=0,
        role="region",
        aria_label=caption or "Tableau : " + ", ".join(headers),
        style={"overflow_x": "auto", "width": "100%"},
    )


def td(*children, **props) -> rx.Component:
    return rx.el.td(*children, style=CELL, **props)
