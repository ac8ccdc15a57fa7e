"""Checks run before the portal serves anyone: refuse to start a deployment that would take
"payments" through the simulated bank (which marks baskets paid with no money moved).

Called by the app module (cantine_portal.py, so ``reflex run`` fails at its compile step and a
worker never serves), by ``python -m cantine_portal.serve`` before it launches Reflex, and by
``python -m cantine_portal check`` (a deploy script's pre-start step). Plain Python, no Reflex.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from cantine_portal.config import Settings
from cantine_portal.infra.db import Database
from cantine_portal.models import Structure
from cantine_portal.services.shared.payment_availability import payment_availability

log = logging.getLogger("cantine_portal.startup")

STAGING_FLAG = "CANTINE_ALLOW_SIMULATED_BANK"


def log_to_stderr() -> None:
    """Command lines (serve.py, ``python -m cantine_portal``): show this module's messages on stderr
    with their level, whatever logging is (not yet) configured."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


class UnsafeDeployment(RuntimeError):
    """The portal must not start with this configuration; the message says why and what to do."""


@dataclass(frozen=True)
class PaymentSafety:
    # Refusals: communes that would take payments through the simulated bank in production.
    simulated: list[str] = field(default_factory=list)
    # Warnings only: communes on Stripe without its keys (their parents are told payment is off).
    stripe_without_keys: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.simulated


def payment_safety(database: Database, settings: Settings) -> PaymentSafety:
    """Which active communes cannot take real payments with this configuration."""
    with database.session() as session:
        structures = session.exec(
            select(Structure)
            .where(Structure.active == True)  # noqa: E712  (SQL: a column compared with TRUE, not a Python truth test)
            .order_by(Structure.slug)
        ).all()
        simulated = [s.slug for s in structures if s.payment_provider == "simulated"]
        stripe = [
            s.slug for s in structures if s.payment_provider == "stripe" and not payment_availability(s, settings).ok
        ]
    refused = simulated if settings.production and not settings.allow_simulated_bank else []
    return PaymentSafety(refused, stripe)


def refusal_message(safety: PaymentSafety) -> str:
    return (
        "Refusing to start: this is a production deployment (CANTINE_ENV=production or an https:// "
        "CANTINE_BASE_URL) and these communes would take payments through the simulated bank, which "
        f"marks baskets paid with no money moved: {', '.join(safety.simulated)}. Switch them to Stripe "
        "(back office, Paramètres) and set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or, on a "
        f"staging server only, set {STAGING_FLAG}=1."
    )


def check_payment_safety(settings: Settings, database: Database | None = None) -> None:
    """Raise ``UnsafeDeployment`` (after logging it) when the portal must not start; log warnings
    for what is allowed but worth knowing. Outside production nothing is read (no database is
    opened: the app module runs this at import). ``database``: a test's; otherwise a plain
    handle of ``DATABASE_URL`` is opened and closed here (no write process forked at import)."""
    if not settings.production:
        return
    own = database is None
    handle = Database(settings.database_url) if database is None else database
    try:
        safety = payment_safety(handle, settings)
    except SQLAlchemyError as error:  # cannot verify: do not start blind
        message = (
            f"Refusing to start: cannot check the communes' payment providers ({type(error).__name__}: "
            f"{error}). Is the database reachable and migrated (alembic upgrade head)?"
        )
        log.critical(message)
        raise UnsafeDeployment(message) from error
    finally:
        if own:
            handle.dispose()
    if not safety.ok:
        log.critical(refusal_message(safety))
        raise UnsafeDeployment(refusal_message(safety))
    if settings.allow_simulated_bank:
        log.warning(
            "%s=1: the simulated bank is enabled on a production-like deployment. Staging only: "
            "it marks baskets paid with no money moved.",
            STAGING_FLAG,
        )
    if safety.stripe_without_keys:
        log.warning(
            "Communes on Stripe without STRIPE_SECRET_KEY/STRIPE_WEBHOOK_SECRET cannot take payments "
            "(their parents are told online payment is unavailable): %s",
            ", ".join(safety.stripe_without_keys),
        )
