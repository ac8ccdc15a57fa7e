"""Back office: « Pointage », the canteen's roll call on a tablet or a phone (state/admin_rollcall.py).

One card per expected child, grouped by school and class: name, family, diet and PAI (words and
an icon), the mark in words + icon + colour, and two big buttons « Présent » / « Absent »
(aria-pressed). Children present without a reservation are added from a search and listed last.
Styles: assets/rollcall.css.
"""

from __future__ import annotations

import reflex as rx
from reflex_base.event import no_args_event_spec

from cantine_portal.components.admin_forms import input_field, section, select_field, submit
from cantine_portal.components.admin_layout import admin_page, table, td
from cantine_portal.components.forms import PostForm, message_if
from cantine_portal.pages.admin_common import LINK
from cantine_portal.state.admin_rollcall import AdminRollCallState, AdminUnbookedState

A = AdminRollCallState
Div = type(rx.el.div())


class Ticker(Div):  # type: ignore[misc,valid-type]
    """A <div> that reports the end of its CSS animation: the page's periodic refresh, no script."""

    on_animation_end: rx.EventHandler[no_args_event_spec]


STATUS_ICONS = {"present": "circle-check", "absent": "circle-x", "unbooked": "circle-plus"}


def _status(row) -> rx.Component:
    icon = rx.match(
        row["status"],
        ("present", rx.icon("circle-check", size=20, aria_hidden="true")),
        ("absent", rx.icon("circle-x", size=20, aria_hidden="true")),
        ("unbooked", rx.icon("circle-plus", size=20, aria_hidden="true")),
        rx.icon("circle-dashed", size=20, aria_hidden="true"),
    )
    return rx.el.p(
        icon,
        row["status_label"],
        rx.cond(row["marked"] != "", rx.el.span(" (", row["marked"], ")", class_name="rc-marked")),
        class_name="rc-status rc-status-" + row["status"],
    )


def _facts(row) -> rx.Component:
    return rx.el.p(
        rx.el.span("Famille ", row["family"], class_name="rc-fact"),
        rx.cond(
            row["diet"] != "",
            rx.el.span(
                rx.icon("utensils", size=16, aria_hidden="true"), "Régime : ", row["diet"], class_name="rc-fact"
            ),
        ),
        rx.cond(
            row["pai"] == "1",
            rx.el.span(
                rx.icon("shield-alert", size=16, aria_hidden="true"),
                "PAI",
                rx.cond(row["pai_notes"] != "", rx.el.span(" : ", row["pai_notes"])),
                class_name="rc-fact rc-pai",
            ),
        ),
        class_name="rc-facts",
    )


def _buttons(row, index) -> rx.Component:
    return rx.cond(
        row["locked"] == "1",
        rx.text("Avoir émis : pointage clos", size="2"),
        _tap_buttons(row, index),
    )


def _tap_buttons(row, index) -> rx.Component:
    return rx.cond(
        row["status"] == "unbooked",
        rx.el.div(
            rx.el.button(
                rx.icon("undo-2", size=20, aria_hidden="true"),
                "Retirer",
                type="button",
                aria_label="Retirer : " + row["name"],
                class_name="rc-btn",
                on_click=A.remove(index),
            ),
            class_name="rc-buttons",
        ),
        rx.el.div(
            rx.el.button(
                rx.icon("check", size=22, aria_hidden="true"),
                "Présent",
                type="button",
                aria_label="Présent : " + row["name"],
                aria_pressed=rx.cond(row["status"] == "present", "true", "false"),
                class_name="rc-btn rc-btn-present",
                on_click=A.mark_present(index),
            ),
            rx.el.button(
                rx.icon("x", size=22, aria_hidden="true"),
                "Absent",
                type="button",
                aria_label="Absent : " + row["name"],
                aria_pressed=rx.cond(row["status"] == "absent", "true", "false"),
                class_name="rc-btn rc-btn-absent",
                on_click=A.mark_absent(index),
            ),
            role="group",
            aria_label="Pointage de " + row["name"],
            class_name="rc-buttons",
        ),
    )


