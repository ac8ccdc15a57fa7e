"""`/{slug}/reservations`: guide section 3, one table per child, live totals, Valider, the basket.

Phone first (issue 15): each cell is the label of its checkbox (the whole cell toggles the day), a
day without any service is one short line, and a sticky action bar holds the live total, the
unsaved count, Valider and « Panier (n) — X € »; the results of Valider and of the basket are said
in that bar (aria-live). The basket opens as a panel over the page, « Payer » at its top.
"""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.banner import family_page
from cantine_portal.components.forms import message_if
from cantine_portal.state.reservation_tables import CellUI, ChildUI, DayUI, LineUI
from cantine_portal.state.reservations import ReservationState, ReservationTicks

S = ReservationState
T = ReservationTicks

# Colour AND words/symbols: the state never rests on colour alone. Cell colours are static
# classes of assets/reservations.css ("rsv-pending"...): no style object to serialise per cell
# at each render, and one place for the legend and the tables.


def _either(on: str, off: str) -> rx.Component:
    """Both words are sent; CSS shows the one matching the checkbox's own state (.rsv-on/.rsv-off)."""
    return rx.fragment(rx.el.span(on, class_name="rsv-on"), rx.el.span(off, class_name="rsv-off"))


def _cell(cell: CellUI) -> rx.Component:
    # Uncontrolled checkbox: the browser flips it at once; ReservationTicks keeps the server's
    # copy and the totals. render_id in the key re-creates it when the server changes ticks.
    # The <label> fills the cell: a tap anywhere in it toggles the day.
    return rx.el.td(
        rx.el.label(
            rx.el.input(
                type="checkbox",
                default_checked=cell.checked,
                key=f"{S.render_id}-{cell.key}",
                disabled=~cell.editable,
                on_change=T.toggle(cell.key),
                aria_label=cell.label,
                title=cell.reason,
                class_name="rsv-box",
            ),
            rx.el.span(
                rx.match(
                    cell.state,
                    ("pending", _either("🛒 Dans le panier", "✕ Sera retiré")),
                    ("paid", _either("✔ Payée", "✕ Sera annulée (avoir)")),
                    ("closed", rx.fragment("— Fermé")),
                    ("locked", rx.fragment("🔒 Verrouillé")),
                    ("absent-pending", rx.fragment("⏳ Absence signalée")),
                    ("absent-credited", rx.fragment("✚ Absence validée (avoir)")),
                    ("absent-carence", rx.fragment("✚ Absence validée (carence)")),
                    ("absent-refused", rx.fragment("✕ Absence refusée")),
                    _either("● À valider", "Libre"),
                ),
                class_name="rsv-state",
            ),
            rx.el.span(rx.cond(cell.state == "closed", cell.reason, cell.price), class_name="rsv-note"),
            class_name="rsv-hit",
        ),
        class_name=f"rsv-cell rsv-{cell.state}",
    )


def _day_row(day: DayUI, columns: rx.Var[int]) -> rx.Component:
    return rx.el.tr(
        rx.el.th(
            rx.el.span(day.text, class_name="rsv-long"),
            rx.el.span(day.short, class_name="rsv-short"),
            scope="row",
            class_name="rsv-day",
        ),
        rx.cond(
            day.closed,
            rx.el.td(day.note, col_span=columns, class_name="rsv-none"),
            rx.foreach(day.cells, _cell),
        ),
        class_name=rx.cond(day.closed, "rsv-row-none", "rsv-row"),
    )


@rx.memo
def child_total(index: rx.Var[int]) -> rx.Component:
    """One child's live total: its own small component, so a tick re-renders it and not the table."""
    return rx.el.strong(T.child_totals[index], data_testid="total-enfant")


def _service_heading(name: rx.Var[str], short: rx.Var[str]) -> rx.Component:
    """Full name on desktop; on phones a short one (« Restau. scolaire ») that fits its column,
    the full name kept for screen readers (visually hidden) and in the abbreviation's title."""
    return rx.el.th(
        rx.el.span(name, class_name="rsv-svc-full"),
        rx.el.abbr(short, title=name, aria_hidden="true", class_name="rsv-svc-abbr"),
        scope="col",
        class_name="rsv-service",
    )


