"""The one lock every path takes before it reads a family's credit to spend or give it back.

On PostgreSQL two transactions read the balance each on its own: a staff refund and a parent's
« Payer » started at the same instant could both count the same credit (refunded AND used, the
family then owes it). So the payment start (online or at the counter), the payment's success
(it turns held credit into used credit), a counter deposit, a cheque recorded unpaid and a refund
all lock the family's row first, with this function, and only then read the balance: the second
one waits for the first to commit and reads what it did. On SQLite ``FOR UPDATE`` is not emitted
(its write transactions are serial already: ``BEGIN IMMEDIATE``).

``FOR NO KEY UPDATE``: it excludes the other lockers, not the rows that merely point at the family
(a reservation, a credit line being inserted takes a key-share lock, which it does not block).
Plain Python; the caller's transaction holds the lock until it commits.
"""

from __future__ import annotations

from sqlmodel import Session, select

from cantine_portal.models import Family


def lock_family_credit(session: Session, structure_id: int, family_id: int) -> Family | None:
    """Lock the family's row for the rest of the transaction; None when it is not of ``structure_id``.

    Call it before any read of the credit that decides how much may be spent or refunded."""
    return session.exec(
        select(Family)
        .where(Family.id == family_id, Family.structure_id == structure_id)
        .with_for_update(key_share=True)
    ).first()
