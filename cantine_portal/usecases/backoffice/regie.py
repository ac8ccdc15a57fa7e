"""Back-office use cases of the régie: counter payments, cheque rejections, refunds, the journal
(page, CSV, PDF) and its closures, a family's ledger. One transaction each; what follows the
commit (the receipt's PDF and ticket, the e-mail telling a family its cheque came back) runs
after it. Plain Python, no Reflex."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from cantine_portal.french import PARIS, format_euros, format_long_date, format_month_year
from cantine_portal.infra.csv_export import csv_bytes
from cantine_portal.infra.db import get_database
from cantine_portal.infra.mail import Mail, render_html
from cantine_portal.infra.pdf.journal import render_journal
from cantine_portal.models import Account, AccountRole, Family, JournalClosure, Structure
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.regie import closures, counter, journal, ledger, refunds, rejection
from cantine_portal.services.regie.errors import RegieError
from cantine_portal.services.shared.money import parse_euros
from cantine_portal.usecases import payments
from cantine_portal.usecases.backoffice.common import Download, StaffActor, mailer, read, refusing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegieOutcome:
    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)  # by form field, shown next to it


def _run(work: Callable[[Session], RegieOutcome]) -> RegieOutcome:
    """One write transaction; a RegieError rolls it back and becomes the staff's message."""
    try:
        with refusing(), get_database().write_session() as session:
            return work(session)
    except RegieError as refused:
        return RegieOutcome(False, refused.message)


def record_counter_payment(
    actor: StaffActor, *, now: datetime, family_id: int, pay_basket: bool, details: counter.CounterDetails, key: str
) -> RegieOutcome:
    """Money handed in at the counter: pays the family's open basket, or goes to its credit."""
    ticket_jobs: list[int] = []

    def work(session: Session) -> RegieOutcome:
        record = counter.pay_basket if pay_basket else counter.record_credit
        result = record(session, now, actor.structure_id, family_id, actor.account_id, details, key)
        if result.receipt_id is not None:  # the receipt's PDF and the ticket, as after an online payment
            job_id = payments.queue_ticket(session, now, result.receipt_id)
            if job_id is not None:
                ticket_jobs.append(job_id)
        return RegieOutcome(True, result.message)

    outcome = _run(work)
    for job_id in ticket_jobs:  # committed: hand the ticket over to the task queue
        payments.after_notification(job_id)
    return outcome


COUNTER_FIELDS = ("method", "amount", "bank", "cheque_number", "cesu_numbers", "cesu_count", "transfer_reference")


def counter_payment_form(
    actor: StaffActor, *, now: datetime, family_id: int | None, pay_basket: bool, form: dict[str, str], key: str
) -> RegieOutcome:
    """The counter form as typed: each wrong field gets its French message, else the payment is recorded."""
    errors: dict[str, str] = {}
    try:
        cents = parse_euros(form.get("amount", ""))
    except ValueError:
        cents, errors["amount"] = 0, "Montant invalide (par exemple 12,50)."
    count_text = form.get("cesu_count", "").strip() or "0"
    count = int(count_text) if count_text.isdigit() and len(count_text) < 4 else -1
    details = counter.CounterDetails(
        method=form.get("method", ""),
        amount_cents=cents,
        bank=form.get("bank", ""),
        cheque_number=form.get("cheque_number", ""),
        cesu_numbers=form.get("cesu_numbers", ""),
        cesu_count=max(count, 0),
        transfer_reference=form.get("transfer_reference", ""),
    )
    errors = {**counter.check_details(details), **errors}
    if count < 0:
        errors["cesu_count"] = "Nombre de CESU invalide."
    if errors or family_id is None:
        return RegieOutcome(False, "Le paiement n'est pas enregistré : corrigez les champs signalés.", errors)
    return record_counter_payment(actor, now=now, family_id=family_id, pay_basket=pay_basket, details=details, key=key)


def _family_email(session: Session, family_id: int) -> str:
    account = session.exec(
        select(Account).where(Account.family_id == family_id, Account.role == AccountRole.PARENT)
    ).first()
    return account.email if account else ""


