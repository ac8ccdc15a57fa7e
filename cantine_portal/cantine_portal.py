"""The Reflex app: pages registered here, business rules in services/."""

from __future__ import annotations

import reflex as rx

from cantine_portal.api.middleware import portal_middleware
from cantine_portal.api.routes import build_api
from cantine_portal.pages import account_home, accounts, home, reservations
from cantine_portal.state.accounts import CreatePasswordState, LinkRequestState, LoginState
from cantine_portal.state.auth import AuthState
from cantine_portal.state.reservations import ReservationState
from cantine_portal.state.portal import PortalState

app = rx.App(
    theme=rx.theme(accent_color="indigo", radius="medium"),
    html_lang="fr",
    api_transformer=[build_api(), portal_middleware],
)

TITLE = "Portail famille"

app.add_page(home.root, route="/", title=TITLE)
app.add_page(home.home, route="/[slug]", title=TITLE, on_load=PortalState.load_portal)
app.add_page(accounts.login_page, route="/[slug]/connexion", title="Connexion — " + TITLE,
             on_load=LoginState.load_login)
app.add_page(accounts.first_connection_page, route="/[slug]/premiere-connexion",
             title="Première connexion — " + TITLE, on_load=LinkRequestState.load_public)
app.add_page(accounts.create_password_page, route="/[slug]/mot-de-passe/creer",
             title="Créer le mot de passe — " + TITLE, on_load=CreatePasswordState.load_token)
app.add_page(accounts.change_password_page, route="/[slug]/mot-de-passe", title="Mot de passe — " + TITLE,
             on_load=[AuthState.load_protected, LinkRequestState.load_logged_in])
app.add_page(account_home.account_home, route="/[slug]/accueil", title="Mon espace — " + TITLE,
             on_load=AuthState.load_protected)
app.add_page(reservations.reservations_page, route="/[slug]/reservations", title="Réservations — " + TITLE,
             on_load=[AuthState.load_protected, ReservationState.load])