def _child_table(child: ChildUI) -> rx.Component:
    return rx.el.section(
        rx.heading(child.name, as_="h2", size="5"),
        rx.el.table(
            rx.el.caption("Réservations de ", child.name, " — ", S.period_label, class_name="rsv-caption"),
            rx.el.thead(
                rx.el.tr(
                    rx.el.th("Jour", scope="col", class_name="rsv-day"),
                    rx.foreach(child.services, lambda names: _service_heading(names[0], names[1])),
                )
            ),
            rx.el.tbody(rx.foreach(child.days, lambda day: _day_row(day, child.services.length()))),
            class_name="rsv-table",
        ),
        rx.el.div(
            rx.el.p("Total pour ", child.name, " : ", child_total(index=child.index), aria_live="polite"),
            rx.cond(
                S.child_names.length() > 1,
                rx.button(
                    "Appliquer les mêmes jours à tous mes enfants",
                    variant="outline",
                    size="2",
                    on_click=S.apply_to_all(child.index),
                    disabled=S.locked,
                    class_name="wrap-button",
                ),
            ),
            class_name="rsv-child-foot",
        ),
        class_name="rsv-child",
    )


def _legend() -> rx.Component:
    def item(state: str, symbol: str, text: str) -> rx.Component:
        return rx.el.li(rx.el.span(symbol, class_name=f"rsv-{state} rsv-legend", aria_hidden="true"), text)

    # The family's bracket (« Tranche 2 — QF de 501 à 900 € ») sits in the same collapsed box: on a phone
    # the week stays short; the basket, the ticket and the receipt repeat it on every line.
    return rx.el.details(
        rx.el.summary(rx.cond(S.tariff_lines.length() > 0, "Légende et votre tarif", "Légende des couleurs")),
        rx.el.ul(
            item("pending", "🛒", "Bleu : dans le panier, en attente de paiement"),
            item("paid", "✔", "Vert : payée, confirmée"),
            item("closed", "—", "Gris : fermé ou verrouillé (la raison est indiquée)"),
            item("free", "●", "Cochée, pas encore validée : cliquez sur Valider"),
            item("absent-pending", "⏳", "Orange pointillé : absence signalée, en attente de la mairie"),
            item("absent-credited", "✚", "Violet : absence validée (avoir)"),
            item("absent-refused", "✕", "Rouge tireté : absence refusée (le jour reste dû)"),
            class_name="rsv-legend-list",
        ),
        rx.cond(
            S.tariff_lines.length() > 0,
            rx.el.section(
                rx.heading("Votre tarif", as_="h2", size="3"),
                rx.el.ul(rx.foreach(S.tariff_lines, lambda line: rx.el.li(line)), data_testid="tarif-famille"),
            ),
        ),
        class_name="rsv-legend-box",
    )


def _basket_line(line: LineUI) -> rx.Component:
    return rx.el.li(
        rx.el.span(
            rx.el.strong(line.child),
            " — ",
            line.service,
            rx.cond(line.tariff != "", rx.el.small(" (", line.tariff, ")")),
            rx.el.br(),
            line.day,
            class_name="rsv-line-what",
        ),
        rx.el.span(line.price, class_name="rsv-line-price"),
        class_name="rsv-line",
    )


def _tariff() -> rx.Component:
    """Why the « no QF » price applies and what to do (the bracket itself is in the legend's box)."""
    return rx.cond(
        S.tariff_notice != "",
        rx.callout(S.tariff_notice, icon="info", color_scheme="amber", data_testid="tarif-sans-qf"),
    )


