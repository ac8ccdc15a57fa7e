"""The Reflex app: pages registered here, business rules in services/."""

from __future__ import annotations

import reflex as rx

from cantine_portal.config import get_settings
from cantine_portal.infra.files import private_umask, secure_var_tree

# Before anything opens the database or writes a file: var/ is the portal user's only.
private_umask()
secure_var_tree(get_settings())

from cantine_portal.api.middleware import portal_middleware
from cantine_portal.api.routes import build_api
from cantine_portal.pages import (
    absences,
    account_home,
    accounts,
    admin,
    admin_absences,
    admin_attendance,
    admin_calendar,
    admin_claim,
    admin_documents,
    admin_families,
    admin_family,
    admin_messages,
    admin_payments,
    admin_pricing,
    admin_quotients,
    admin_regie,
    admin_rollcall,
    admin_services,
    admin_settings,
    children,
    content,
    family,
    home,
    payment,
    preferences,
    reservations,
)
from cantine_portal.state.absences import AbsencesState
from cantine_portal.state.accounts import CreatePasswordState, LinkRequestState, LoginState
from cantine_portal.state.admin import StaffLoginState
from cantine_portal.state.admin_absences import AdminAbsencesState
from cantine_portal.state.admin_config import AdminCalendarState, AdminServicesState, AdminSettingsState
from cantine_portal.state.admin_daily import (
    AdminAttendanceState,
    AdminDocumentsState,
    AdminMessagesState,
    AdminPaymentsState,
)
from cantine_portal.state.admin_families import AdminFamiliesState, AdminFamilyState
from cantine_portal.state.admin_family_logins import AdminFamilyLoginsState
from cantine_portal.state.admin_family_money import AdminFamilyMoneyState
from cantine_portal.state.admin_pricing import AdminClaimState, AdminGridsState, AdminQuotientsState
from cantine_portal.state.admin_regie import AdminRegieState
from cantine_portal.state.admin_rollcall import AdminRollCallState, AdminUnbookedState
from cantine_portal.state.admin_tasks import AdminHomeState
from cantine_portal.state.auth import AuthState
from cantine_portal.state.content import ContactState, DocumentsState
from cantine_portal.state.family import ChildrenState, FamilyState
from cantine_portal.state.family_quotient import FamilyQuotientState
from cantine_portal.state.guardian_access import GuardianAccessState
from cantine_portal.state.payment import PaymentReturnState, ReceiptsState, SimulatedBankState
from cantine_portal.state.portal import PortalState
from cantine_portal.state.preferences import PreferencesState
from cantine_portal.state.reservations import ReservationState
from cantine_portal.usecases.startup import check_payment_safety

# Before anything is served: a production deployment never takes "payments" through the simulated
# bank. Raises UnsafeDeployment, so `reflex run` stops at its compile step and a worker never
# serves (docs/deploy.md, "Production checklist").
check_payment_safety(get_settings())

app = rx.App(
    theme=rx.theme(accent_color="indigo", radius="medium"),
    html_lang="fr",
    stylesheets=["/portal.css", "/reservations.css", "/rollcall.css"],
    api_transformer=[build_api(), portal_middleware],
)

TITLE = "Portail famille"

