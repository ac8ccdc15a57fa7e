"""Each guardian their own login (issue 20): the « Accès au portail » section of Famille, and the
« E-mails » and « Mon accès » sections of Préférences (state/guardian_access.py)."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.forms import message_if
from cantine_portal.pages.family_quotient import quotient_section
from cantine_portal.services.families.logins import MSG_LAST_LOGIN
from cantine_portal.state.guardian_access import GuardianAccessState as A

_TARGET = {"min_height": "44px"}
_ROW = {
    "display": "flex",
    "flex_wrap": "wrap",
    "gap": "0.5rem 1rem",
    "align_items": "center",
    "justify_content": "space-between",
    "padding": "0.6rem 0",
    "border_bottom": "1px solid var(--gray-6)",
}
_CHECK_ROW = {"display": "flex", "gap": "0.5rem", "align_items": "center", "min_height": "44px"}


def _guardian_row(row: rx.Var, i: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(
            rx.el.strong(row["name"]),
            rx.cond(row["is_me"] == "1", rx.el.span(" (vous)")),
            rx.el.br(),
            rx.el.span(row["status_text"], class_name="access-status"),
        ),
        rx.cond(
            row["can_invite"] == "1",
            rx.button(
                rx.cond(
                    row["status"] == "invited", "Renvoyer l'invitation", "Inviter ce responsable à créer son accès"
                ),
                on_click=A.invite_guardian(i),
                aria_label="Inviter " + row["name"] + " à créer son accès",
                style=_TARGET,
            ),
        ),
        style=_ROW,
    )


def access_section() -> rx.Component:
    """Famille: each guardian and their access; the other guardian can be invited from here."""
    return rx.el.section(
        rx.heading("Accès au portail", as_="h2", size="5", id="acces-portail"),
        rx.text(
            "Chaque responsable peut avoir son propre accès, avec son adresse e-mail et son mot de passe : "
            "vous voyez les mêmes enfants et partagez le même panier. L'invitation envoie le lien "
            "« Créer le mot de passe », valable 24 heures."
        ),
        message_if(A.access_message, "success"),
        message_if(A.error_message, "error"),
        rx.el.ul(
            rx.foreach(A.access_rows, _guardian_row),
            aria_label="Responsables et leur accès",
            style={"list_style": "none", "padding": "0", "margin": "0"},
        ),
        width="100%",
    )


def family_sections() -> rx.Component:
    """What Famille shows below the guardians' tabs: their accesses, then the family's QF."""
    return rx.fragment(access_section(), quotient_section())


def _check(checked: rx.Var, on_change, field_id: str, label: str) -> rx.Component:
    return rx.el.label(
        rx.checkbox(checked=checked, on_change=on_change, id=field_id),
        " " + label,
        html_for=field_id,
        style=_CHECK_ROW,
    )


def mail_section() -> rx.Component:
    """Préférences: which e-mails this login receives (default: its own tickets, and the closures)."""
    return rx.el.section(
        rx.heading("E-mails", as_="h2", size="5"),
        rx.text(
            "Vous recevez toujours le ticket des paiements que vous faites. Choisissez ce que vous recevez "
            "en plus quand l'autre responsable paie, et les avis de fermeture de la structure."
        ),
        _check(
            A.mail_all_payments,
            A.set_mail_all_payments,
            "tickets-autre",
            "Recevoir aussi les tickets des paiements de l'autre responsable",
        ),
        _check(A.mail_notices, A.set_mail_notices, "avis-fermeture", "Recevoir les avis de fermeture exceptionnelle"),
        width="100%",
    )


def leave_section() -> rx.Component:
    """Préférences: « Supprimer mon accès », with a confirmation; refused for the last login."""
    return rx.el.section(
        rx.heading("Mon accès", as_="h2", size="5"),
        message_if(A.access_message, "success"),
        message_if(A.error_message, "error"),
        rx.cond(
            A.can_leave,
            rx.cond(
                A.confirm_leave,
                rx.box(
                    rx.text(
                        "Supprimer votre accès ? Vous ne pourrez plus vous connecter ; l'autre responsable garde "
                        "le sien, ainsi que les réservations et le panier de la famille.",
                        id="confirmer-depart",
                    ),
                    rx.hstack(
                        rx.button("Oui, supprimer mon accès", color_scheme="red", on_click=A.leave, style=_TARGET),
                        rx.button("Annuler", variant="soft", on_click=A.cancel_leave, style=_TARGET),
                        wrap="wrap",
                    ),
                    role="group",
                    aria_labelledby="confirmer-depart",
                ),
                rx.button(
                    "Supprimer mon accès", variant="soft", color_scheme="red", on_click=A.ask_leave, style=_TARGET
                ),
            ),
            # The server refuses it anyway (services/families/logins.leave); here it is said up front.
            rx.text(MSG_LAST_LOGIN, id="dernier-acces"),
        ),
        width="100%",
    )
