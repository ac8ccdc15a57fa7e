"""`/{slug}/reservations`: guide section 3, one table per child, live totals, Valider, the basket."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.banner import family_page
from cantine_portal.components.forms import message_if
from cantine_portal.state.reservations import CellUI, ChildUI, DayUI, LineUI, ReservationState, ReservationTicks

S = ReservationState
T = ReservationTicks

# Colour AND words/symbols: the state never rests on colour alone. Cell colours are static
# classes of assets/reservations.css ("rsv-pending"...): no style object to serialise per cell
# at each render, and one place for the legend and the tables.
TH_STYLE = {"text_align": "left", "padding": "0.25rem 0.5rem", "font_weight": "600"}


def _either(on: str, off: str) -> rx.Component:
    """Both words are sent; CSS shows the one matching the checkbox's own state (.rsv-on/.rsv-off)."""
    return rx.fragment(rx.el.span(on, class_name="rsv-on"), rx.el.span(off, class_name="rsv-off"))


def _cell(cell: CellUI) -> rx.Component:
    # Uncontrolled checkbox: the browser flips it at once; ReservationTicks keeps the server's
    # copy and the totals. render_id in the key re-creates it when the server changes ticks.
    return rx.el.td(
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
                _either("● À valider", "Libre"),
            ),
            class_name="rsv-state",
        ),
        rx.el.span(rx.cond(cell.state == "closed", cell.reason, cell.price), class_name="rsv-note"),
        class_name=f"rsv-cell rsv-{cell.state}",
    )


def _day_row(day: DayUI) -> rx.Component:
    return rx.el.tr(
        rx.el.th(rx.el.span(day.text, class_name="rsv-long"), rx.el.span(day.short, class_name="rsv-short"),
                 scope="row", class_name="rsv-day"),
        rx.foreach(day.cells, _cell),
    )


@rx.memo
def child_total(index: rx.Var[int]) -> rx.Component:
    """One child's live total: its own small component, so a tick re-renders it and not the table."""
    return rx.el.strong(T.child_totals[index])


def _child_table(child: ChildUI) -> rx.Component:
    return rx.el.section(
        rx.heading(child.name, as_="h2", size="5"),
        rx.el.div(
            rx.el.table(
                rx.el.caption("Réservations de ", child.name, " — ", S.period_label, class_name="rsv-caption"),
                rx.el.thead(rx.el.tr(
                    rx.el.th("Jour", scope="col", class_name="rsv-day"),
                    rx.foreach(child.services, lambda name: rx.el.th(name, scope="col", class_name="rsv-service")),
                )),
                rx.el.tbody(rx.foreach(child.days, _day_row)),
                class_name="rsv-table",
            ),
            class_name="rsv-scroll",
        ),
        rx.hstack(
            rx.text("Total pour ", child.name, " : ", child_total(index=child.index), aria_live="polite"),
            rx.cond(S.child_names.length() > 1,
                    rx.button("Appliquer les mêmes jours à tous mes enfants", variant="outline", size="2",
                              on_click=S.apply_to_all(child.index), disabled=S.locked,
                              white_space="normal", height="auto", min_height="2rem")),
            justify="between",
            wrap="wrap",
            width="100%",
        ),
        class_name="rsv-child",
    )


def _legend() -> rx.Component:
    def item(state: str, symbol: str, text: str) -> rx.Component:
        return rx.el.li(
            rx.el.span(symbol, class_name=f"rsv-cell rsv-{state} rsv-legend"),
            text,
        )

    return rx.el.section(
        rx.heading("Légende", as_="h2", size="3"),
        rx.el.ul(
            item("pending", "🛒", "Bleu : dans le panier, en attente de paiement"),
            item("paid", "✔", "Vert : payée, confirmée"),
            item("closed", "—", "Gris : fermé ou verrouillé (la raison est indiquée)"),
            item("free", "●", "Cochée, pas encore validée : cliquez sur Valider"),
            style={"list_style": "none", "padding": "0", "display": "flex", "flex_wrap": "wrap", "gap": "0.75rem"},
        ),
    )