app.add_page(home.root, route="/", title=TITLE)
app.add_page(home.home, route="/[slug]", title=TITLE, on_load=PortalState.load_portal)
app.add_page(
    accounts.login_page, route="/[slug]/connexion", title="Connexion — " + TITLE, on_load=LoginState.load_login
)
app.add_page(
    accounts.first_connection_page,
    route="/[slug]/premiere-connexion",
    title="Première connexion — " + TITLE,
    on_load=LinkRequestState.load_public,
)
app.add_page(
    accounts.create_password_page,
    route="/[slug]/mot-de-passe/creer",
    title="Créer le mot de passe — " + TITLE,
    on_load=CreatePasswordState.load_token,
)
app.add_page(
    accounts.change_password_page,
    route="/[slug]/mot-de-passe",
    title="Mot de passe — " + TITLE,
    on_load=[AuthState.load_protected, LinkRequestState.load_logged_in],
)
app.add_page(
    account_home.account_home, route="/[slug]/accueil", title="Mon espace — " + TITLE, on_load=AuthState.load_protected
)
app.add_page(
    content.documents_page,
    route="/[slug]/documents",
    title="Documents — " + TITLE,
    on_load=[AuthState.load_protected, DocumentsState.load],
)
app.add_page(
    content.contact_page,
    route="/[slug]/contact",
    title="Contact — " + TITLE,
    on_load=[AuthState.load_protected, ContactState.load],
)
app.add_page(
    family.family_info_page,
    route="/[slug]/famille",
    title="Famille — " + TITLE,
    on_load=[AuthState.load_protected, FamilyState.load, GuardianAccessState.load_access, FamilyQuotientState.load],
)
app.add_page(
    children.children_info_page,
    route="/[slug]/enfants",
    title="Enfants — " + TITLE,
    on_load=[AuthState.load_protected, ChildrenState.load],
)
app.add_page(
    reservations.reservations_page,
    route="/[slug]/reservations",
    title="Réservations — " + TITLE,
    on_load=[AuthState.load_protected, ReservationState.load],
)
app.add_page(
    absences.absences_page,
    route="/[slug]/absences",
    title="Absences — " + TITLE,
    on_load=[AuthState.load_protected, AbsencesState.load],
)
app.add_page(
    preferences.preferences_page,
    route="/[slug]/preferences",
    title="Préférences — " + TITLE,
    on_load=[AuthState.load_protected, PreferencesState.load, GuardianAccessState.load_access],
)
app.add_page(
    payment.simulated_bank_page,
    route="/banque-simulee/[bank_session]",
    title="Banque simulée",
    on_load=SimulatedBankState.load_bank,
)
app.add_page(
    payment.payment_return_page,
    route="/[slug]/paiement/retour",
    title="Paiement — " + TITLE,
    on_load=[AuthState.load_protected, PaymentReturnState.load_return],
)
app.add_page(
    payment.receipts_page,
    route="/[slug]/factures",
    title="Factures — " + TITLE,
    on_load=[AuthState.load_protected, ReceiptsState.load_receipts],
)

# The commune's back office (staff accounts only; see docs/architecture.md, "Back-office").
ADMIN = "Back-office — " + TITLE
app.add_page(
    admin.staff_login_page,
    route="/[slug]/admin/connexion",
    title="Connexion — " + ADMIN,
    on_load=StaffLoginState.load_login,
)
app.add_page(admin.admin_home_page, route="/[slug]/admin", title=ADMIN, on_load=AdminHomeState.load_home)
for route, page, load, label in [
    ("parametres", admin_settings.settings_page, AdminSettingsState.load, "Paramètres"),
    ("prestations", admin_services.services_page, AdminServicesState.load, "Prestations"),
    ("calendrier", admin_calendar.calendar_page, AdminCalendarState.load, "Calendrier"),
    ("familles", admin_families.families_page, AdminFamiliesState.load, "Familles"),
    # the family page also loads its money block (ledger, régie forms), a state of its own
    (
        "famille",
        admin_family.family_page,
        [AdminFamilyState.load, AdminFamilyMoneyState.load, AdminFamilyLoginsState.load],
        "Famille",
    ),
    ("effectifs", admin_attendance.attendance_page, AdminAttendanceState.load, "Effectifs"),
    ("pointage", admin_rollcall.rollcall_page, AdminRollCallState.load, "Pointage"),
    ("absences", admin_absences.absences_page, AdminAbsencesState.load, "Absences"),
    ("documents", admin_documents.documents_page, AdminDocumentsState.load, "Documents"),
    ("messages", admin_messages.messages_page, AdminMessagesState.load, "Messages"),
    ("paiements", admin_payments.payments_page, AdminPaymentsState.load, "Paiements"),
    ("prestations/grilles", admin_pricing.grids_page, AdminGridsState.load, "Grilles tarifaires"),
    ("quotients", admin_quotients.quotients_page, AdminQuotientsState.load, "Quotients familiaux"),
    ("aide-cantine-1-euro", admin_claim.claim_page, AdminClaimState.load, "Aide cantine à 1 €"),
    # the Régie page also lists the roll call's « présents sans réservation », a state of its own
    ("regie", admin_regie.regie_page, [AdminRegieState.load, AdminUnbookedState.load], "Régie"),
]:
    # each page's load is an on_load staff event: commune, staff session (else the staff login), then the page
    app.add_page(page, route=f"/[slug]/admin/{route}", title=f"{label} — {ADMIN}", on_load=load)