def reject_cheque(actor: StaffActor, *, now: datetime, counter_payment_id: int, reason: str) -> RegieOutcome:
    """A counter cheque came back unpaid: reversed, and the family told by e-mail."""
    told: list[Mail] = []

    def work(session: Session) -> RegieOutcome:
        result = rejection.reject_cheque(session, now, actor.structure_id, actor.account_id, counter_payment_id, reason)
        structure = session.get(Structure, actor.structure_id)
        address = _family_email(session, result.family_id)
        if structure is not None and address:
            told.append(_rejection_mail(structure, address, result))
        return RegieOutcome(True, result.message)

    outcome = _run(work)
    for mail in told:
        try:
            mailer().send(mail, now)
        except Exception:
            log.exception("cheque rejection: the family's e-mail failed")
    return outcome


def _rejection_mail(structure: Structure, address: str, result: rejection.RejectionResult) -> Mail:
    paragraphs = [
        f"Votre chèque de {format_euros(result.amount_cents)} remis à la mairie nous a été retourné "
        "impayé par la banque."
    ]
    if result.reopened_days:
        paragraphs.append(
            f"{result.reopened_days} jour(s) à venir qu'il réglait sont de nouveau dans votre panier : "
            "pensez à les payer avant la date butoir."
        )
    if result.debited_cents:
        paragraphs.append(f"{format_euros(result.debited_cents)} restent dus : ils sont débités de votre avoir.")
    paragraphs.append(f"Pour toute question, contactez la mairie ({structure.email or structure.phone}).")
    return Mail(
        to=address,
        subject=f"{structure.name} — Chèque impayé",
        text="\n\n".join(paragraphs),
        html=render_html("Chèque impayé", paragraphs),
    )


def refund_credit(
    actor: StaffActor, *, now: datetime, family_id: int, amount: str, method: str, reference: str, reason: str, key: str
) -> RegieOutcome:
    """Give back some or all of a family's credit (never beyond it, never twice for one form)."""
    try:
        cents = parse_euros(amount)
    except ValueError:
        return RegieOutcome(False, "Montant invalide (par exemple 12,50).")
    return _run(lambda session: _refund(session, actor, now, family_id, cents, method, reference, reason, key))


def _refund(
    session: Session,
    actor: StaffActor,
    now: datetime,
    family_id: int,
    cents: int,
    method: str,
    reference: str,
    reason: str,
    key: str,
) -> RegieOutcome:
    result = refunds.refund_credit(
        session, now, actor.structure_id, actor.account_id, family_id, cents, method, reference, reason, key
    )
    return RegieOutcome(True, result.message)


def close_period(actor: StaffActor, *, now: datetime, kind: str, day: date) -> RegieOutcome:
    return _run(
        lambda session: RegieOutcome(
            True, closures.close_period(session, now, actor.structure_id, actor.account_id, kind, day).message
        )
    )


def close_and_show(actor: StaffActor, *, now: datetime, kind: str, day: date) -> tuple[RegieOutcome, JournalPage]:
    """« Clôturer »: the closure, then the period as it now reads (closed, frozen totals)."""
    outcome = close_period(actor, now=now, kind=kind, day=day)
    return outcome, journal_page(actor, kind=kind, day=day)


@dataclass(frozen=True)
class JournalPage:
    title: str
    kind: str
    first_day: date
    journal: journal.Journal
    closed: bool
    closed_at: datetime | None
    intact: bool  # a closed period still gives its frozen totals


def _title(kind: str, first: date) -> str:
    return "Journal de la régie — " + (
        format_long_date(first) if kind == "day" else format_month_year(first.year, first.month)
    )


def journal_page(actor: StaffActor, *, kind: str, day: date) -> JournalPage:
    def work(session: Session) -> JournalPage:
        check_staff(session, actor.structure_id, actor.account_id)
        first, last = closures.period(kind, day)
        built = journal.build_journal(session, actor.structure_id, first, last)
        closure: JournalClosure | None = closures.closure_of(session, actor.structure_id, kind, first)
        intact = closures.check_closure(session, closure) if closure else True
        return JournalPage(
            _title(kind, first), kind, first, built, closure is not None, closure.closed_at if closure else None, intact
        )

    return read(work)


