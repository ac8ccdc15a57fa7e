"""`/{slug}/reservations`: guide section 3, one table per child, live totals, Valider, the basket."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.banner import family_page
from cantine_portal.components.forms import message_if
from cantine_portal.state.reservations import CellUI, ChildUI, DayUI, LineUI, ReservationState

S = ReservationState

# Colour AND words/symbols: the state never rests on colour alone.
STATE_STYLE = {
    "pending": {"background": "var(--blue-4)", "border": "2px solid var(--blue-9)"},
    "paid": {"background": "var(--green-4)", "border": "2px solid var(--green-9)"},
    "closed": {"background": "var(--gray-3)", "border": "1px dashed var(--gray-7)"},
    "locked": {"background": "var(--gray-3)", "border": "1px dashed var(--gray-7)"},
    "free": {"background": "var(--color-background)", "border": "1px solid var(--gray-7)"},
}
CELL_BASE = {"padding": "0.35rem 0.5rem", "border_radius": "6px", "text_align": "center", "min_width": "6.5rem"}
TABLE_STYLE = {"border_collapse": "separate", "border_spacing": "4px", "width": "100%"}
TH_STYLE = {"text_align": "left", "padding": "0.25rem 0.5rem", "font_weight": "600"}
CHECKBOX_STYLE = {"width": "1.4rem", "height": "1.4rem", "cursor": "pointer", "vertical_align": "middle"}


def _state_text(cell: CellUI) -> rx.Component:
    ticked = S.ticked[cell.key]
    return rx.el.span(
        rx.match(
            cell.state,
            ("pending", rx.cond(ticked, "🛒 Dans le panier", "✕ Sera retiré")),
            ("paid", rx.cond(ticked, "✔ Payée", "✕ Sera annulée (avoir)")),
            ("closed", "— Fermé"),
            ("locked", "🔒 Verrouillé"),
            rx.cond(ticked, "● À valider", "Libre"),
        ),
        style={"display": "block", "font_size": "0.8rem"},
    )


def _cell(cell: CellUI) -> rx.Component:
    return rx.el.td(
        rx.el.input(
            type="checkbox",
            checked=S.ticked[cell.key],
            disabled=~cell.editable,
            on_change=S.toggle(cell.key),
            aria_label=cell.label,
            title=cell.reason,
            style=CHECKBOX_STYLE,
        ),
        _state_text(cell),
        rx.cond(cell.state == "closed",
                rx.el.span(cell.reason, style={"display": "block", "font_size": "0.75rem", "color": "var(--gray-11)"}),
                rx.el.span(cell.price, style={"display": "block", "font_size": "0.75rem", "color": "var(--gray-11)"})),
        style=rx.match(cell.state, *[(k, {**CELL_BASE, **v}) for k, v in STATE_STYLE.items()],
                       {**CELL_BASE, **STATE_STYLE["free"]}),
    )


def _day_row(day: DayUI) -> rx.Component:
    return rx.el.tr(
        rx.el.th(day.text, scope="row", style=TH_STYLE),
        rx.foreach(day.cells, _cell),
    )


def _child_table(child: ChildUI) -> rx.Component:
    return rx.el.section(
        rx.heading(child.name, as_="h2", size="5"),
        rx.el.div(
            rx.el.table(
                rx.el.caption("Réservations de ", child.name, " — ", S.period_label,
                              style={"text_align": "left", "font_size": "0.85rem", "color": "var(--gray-11)"}),
                rx.el.thead(rx.el.tr(
                    rx.el.th("Jour", scope="col", style=TH_STYLE),
                    rx.foreach(child.services, lambda name: rx.el.th(name, scope="col", style=TH_STYLE)),
                )),
                rx.el.tbody(rx.foreach(child.days, _day_row)),
                style=TABLE_STYLE,
            ),
            style={"overflow_x": "auto"},
        ),
        rx.hstack(
            rx.text("Total pour ", child.name, " : ", rx.el.strong(S.child_totals[child.index]),
                    aria_live="polite"),
            rx.cond(S.child_names.length() > 1,
                    rx.button("Appliquer les mêmes jours à tous mes enfants", variant="outline", size="2",
                              on_click=S.apply_to_all(child.index), disabled=S.locked)),
            justify="between",
            wrap="wrap",
            width="100%",
        ),
        style={"border": "1px solid var(--gray-5)", "border_radius": "8px", "padding": "0.75rem"},
    )


def _legend() -> rx.Component:
    def item(state: str, symbol: str, text: str) -> rx.Component:
        return rx.el.li(
            rx.el.span(symbol, style={**CELL_BASE, **STATE_STYLE[state], "min_width": "2rem",
                                      "display": "inline-block", "margin_right": "0.4rem"}),
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
                    rx.el.td(S.child_totals[i], style=TH_STYLE, data_testid="total-enfant"),
                )),
                rx.el.tr(rx.el.th("Total général", scope="row", style=TH_STYLE),
                         rx.el.td(rx.el.strong(S.grand_total), style=TH_STYLE, data_testid="total-general")),
            ),
            aria_live="polite",
            style={"border_collapse": "collapse", "min_width": "16rem"},
        ),
        width="100%",
    )


def _basket() -> rx.Component:
    def basket_row(line: LineUI) -> rx.Component:
        return rx.el.tr(rx.el.td(line.child), rx.el.td(line.service), rx.el.td(line.day), rx.el.td(line.price))

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
        message_if(S.info_message, "success"),
        message_if(S.error_message, "error"),
        rx.cond(S.credit_text != "", rx.text(S.credit_text)),
        _legend(),
        rx.foreach(S.tables, _child_table),
        _synthesis(),
        rx.el.p(
            rx.cond(S.unsaved_count > 0,
                    rx.el.span("⚠ ", S.unsaved_count, " modification(s) non validée(s) : cliquez sur Valider."),
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