def _row(row, index) -> rx.Component:
    return rx.fragment(
        rx.cond(row["heading"] != "", rx.el.li(rx.el.h3(row["heading"], class_name="rc-group"))),
        rx.el.li(
            rx.el.div(rx.el.p(row["name"], class_name="rc-name"), _facts(row), _status(row)),
            _buttons(row, index),
            class_name="rc-row rc-" + row["status"],
        ),
    )


def _choose() -> rx.Component:
    return rx.el.form(
        rx.flex(
            rx.box(input_field("Jour", "day", "rc-day", A.day, type="date"), width="12rem"),
            rx.box(
                select_field("Prestation", "service", "rc-service", A.service_choice, A.service_names), width="16rem"
            ),
            submit("Afficher la liste", size="3"),
            align="end",
            wrap="wrap",
            gap="0.75rem",
        ),
        on_submit=A.show,
        key=A.day + "-" + A.service_choice,
    )


def _counts() -> rx.Component:
    return rx.el.p(
        rx.el.span("Attendus : ", rx.el.strong(A.expected)),
        rx.el.span("Présents : ", rx.el.strong(A.present)),
        rx.el.span("Absents : ", rx.el.strong(A.absent)),
        rx.el.span("Non pointés : ", rx.el.strong(A.unmarked)),
        rx.el.span("Présents sans réservation : ", rx.el.strong(A.unbooked)),
        class_name="rc-counts",
    )


def _add_unbooked() -> rx.Component:
    return section(
        "Ajouter un enfant présent sans réservation",
        rx.el.form(
            rx.flex(
                rx.box(
                    input_field("Nom ou prénom de l'enfant", "search", "rc-search", A.search_text, autocomplete="off"),
                    width="16rem",
                ),
                submit("Rechercher", size="3"),
                align="end",
                wrap="wrap",
                gap="0.75rem",
            ),
            on_submit=A.search,
        ),
        message_if(A.search_message),
        rx.el.ul(
            rx.foreach(
                A.found,
                lambda child, i: rx.el.li(
                    rx.el.div(rx.el.p(child["name"], class_name="rc-name"), rx.el.p(child["details"])),
                    rx.el.button(
                        rx.icon("user-plus", size=20, aria_hidden="true"),
                        "Ajouter comme présent",
                        type="button",
                        aria_label="Ajouter comme présent : " + child["name"],
                        class_name="rc-btn",
                        on_click=A.add(i),
                    ),
                    class_name="rc-row",
                ),
            ),
            class_name="rc-list",
            aria_label="Enfants trouvés",
        ),
        rx.text("Règle de la commune pour ces enfants : ", A.unbooked_rule, ".", size="2"),
    )


def _end_of_service() -> rx.Component:
    """« Terminer le service »: the staff guide's log-out after the service, a big button on the
    page itself (the menu's « Se déconnecter » is small on a tablet). The same POST as the menu's."""
    return PostForm.create(
        rx.el.button(
            rx.icon("log-out", size=20, aria_hidden="true"),
            "Terminer le service",
            type="submit",
            class_name="rc-btn",
        ),
        rx.text("Vous déconnecte de cette tablette : faites-le à la fin de chaque service.", size="2"),
        action="/api/" + A.portal_slug + "/admin/deconnexion",
        method="post",
        class_name="rc-end",
    )