def _synthesis() -> rx.Component:
    return rx.center(
        rx.el.table(
            rx.el.caption("Synthèse de la période", style={"font_weight": "600"}),
            rx.el.thead(rx.el.tr(rx.el.th("Enfant", scope="col", style=TH_STYLE),
                                 rx.el.th("Total", scope="col", style=TH_STYLE))),
            rx.el.tbody(
                rx.foreach(S.child_names, lambda name, i: rx.el.tr(
                    rx.el.th(name, scope="row", style=TH_STYLE),
                    rx.el.td(T.child_totals[i], style=TH_STYLE, data_testid="total-enfant"),
                )),
                rx.el.tr(rx.el.th("Total général", scope="row", style=TH_STYLE),
                         rx.el.td(rx.el.strong(T.grand_total), style=TH_STYLE, data_testid="total-general")),
            ),
            aria_live="polite",
            style={"border_collapse": "collapse"},
        ),
        width="100%",
    )


def _tariff() -> rx.Component:
    """The family's bracket for the period (« Tranche 2 — QF de 501 à 900 € »), and why the « no QF »
    price applies with what to do."""
    return rx.fragment(
        rx.cond(S.tariff_lines.length() > 0, rx.el.section(
            rx.heading("Votre tarif", as_="h2", size="3"),
            rx.el.ul(rx.foreach(S.tariff_lines, lambda line: rx.el.li(line)), data_testid="tarif-famille"),
        )),
        rx.cond(S.tariff_notice != "", rx.callout(S.tariff_notice, icon="info", color_scheme="amber",
                                                  data_testid="tarif-sans-qf")),
    )


def _basket() -> rx.Component:
    def basket_row(line: LineUI) -> rx.Component:
        return rx.el.tr(rx.el.td(line.child), rx.el.td(line.service, rx.cond(line.tariff != "", rx.el.br()),
                                                        rx.el.small(line.tariff)),
                        rx.el.td(line.day), rx.el.td(line.price))

    return rx.cond(
        S.basket_visible,
        rx.el.section(
            rx.heading("Votre panier", as_="h2", size="5"),
            rx.el.table(
                rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col", style=TH_STYLE)
                                       for h in ("Enfant", "Prestation", "Jour", "Montant")])),
                rx.el.tbody(rx.foreach(S.basket_lines, basket_row)),
                style={"width": "100%"},
            ),
            rx.text("Sous-total : ", S.basket_subtotal),
            rx.text("Avoir déduit : ", S.basket_credit),
            rx.text(rx.el.strong("Total à payer : ", S.basket_total)),
            rx.text(S.basket_note, size="2"),
            rx.cond(S.basket_payable,
                    rx.button(rx.icon("credit-card", size=18, aria_hidden="true"), "Payer ", S.basket_total,
                              " en ligne", size="3", on_click=S.pay)),
            style={"border": "2px solid var(--accent-8)", "border_radius": "8px", "padding": "0.75rem"},
        ),
    )


def reservations_page() -> rx.Component:
    return family_page(
        "Réservations",
        rx.hstack(
            rx.button("← ", S.previous_label, variant="soft", on_click=S.previous_period, disabled=~S.can_go_back),
            rx.heading(S.period_label, as_="h2", size="4"),
            rx.button(S.next_label, " →", variant="soft", on_click=S.next_period, disabled=~S.can_go_forward),
            justify="between",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.text(S.deadline_text, weight="bold"),
        rx.cond(S.limit_text != "", rx.text(S.limit_text, data_testid="limite-navigation")),
        message_if(S.info_message, "success"),
        message_if(S.error_message, "error"),
        rx.cond(S.credit_text != "", rx.text(S.credit_text)),
        _legend(),
        rx.foreach(S.tables, _child_table),
        _synthesis(),
        _tariff(),
        rx.el.p(
            rx.cond(T.unsaved_count > 0,
                    rx.el.span("⚠ ", T.unsaved_count, " modification(s) non validée(s) : cliquez sur Valider."),
                    ""),
            aria_live="polite",
            style={"text_align": "center", "min_height": "1.5em", "font_weight": "600"},
        ),
        rx.hstack(
            rx.button("Valider", size="3", on_click=S.validate, disabled=S.locked),
            rx.button("Valider votre panier maintenant", size="3", variant="outline", on_click=S.show_basket),
            justify="center",
            wrap="wrap",
            width="100%",
        ),
        _basket(),
    )