def _basket_panel() -> rx.Component:
    """The basket where the parent is: what will be paid and « Payer » first, the lines after."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Votre panier", as_="h2", size="5"),
            rx.dialog.description("Les jours validés, en attente de paiement.", size="2"),
            message_if(S.info_message, "success"),
            message_if(S.error_message, "error"),
            rx.el.p(rx.el.strong("Total à payer : ", S.basket_total), class_name="rsv-pay-total"),
            rx.cond(
                S.basket_payable,
                rx.button(
                    rx.icon("credit-card", size=18, aria_hidden="true"),
                    "Payer ",
                    S.basket_total,
                    " en ligne",
                    size="3",
                    on_click=S.pay,
                    width="100%",
                ),
            ),
            rx.text(S.basket_note, size="2"),
            rx.el.p("Sous-total : ", S.basket_subtotal, " · Avoir déduit : ", S.basket_credit),
            rx.cond(S.basket_debt != "", rx.el.p(S.basket_debt, data_testid="somme-due")),
            rx.el.ul(rx.foreach(S.basket_lines, _basket_line), class_name="rsv-lines"),
            rx.dialog.close(rx.button("Fermer", variant="outline", size="3", width="100%")),
            class_name="rsv-panel",
        ),
        open=S.basket_visible,
        on_open_change=S.set_basket_open,
    )


def _action_bar() -> rx.Component:
    """Sticky at the bottom of the screen: the live total, what is unsaved, Valider, the basket."""
    return rx.el.div(
        rx.el.div(
            message_if(S.info_message, "success"),
            message_if(S.error_message, "error"),
            aria_live="polite",
            class_name="rsv-bar-messages",
        ),
        rx.el.p(
            "Total : ",
            rx.el.strong(T.grand_total, data_testid="total-general"),
            rx.cond(
                T.unsaved_count > 0,
                rx.el.span(" · ⚠ ", T.unsaved_count, " modification(s) non validée(s)", class_name="rsv-unsaved"),
                "",
            ),
            aria_live="polite",
            class_name="rsv-bar-total",
        ),
        rx.el.div(
            rx.button("Valider", size="3", on_click=S.validate, disabled=S.locked),
            rx.button(
                rx.icon("shopping-cart", size=18, aria_hidden="true"),
                "Panier (",
                S.waiting_count,
                ") — ",
                S.waiting_total,
                size="3",
                variant="outline",
                on_click=S.show_basket,
            ),
            class_name="rsv-bar-buttons",
        ),
        class_name="rsv-bar",
        role="region",
        aria_label="Total et validation",
    )


def _period_nav() -> rx.Component:
    """The period's heading between the previous and next period buttons."""
    return rx.el.div(
        rx.button(
            "← ",
            S.previous_label,
            variant="soft",
            on_click=S.previous_period,
            disabled=~S.can_go_back,
            class_name="wrap-button",
        ),
        rx.heading(
            rx.cond(S.period_label != "", S.period_label, "Chargement de la période…"),
            as_="h2",
            size="4",
        ),
        rx.button(
            S.next_label,
            " →",
            variant="soft",
            on_click=S.next_period,
            disabled=~S.can_go_forward,
            class_name="wrap-button",
        ),
        class_name="rsv-nav",
    )


def reservations_page() -> rx.Component:
    return family_page(
        "Réservations",
        _period_nav(),
        rx.text(S.deadline_text, weight="bold"),
        rx.cond(S.limit_text != "", rx.text(S.limit_text, data_testid="limite-navigation")),
        rx.cond(
            S.waiting_periods != "",
            rx.text(
                "Votre panier en attente de paiement contient des jours de : ",
                S.waiting_periods,
                ".",
                data_testid="periodes-panier",
            ),
        ),
        rx.cond(S.credit_text != "", rx.text(S.credit_text)),
        # Beside the legend's collapsed box: no extra line on a phone (a week stays under 1,600 px).
        rx.el.div(
            _legend(),
            rx.el.a(
                rx.icon("thermometer", size=16, aria_hidden="true"),
                "Enfant malade ?",
                rx.el.span(" Signaler une absence", class_name="sr-only"),
                href="/" + S.portal_slug + "/absences",
                class_name="rsv-absence-link",
            ),
            class_name="rsv-legend-row",
        ),
        rx.foreach(S.tables, _child_table),
        _tariff(),
        rx.el.div(
            rx.button(
                "Valider votre panier maintenant",
                size="3",
                variant="outline",
                on_click=S.show_basket,
                class_name="wrap-button",
            ),
            class_name="rsv-after",
        ),
        _action_bar(),
        _basket_panel(),
    )
