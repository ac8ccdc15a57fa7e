"""The Reflex app: pages registered here, business rules in services/."""

from __future__ import annotations

import reflex as rx

from cantine_portal.api.middleware import portal_middleware
from cantine_portal.api.routes import build_api
from cantine_portal.pages import home
from cantine_portal.state.portal import PortalState

app = rx.App(
    theme=rx.theme(accent_color="teal", radius="medium"),
    html_lang="fr",
    api_transformer=[build_api(), portal_middleware],
)

app.add_page(home.root, route="/", title="Portail famille")
app.add_page(home.home, route="/[slug]", title="Portail famille", on_load=PortalState.load_portal)
