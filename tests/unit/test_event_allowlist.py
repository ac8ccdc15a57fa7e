"""Every event a client may send to the portal's states is one a page means to expose (issue 19).

Reflex turns every public method of a state into an event that any client can send over the
websocket. Helpers (session checks, cookie readers, redirects) are private (leading underscore)
so that they are not events; this test lists the events the compiled app accepts and compares
them with the allow-list below. A new handler is added here on purpose, in the same commit.
Reflex's own internal events (hydrate, on_load_internal, update_vars_internal, setvar — which only
calls the explicit ``set_*`` handlers listed here) are not the portal's and are left out.
"""

from __future__ import annotations

from collections.abc import Iterator

import reflex as rx

import cantine_portal.cantine_portal  # noqa: F401  (registers the states)

ALLOWED = {
    "AbsencesState.choose_child",
    "AbsencesState.load",
    "AbsencesState.send",
    "AbsencesState.toggle_day",
    "AdminAbsencesState.load",
    "AdminAbsencesState.refuse",
    "AdminAbsencesState.validate",
    "AdminAttendanceState.load",
    "AdminAttendanceState.show",
    "AdminCalendarState.add_public_holidays",
    "AdminCalendarState.add_school_holidays",
    "AdminCalendarState.close_day",
    "AdminCalendarState.delete_row",
    "AdminCalendarState.load",
    "AdminClaimState.load",
    "AdminClaimState.show",
    "AdminDocumentsState.load",
    "AdminDocumentsState.replace",
    "AdminDocumentsState.save_meta",
    "AdminDocumentsState.set_new_category",
    "AdminDocumentsState.set_new_published",
    "AdminDocumentsState.set_new_title",
    "AdminDocumentsState.set_replace_choice",
    "AdminDocumentsState.toggle_published",
    "AdminDocumentsState.upload",
    "AdminFamiliesState.create",
    "AdminFamiliesState.import_csv",
    "AdminFamiliesState.load",
    "AdminFamiliesState.search",
    "AdminFamilyLoginsState.ask_remove",
    "AdminFamilyLoginsState.cancel_remove",
    "AdminFamilyLoginsState.invite",
    "AdminFamilyLoginsState.load",
    "AdminFamilyLoginsState.remove",
    "AdminFamilyMoneyState.load",
    "AdminFamilyMoneyState.record_payment",
    "AdminFamilyMoneyState.refresh",
    "AdminFamilyMoneyState.refund",
    "AdminFamilyMoneyState.reject_cheque",
    "AdminFamilyMoneyState.set_method",
    "AdminFamilyState.invite",
    "AdminFamilyState.load",
    "AdminFamilyState.save_child",
    "AdminFamilyState.save_family",
    "AdminFamilyState.save_guardian",
    "AdminGridsState.check",
    "AdminGridsState.choose_service",
    "AdminGridsState.load",
    "AdminGridsState.save",
    "AdminHomeState.load_home",
    "AdminMessagesState.load",
    "AdminMessagesState.reply",
    "AdminMessagesState.set_show",
    "AdminMessagesState.toggle_handled",
    "AdminPaymentsState.filter",
    "AdminPaymentsState.load",
    "AdminQuotientsState.accept",
    "AdminQuotientsState.add",
    "AdminQuotientsState.import_csv",
    "AdminQuotientsState.load",
    "AdminQuotientsState.refuse",
    "AdminQuotientsState.set_outside",
    "AdminRegieState.ask_close",
    "AdminRegieState.cancel_close",
    "AdminRegieState.confirm_close",
    "AdminRegieState.load",
    "AdminRegieState.show",
    "AdminRollCallState.add",
    "AdminRollCallState.auto_refresh",
    "AdminRollCallState.load",
    "AdminRollCallState.mark_absent",
    "AdminRollCallState.mark_present",
    "AdminRollCallState.refresh",
    "AdminRollCallState.remove",
    "AdminRollCallState.search",
    "AdminRollCallState.show",
    "AdminServicesState.change_price",
    "AdminUnbookedState.load",
    "AdminUnbookedState.show_month",
    "AdminServicesState.create",
    "AdminServicesState.load",
    "AdminServicesState.update",
    "AdminSettingsState.load",
    "AdminSettingsState.save",
    "AdminSettingsState.upload_logo",
    "AdminSettingsState.remove_logo",
    "AuthState.load_protected",
    "ChildrenState.load",
    "ChildrenState.save_child",
    "ChildrenState.set_child_field",
    "ChildrenState.tab_changed",
    "ChildrenState.toggle_service",
    "ContactState.attachment_rejected",
    "ContactState.load",
    "ContactState.new_message",
    "ContactState.send",
    "ContactState.set_body",
    "ContactState.set_child_choice",
    "ContactState.set_subject",
    "CreatePasswordState.clear_errors",
    "CreatePasswordState.generate",
    "CreatePasswordState.load_token",
    "CreatePasswordState.set_confirmation",
    "CreatePasswordState.set_password",
    "CreatePasswordState.set_sentence",
    "CreatePasswordState.submit_generated",
    "CreatePasswordState.submit_own",
    "CreatePasswordState.submit_sentence",
    "CreatePasswordState.toggle_show_password",
    "DocumentsState.load",
    "FamilyQuotientState.load",
    "FamilyQuotientState.send",
    "FamilyState.load",
    "FamilyState.save_guardian",
    "FamilyState.set_current_password",
    "FamilyState.set_guardian_field",
    "FamilyState.tab_changed",
    "GuardianAccessState.ask_leave",
    "GuardianAccessState.cancel_leave",
    "GuardianAccessState.invite_guardian",
    "GuardianAccessState.leave",
    "GuardianAccessState.load_access",
    "GuardianAccessState.set_mail_all_payments",
    "GuardianAccessState.set_mail_notices",
    "LinkRequestState.load_logged_in",
    "LinkRequestState.load_public",
    "LinkRequestState.request_link",
    "LinkRequestState.set_email",
    "LoginState.load_login",
    "PaymentReturnState.load_return",
    "PaymentReturnState.refresh",
    "PortalState.load_portal",
    "PreferencesState.load",
    "PreferencesState.regenerate_feed",
    "PreferencesState.revoke_feed",
    "PreferencesState.set_reminders",
    "ReceiptsState.load_receipts",
    "ReceiptsState.pay_debt",
    "ReservationState.apply_to_all",
    "ReservationState.load",
    "ReservationState.set_basket_open",
    "ReservationState.next_period",
    "ReservationState.pay",
    "ReservationState.previous_period",
    "ReservationState.show_basket",
    "ReservationState.validate",
    "ReservationTicks.toggle",
    "SimulatedBankState.cancel",
    "SimulatedBankState.load_bank",
    "SimulatedBankState.pay",
    "SimulatedBankState.refuse",
    "StaffLoginState.load_login",
    "StaffState.load_staff",
    "UploadResetState.bump",
}

# Helpers that once were public methods, hence events; they must never come back as events.
PRIVATE_HELPERS = {
    "cookie",
    "client_ip",
    "current_slug",
    "require_parent",
    "require_staff",
    "login_redirect",
    "staff_login_redirect",
    "actor",
    "show_refusal",
}


def _portal_states(cls: type[rx.State]) -> Iterator[type[rx.State]]:
    if cls.__module__.startswith("cantine_portal"):
        yield cls
    for sub in cls.get_substates():
        yield from _portal_states(sub)


def _events() -> set[str]:
    return {
        f"{state.__name__}.{name}"
        for state in _portal_states(rx.State)
        for name in state.event_handlers
        if name != "setvar"
    }


def test_the_app_accepts_exactly_the_allowed_events():
    events = _events()
    assert events - ALLOWED == set(), "new events: add them to ALLOWED only if a page means to expose them"
    assert ALLOWED - events == set(), "events gone: remove them from ALLOWED"


def test_no_helper_is_an_event():
    exposed = {name.split(".", 1)[1] for name in _events()}
    assert exposed & PRIVATE_HELPERS == set()
