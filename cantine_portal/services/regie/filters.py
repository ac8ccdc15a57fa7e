"""« Paiements » filtered by provider or counter method: which payments belong to a choice of the
« Prestataire ou moyen » list ("payfip", "guichet", "guichet:cheque"…)."""

from __future__ import annotations

from sqlmodel import Session, select

from cantine_portal.models import CounterPayment, Payment
from cantine_portal.services.regie.counter import COUNTER_PROVIDER
from cantine_portal.services.regie.journal import METHOD_LABELS, PROVIDER_LABELS


def provider_filters() -> list[tuple[str, str]]:
    """The choices: every payment, each online provider, the counter, each counter method."""
    return (
        [("", "Tous")]
        + list(PROVIDER_LABELS.items())
        + [(COUNTER_PROVIDER, "Guichet (tous moyens)")]
        + [(f"{COUNTER_PROVIDER}:{key}", f"Guichet — {label}") for key, label in METHOD_LABELS.items()]
    )


def payment_ids(session: Session, structure_id: int, wanted: str) -> set[int] | None:
    """The commune's payments of ``wanted`` (None: no filter)."""
    if not wanted:
        return None
    provider, _, method = wanted.partition(":")
    found = {
        p.id
        for p in session.exec(
            select(Payment).where(Payment.structure_id == structure_id, Payment.provider == provider)
        ).all()
        if p.id is not None
    }
    if not method:
        return found
    paid_by = {
        c.payment_id
        for c in session.exec(
            select(CounterPayment).where(CounterPayment.structure_id == structure_id, CounterPayment.method == method)
        ).all()
    }
    return {i for i in found if i in paid_by}
