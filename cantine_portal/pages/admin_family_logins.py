"""The « Accès au portail » and « Historique » blocks of a family's back-office page (issue 20):
each guardian's login (invite, remove after a confirmation) and who did what, when."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import section
from cantine_portal.components.admin_layout import table, td
from cantine_portal.components.forms import message_if
from cantine_portal.pages.admin_family_money import family_money_section
from cantine_portal.state.admin_family_logins import AdminFamilyLoginsState as L

_TARGET = {"min_height": "44px"}


def _actions(row: rx.Var, i: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.cond(
            row["can_invite"] == "1",
            rx.button(
                rx.cond(row["status"] == "none", "Inviter", "Renvoyer l'invitation"),
                on_click=L.invite(i),
                aria_label="Inviter " + row["name"],
                style=_TARGET,
            ),
        ),
        rx.cond(
            row["can_remove"] == "1",
            rx.cond(
                L.confirm_row == i,
                rx.hstack(
                    rx.button(
                        "Confirmer le retrait",
                        color_scheme="red",
                        on_click=L.remove,
                        aria_label="Confirmer le retrait de l'accès de " + row["name"],
                        style=_TARGET,
                    ),
                    rx.button("Annuler", variant="soft", on_click=L.cancel_remove, style=_TARGET),
                    wrap="wrap",
                ),
                rx.button(
                    "Retirer l'accès",
                    variant="outline",
                    color_scheme="red",
                    on_click=L.ask_remove(i),
                    aria_label="Retirer l'accès de " + row["name"],
                    style=_TARGET,
                ),
            ),
        ),
        wrap="wrap",
    )


def family_logins_section() -> rx.Component:
    return rx.fragment(
        section(
            "Accès au portail des responsables",
            rx.text(
                "Chaque responsable a son propre accès. Retirer l'accès d'un responsable (parents séparés) "
                "le déconnecte aussitôt, sans toucher à l'accès de l'autre."
            ),
            message_if(L.success_message, "success"),
            message_if(L.error_message, "error"),
            table(
                ["Responsable", "E-mail", "Accès", "Actions"],
                rx.foreach(
                    L.login_rows,
                    lambda r, i: rx.el.tr(td(r["name"]), td(r["email"]), td(r["status_text"]), td(_actions(r, i))),
                ),
                caption="Accès des responsables",
            ),
        ),
        section(
            "Historique",
            table(
                ["Date", "Qui", "Quoi"],
                rx.foreach(L.activity, lambda a: rx.el.tr(td(a["at"]), td(a["who"]), td(a["what"]))),
                caption="Qui a fait quoi",
            ),
            rx.cond(L.activity.length() == 0, rx.text("Aucune action enregistrée.")),
        ),
    )


def money_and_access_sections() -> rx.Component:
    """The end of the family's page: its money (the régie), then its accesses and history."""
    return rx.fragment(family_money_section(), family_logins_section())
