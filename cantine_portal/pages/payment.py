"""Payment pages: the simulated bank, the return page with the ticket, and Factures."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.banner import family_page
from cantine_portal.components.forms import callout, message_if
from cantine_portal.components.layout import link_button
from cantine_portal.state.payment import PaymentReturnState, ReceiptsState, SimulatedBankState, TicketLine


def simulated_bank_page() -> rx.Component:
    S = SimulatedBankState
    return rx.el.main(
        rx.vstack(
            callout(
                "SIMULATION — banque fictive du portail : aucune carte n'est demandée et aucune somme n'est "
                "débitée. En production, cette étape se déroule chez le prestataire bancaire de la commune.",
                "info",
            ),
            rx.heading("Banque simulée — paiement sécurisé", as_="h1", size="6"),
            rx.cond(
                S.bank_status == "open",
                rx.vstack(
                    rx.text("Bénéficiaire : ", rx.el.strong(S.commune_label)),
                    rx.text("Montant : ", rx.el.strong(S.amount_label)),
                    rx.text("Référence : ", rx.el.strong(S.reference)),
                    message_if(S.error_message, "error"),
                    rx.hstack(
                        rx.button("Payer", size="3", on_click=S.pay),
                        rx.button("Refuser", size="3", color_scheme="red", variant="soft", on_click=S.refuse),
                        rx.button("Annuler", size="3", variant="outline", on_click=S.cancel),
                        wrap="wrap",
                        spacing="3",
                    ),
                    spacing="3",
                ),
                rx.cond(
                    S.bank_status == "loading",
                    rx.spinner(),
                    rx.cond(
                        S.error_message != "",
                        rx.text(S.error_message, role="alert"),
                        rx.text(
                            "Cette session de paiement est terminée ou inconnue. Retournez sur le portail "
                            "de votre commune."
                        ),
                    ),
                ),
            ),
            spacing="4",
            style={"max_width": "36rem", "margin": "0 auto", "padding": "1rem"},
        )
    )


def _money_table(headers: tuple[str, ...], body: rx.Component) -> rx.Component:
    """A table on desktop, one card per row on phones (assets/portal.css ``.money-table``); the last
    column holds the amounts, right-aligned and never broken."""
    return rx.el.table(
        rx.el.thead(
            rx.el.tr(*[rx.el.th(h, scope="col", class_name="amount" if h == "Montant" else "") for h in headers])
        ),
        rx.el.tbody(body),
        class_name="money-table",
    )


def _ticket_row(line: TicketLine) -> rx.Component:
    return rx.el.tr(
        rx.el.td(line.child), rx.el.td(line.service), rx.el.td(line.day), rx.el.td(line.price, class_name="amount")
    )


def payment_return_page() -> rx.Component:
    S = PaymentReturnState
    slug = S.portal_slug
    ticket = rx.vstack(
        callout(S.return_message, "success"),
        rx.heading("Ticket de paiement", as_="h2", size="5"),
        rx.text("Référence : ", rx.el.strong(S.ticket_reference)),
        rx.text("Date : ", S.ticket_date),
        rx.text("Montant payé : ", rx.el.strong(S.ticket_amount)),
        rx.cond(S.ticket_credit != "", rx.text("Avoir utilisé : ", S.ticket_credit)),
        rx.cond(S.ticket_debt != "", rx.text("Somme due à la régie réglée : ", S.ticket_debt)),
        _money_table(("Enfant", "Prestation", "Jour", "Montant"), rx.foreach(S.ticket_lines, _ticket_row)),
        rx.text(
            "Reçu n° ",
            rx.el.span(S.ticket_receipt_number, class_name="nowrap"),
            " : ",
            rx.el.a("ouvrir le reçu (PDF)", href=S.ticket_receipt_url, target="_blank", rel="noopener"),
        ),
        rx.text("Le ticket vous a aussi été envoyé par e-mail.", size="2"),
        spacing="3",
        width="100%",
    )
    return family_page(
        "Paiement",
        rx.match(
            S.return_status,
            ("paid", ticket),
            (
                "pending",
                rx.vstack(callout(S.return_message, "info"), rx.button("Actualiser", on_click=S.refresh), spacing="3"),
            ),
            (
                "failed",
                rx.vstack(
                    callout(S.return_message, "error"),
                    link_button("Retour aux réservations", "/" + slug + "/reservations"),
                    spacing="3",
                ),
            ),
            ("unknown", callout("Paiement introuvable.", "error")),
            rx.spinner(),
        ),
    )


def receipts_page() -> rx.Component:
    S = ReceiptsState

    def row(receipt) -> rx.Component:
        return rx.el.tr(
            rx.el.td(receipt.date, class_name="nowrap"),
            rx.el.td("Reçu n° ", rx.el.span(receipt.number, class_name="nowrap")),
            rx.el.td(
                rx.el.div(
                    rx.el.a(
                        rx.icon("file-text", size=18, aria_hidden="true"),
                        "Ouvrir le reçu (PDF)",
                        href=receipt.url,
                        target="_blank",
                        rel="noopener",
                        class_name="text-button",
                        title="S'ouvre dans un nouvel onglet",
                    ),
                    rx.el.a(
                        rx.icon("download", size=18, aria_hidden="true"),
                        "Télécharger",
                        href=receipt.download_url,
                        class_name="text-button",
                    ),
                    class_name="receipt-actions",
                ),
            ),
            rx.el.td(receipt.amount, class_name="amount"),
        )

    return family_page(
        "Factures",
        rx.text(
            "Vos reçus de paiement, du plus récent au plus ancien. « Ouvrir le reçu (PDF) » l'affiche "
            "dans un nouvel onglet : vous pourrez l'imprimer ou l'enregistrer depuis votre navigateur."
        ),
        rx.cond(
            S.receipt_rows.length() > 0,
            _money_table(("Date", "Reçu", "Reçu (PDF)", "Montant"), rx.foreach(S.receipt_rows, row)),
            rx.text("Aucun reçu pour le moment : ils apparaissent ici après chaque paiement."),
        ),
        _refunds(),
    )


def _pay_debt() -> rx.Component:
    """The sum owed paid online: alone (« Régler la somme due »), or with the basket's days."""
    S = ReceiptsState
    return rx.fragment(
        rx.cond(
            S.debt_payable,
            rx.button(
                rx.icon("credit-card", size=18, aria_hidden="true"),
                "Régler la somme due en ligne",
                size="3",
                on_click=S.pay_debt,
                min_height="44px",
            ),
        ),
        rx.cond(
            S.debt_with_days,
            rx.text(
                "La somme due s'ajoute au total de votre panier : réglez-le depuis ",
                rx.el.a("Réservations", href="/" + S.portal_slug + "/reservations"),
                ".",
            ),
        ),
        message_if(S.pay_message, "error"),
        rx.cond(
            S.debt_payable | S.debt_with_days,
            rx.text("Vous pouvez aussi la régler au guichet de la mairie.", size="2"),
        ),
    )