def rollcall_page() -> rx.Component:
    return admin_page(
        "Pointage",
        _end_of_service(),
        _choose(),
        message_if(A.error_message, "error"),
        rx.el.div(message_if(A.notice, "success"), role="status", aria_live="polite"),
        rx.cond(
            A.shown,
            rx.vstack(
                rx.heading(A.service_name, " — ", A.day_label, as_="h2", size="5"),
                _counts(),
                rx.hstack(
                    rx.el.button(
                        rx.icon("refresh-cw", size=18, aria_hidden="true"),
                        "Actualiser",
                        type="button",
                        class_name="rc-btn",
                        on_click=A.refresh,
                    ),
                    rx.el.a(
                        rx.icon("file-spreadsheet", size=16, aria_hidden="true"),
                        " Exporter le pointage en CSV (Excel)",
                        href=A.csv_url,
                        style=LINK,
                    ),
                    spacing="4",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(
                    "La liste se met à jour toute seule toutes les 5 secondes avec les pointages des autres "
                    "tablettes. Absence sans certificat : ",
                    A.absent_rule,
                    ".",
                    size="2",
                ),
                rx.cond(
                    A.rows.length() > 0,
                    rx.el.ul(rx.foreach(A.rows, _row), class_name="rc-list", aria_label="Enfants attendus"),
                    rx.text("Aucun enfant attendu (aucune réservation payée) pour ce jour et cette prestation."),
                ),
                _add_unbooked(),
                Ticker.create(
                    key=A.tick.to_string(), class_name="rc-ticker", on_animation_end=A.auto_refresh, aria_hidden="true"
                ),
                spacing="4",
                width="100%",
                align="stretch",
            ),
        ),
    )


def rollcall_settings(values, errors) -> rx.Component:
    """Paramètres' « Pointage à la cantine » section: the commune's two rules (services/rollcall)."""
    return section(
        "Pointage à la cantine",
        select_field(
            "Enfant présent sans réservation",
            "rollcall_unbooked_rule",
            "set-rc-unbooked",
            values.get("rollcall_unbooked_rule", "report"),
            [
                ("report", "Signalé à la régie, non facturé"),
                ("bill", "Facturé à la famille : somme due à la régie"),
            ],
            errors,
        ),
        rx.text(
            "Facturé : la nuit suivant le jour du repas, la famille est débitée du prix de ce repas à son "
            "tarif (quotient familial compris) et prévenue par e-mail ; elle règle cette somme due en ligne "
            "avec son prochain paiement ou au guichet. La règle en vigueur au moment du pointage s'applique. "
            "Dans tous les cas, la régie retrouve ces enfants dans la liste « Présents sans réservation ».",
            size="2",
        ),
        select_field(
            "Enfant absent sans certificat",
            "rollcall_absent_rule",
            "set-rc-absent",
            values.get("rollcall_absent_rule", "paid"),
            [
                ("paid", "Le jour reste dû (règle du prépaiement)"),
                ("credit", "Le jour devient un avoir pour la famille (la nuit suivante)"),
            ],
            errors,
        ),
    )


U = AdminUnbookedState


def unbooked_block() -> rx.Component:
    """The Régie page's list of the roll call's « présents sans réservation », by month."""
    return section(
        "Présents sans réservation (pointage)",
        rx.el.form(
            rx.flex(
                rx.box(input_field("Mois", "month", "unbooked-month", U.month, type="month"), width="12rem"),
                submit("Afficher", size="3"),
                align="end",
                gap="0.75rem",
                wrap="wrap",
            ),
            on_submit=U.show_month,
            key=U.month,
        ),
        message_if(U.error_message, "error"),
        rx.heading(U.title, as_="h3", size="4"),
        rx.text("Règle de la commune : ", U.rule, ".", size="2"),
        table(
            ["Date", "Prestation", "Enfant", "Famille", "Pointé par", "Facturation"],
            rx.foreach(U.rows, lambda r: rx.el.tr(td(r[0]), td(r[1]), td(r[2]), td(r[3]), td(r[4]), td(r[5]))),
            caption="Présents sans réservation du mois",
        ),
        rx.cond(U.rows.length() == 0, rx.text("Aucun enfant présent sans réservation ce mois-ci.")),
    )