def journal_csv(actor: StaffActor, *, kind: str, day: date) -> Download:
    page = journal_page(actor, kind=kind, day=day)
    rows: list[tuple[str, ...]] = list(journal.journal_rows(page.journal))
    rows += [
        ("", "total", journal.channel_label(c), "", "", journal.decimal(v)) for c, v in page.journal.totals.items()
    ]
    rows += [
        ("", "total (sans encaissement)", k, "", "", journal.decimal(v)) for k, v in page.journal.credit_totals.items()
    ]
    return Download(
        csv_bytes(journal.JOURNAL_HEADER, rows),
        f"journal-{kind}-{page.first_day.isoformat()}.csv",
        "text/csv; charset=utf-8",
    )


def journal_pdf(actor: StaffActor, *, kind: str, day: date, now: datetime) -> Download:
    page = journal_page(actor, kind=kind, day=day)
    with get_database().session() as session:
        structure = session.get(Structure, actor.structure_id)
        name = structure.name if structure else ""
    j = page.journal
    summary = [
        f"{j.receipts_count} reçu(s) émis pour {format_euros(j.receipts_cents)} ; encaissements avec reçu : "
        f"{format_euros(j.receipted_cents)}" + (" (concordant)" if j.reconciled else " (ÉCART)"),
        f"Solde net de la période : {format_euros(j.net_cents)}",
        journal.credit_summary(j),
    ]
    note = "Période clôturée" + ("" if page.intact else " — ÉCART avec les totaux figés") if page.closed else ""
    pdf = render_journal(
        name,
        page.title,
        journal.journal_rows(j),
        [(journal.channel_label(c), journal.decimal(v)) for c, v in j.totals.items()],
        summary,
        closed_note=note,
        generated_at=now,
    )
    return Download(pdf, f"journal-{kind}-{page.first_day.isoformat()}.pdf", "application/pdf")


def family_ledger(actor: StaffActor, *, family_id: int) -> list[ledger.LedgerLine]:
    def work(session: Session) -> list[ledger.LedgerLine]:
        try:
            return ledger.family_ledger(session, actor.structure_id, actor.account_id, family_id)
        except RegieError:
            return []

    return read(work)


@dataclass(frozen=True)
class FamilyMoney:
    """The family page's money block: its ledger, its credit, what its open basket costs."""

    lines: list[ledger.LedgerLine]
    balance_cents: int
    basket_total_cents: int | None = None  # None: no open basket to pay at the counter


def family_money(actor: StaffActor, *, family_id: int | None, now: datetime) -> FamilyMoney:
    lines = family_ledger(actor, family_id=family_id) if family_id is not None else []

    def basket_total(session: Session) -> int | None:
        check_staff(session, actor.structure_id, actor.account_id)
        family = session.get(Family, family_id) if family_id is not None else None
        if family is None or family.structure_id != actor.structure_id or family.id is None:
            return None
        return counter.open_basket_total(session, now, actor.structure_id, family.id)

    return FamilyMoney(lines, lines[-1].balance_cents if lines else 0, read(basket_total))


def family_choices(actor: StaffActor) -> list[tuple[int, str]]:
    """The commune's families for the counter and refund forms (id, name)."""

    def work(session: Session) -> list[tuple[int, str]]:
        check_staff(session, actor.structure_id, actor.account_id)
        rows = session.exec(select(Family).where(Family.structure_id == actor.structure_id).order_by(Family.name)).all()
        return [(f.id, f.name) for f in rows if f.id is not None]

    return read(work)


def today(now: datetime) -> date:
    return now.astimezone(PARIS).date()


__all__ = [
    "FamilyMoney",
    "JournalPage",
    "RegieOutcome",
    "close_and_show",
    "close_period",
    "counter_payment_form",
    "family_choices",
    "family_ledger",
    "family_money",
    "journal_csv",
    "journal_page",
    "journal_pdf",
    "record_counter_payment",
    "refund_credit",
    "reject_cheque",
    "today",
]