def _owed() -> rx.Component:
    """What the sum owed is made of: the meals the canteen found taken without a reservation,
    billed to the family (the commune's rule), so that the parent understands it."""
    S = ReceiptsState
    return rx.cond(
        S.owed_rows.length() > 0,
        rx.el.div(
            rx.text(
                "Repas pris à la cantine sans réservation, facturés à votre compte famille : "
                "ils font partie de la somme due."
            ),
            _money_table(
                ("Date", "Enfant", "Prestation", "Montant"),
                rx.foreach(
                    S.owed_rows,
                    lambda r: rx.el.tr(
                        rx.el.td(r.date),
                        rx.el.td(r.child),
                        rx.el.td(r.service),
                        rx.el.td(r.amount, class_name="amount"),
                    ),
                ),
            ),
            id="owed-meals",
        ),
    )


def _refunds() -> rx.Component:
    """The family's credit and what the régie gave back of it (date, amount, method, reference)."""
    S = ReceiptsState
    return rx.el.section(
        rx.heading("Avoir et remboursements", as_="h2", size="5", margin_top="1.5rem"),
        rx.text(S.credit_label, weight="bold", id="credit-balance"),
        _owed(),
        _pay_debt(),
        rx.cond(
            S.refund_rows.length() > 0,
            _money_table(
                ("Date", "Mode", "Référence", "Montant"),
                rx.foreach(
                    S.refund_rows,
                    lambda r: rx.el.tr(
                        rx.el.td(r.date, class_name="nowrap"),
                        rx.el.td(r.method),
                        rx.el.td(r.reference),
                        rx.el.td(r.amount, class_name="amount"),
                    ),
                ),
            ),
            rx.text("Aucun remboursement : la régie rembourse un avoir sur demande (départ de la commune…)."),
        ),
    )
