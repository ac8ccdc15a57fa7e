"""The money block of a family's back-office page: its ledger (running balance) and the régie's
forms: « Enregistrer un paiement au guichet », « Chèque impayé », « Rembourser l'avoir »."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import grid, input_field, section, select_field, submit, summarised_form
from cantine_portal.components.admin_layout import table, td
from cantine_portal.components.forms import INPUT_STYLE, message_if
from cantine_portal.state.admin_family_money import AdminFamilyMoneyState as M

METHODS = [("especes", "Espèces"), ("cheque", "Chèque"), ("cesu", "CESU"), ("virement", "Virement")]
REFUND_METHODS = [("virement", "Virement"), ("cheque", "Chèque"), ("especes", "Espèces")]


def _messages(form: str) -> rx.Component:
    """The outcome of a form, right under it."""
    return rx.cond(
        M.form == form, rx.fragment(message_if(M.success_message, "success"), message_if(M.error_message, "error"))
    )


def _reject_cell(line: rx.Var, index: rx.Var) -> rx.Component:
    field_id = "reject-reason-" + index.to_string()
    return rx.cond(
        line["rejectable"] == "1",
        summarised_form(
            rx.el.label("Motif du rejet", html_for=field_id, style={"font_size": "14px"}),
            rx.el.input(id=field_id, name="reason", style=INPUT_STYLE),
            rx.el.input(type="hidden", name="row", value=index.to_string()),
            submit("Chèque impayé", color_scheme="red", variant="outline"),
            on_submit=M.reject_cheque,
            key=M.form_key.to_string() + "r" + index.to_string(),
        ),
    )


def _ledger() -> rx.Component:
    return rx.fragment(
        table(
            ["Date", "Nature", "Opération", "Versé", "Avoir", "Solde de l'avoir", "Action"],
            rx.foreach(
                M.ledger,
                lambda r, i: rx.el.tr(
                    td(r["date"]),
                    td(r["kind"]),
                    td(r["label"]),
                    td(r["paid"]),
                    td(r["credit"]),
                    td(r["balance"]),
                    td(_reject_cell(r, i)),
                ),
            ),
            caption="Compte de la famille",
        ),
        rx.cond(M.ledger.length() == 0, rx.text("Aucun mouvement.")),
        _messages("reject"),
    )


def _method_fields() -> rx.Component:
    errors = M.errors
    return rx.fragment(
        rx.cond(
            M.method == "cheque",
            grid(
                input_field("Banque", "bank", "cp-bank", "", errors),
                input_field("Numéro du chèque", "cheque_number", "cp-cheque", "", errors),
            ),
        ),
        rx.cond(
            M.method == "cesu",
            grid(
                input_field(
                    "Numéros des CESU (un par ligne ou séparés par des espaces)", "cesu_numbers", "cp-cesu", "", errors
                ),
                input_field("Nombre de CESU", "cesu_count", "cp-cesu-count", "", errors, inputmode="numeric"),
            ),
        ),
        rx.cond(
            M.method == "virement",
            input_field("Référence du virement", "transfer_reference", "cp-transfer", "", errors),
        ),
    )


def _counter_form() -> rx.Component:
    return summarised_form(
        rx.cond(
            M.basket_total != "",
            rx.text(
                "À régler pour le panier en cours (avoir déduit, somme due comprise) : ", rx.el.strong(M.basket_total)
            ),
            rx.text("Aucun panier à régler : un versement ira sur l'avoir de la famille."),
        ),
        grid(
            rx.vstack(
                rx.el.label("Mode de paiement", html_for="cp-method", style={"font_weight": "600"}),
                rx.el.select(
                    *[rx.el.option(text, value=value) for value, text in METHODS],
                    id="cp-method",
                    name="method",
                    value=M.method,
                    on_change=M.set_method,
                    style=INPUT_STYLE,
                ),
                spacing="1",
                width="100%",
                align="stretch",
            ),
            input_field("Montant reçu (€)", "amount", "cp-amount", "", M.errors, inputmode="decimal"),
            select_field(
                "Affectation",
                "target",
                "cp-target",
                "basket",
                [("basket", "Payer le panier en cours"), ("credit", "Mettre sur l'avoir de la famille")],
            ),
        ),
        _method_fields(),
        submit("Enregistrer le paiement", margin_top="0.5rem"),
        on_submit=M.record_payment,
        key=M.form_key.to_string() + "counter",
    )


def _refund_form() -> rx.Component:
    return summarised_form(
        rx.text("Avoir disponible : ", rx.el.strong(M.balance)),
        grid(
            input_field("Montant à rembourser (€)", "amount", "rf-amount", "", inputmode="decimal"),
            select_field("Mode de remboursement", "method", "rf-method", "virement", REFUND_METHODS),
            input_field("Référence (virement, n° de chèque)", "reference", "rf-reference", ""),
            input_field("Motif", "reason", "rf-reason", ""),
        ),
        submit("Rembourser", margin_top="0.5rem"),
        on_submit=M.refund,
        key=M.form_key.to_string() + "refund",
    )


def family_money_section() -> rx.Component:
    return rx.fragment(
        section("Compte de la famille", _ledger()),
        section("Enregistrer un paiement au guichet", _counter_form(), _messages("counter")),
        section("Rembourser l'avoir", _refund_form(), _messages("refund")),
    )
