"""Payment providers: where the parent pays the frozen basket.

- ``SimulatedBank`` (default, no network): the portal's own "bank" pages, which notify the portal
  through the same signed server-to-server path a real provider uses;
- ``StripeCheckout`` (when STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are set and the commune
  chose it): a Checkout Session, confirmed by Stripe's signed webhooks.

``payment_availability`` says whether a commune can take payments at all: its chosen provider
must be usable on this server. There is never a fallback from one provider to another (a commune
on Stripe whose keys are missing must not end up on the simulated bank, which moves no money).
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from datetime import datetime
from typing import Any

from cantine_portal.config import Settings
from cantine_portal.french import format_euros
from cantine_portal.models import Structure
from cantine_portal.services.booking.checkout import (
    CHECKOUT_LIFETIME,
    CheckoutSnapshot,
    PaymentProvider,
    ProviderRedirect,
)

# Re-exported: the rule lives in services/shared (the back office shows it too).
from cantine_portal.services.shared.payment_availability import Availability as Availability
from cantine_portal.services.shared.payment_availability import payment_availability as payment_availability

CURRENCY = "eur"


class PaymentUnavailable(RuntimeError):
    """``provider_for`` was asked for a provider the commune cannot use (check availability first)."""


class SimulatedBank:
    """The embedded bank: its pages live at /banque-simulee/{session id}."""

    name = "simulated"
    remote = False  # its pages are the portal's own: opening a session is a random id

    def __init__(self, now: datetime):
        self.now = now

    def start(self, snapshot: CheckoutSnapshot) -> ProviderRedirect:
        session_id = "sim_" + secrets.token_urlsafe(24)
        return ProviderRedirect(f"/banque-simulee/{session_id}", session_id, self.now + CHECKOUT_LIFETIME)


def simulated_notification(event_type: str, session_id: str, amount_cents: int, currency: str = CURRENCY) -> bytes:
    """The body the simulated bank posts to the portal (what a provider's webhook carries)."""
    return json.dumps(
        {
            "id": "evt_sim_" + secrets.token_urlsafe(16),
            "type": event_type,
            "session_id": session_id,
            "payment_id": "pay_sim_" + secrets.token_hex(8),
            "amount": amount_cents,
            "currency": currency,
        }
    ).encode()


class StripeCheckout:
    """Stripe Checkout through stripe-python's StripeClient."""

    name = "stripe"
    remote = True

    def __init__(self, settings: Settings, structure: Structure, now: datetime, client: Any = None):
        import stripe

        self.settings = settings
        self.structure = structure
        self.now = now
        self.client = client or stripe.StripeClient(settings.stripe_secret_key or "")

    def checkout_params(self, snapshot: CheckoutSnapshot) -> dict[str, Any]:
        base = f"{self.settings.base_url}/{self.structure.slug}"
        expires = self.now + CHECKOUT_LIFETIME
        return {
            "mode": "payment",
            "currency": CURRENCY,
            "line_items": stripe_line_items(snapshot),
            "client_reference_id": str(snapshot.payment_id),
            # Ids only: no names, no dates of children in the provider's records.
            "metadata": {
                "payment_id": str(snapshot.payment_id),
                "structure_id": str(snapshot.structure_id),
                "family_id": str(snapshot.family_id),
                "reference": snapshot.reference,
            },
            "success_url": f"{base}/paiement/retour?ref={snapshot.reference}",
            "cancel_url": f"{base}/paiement/retour?ref={snapshot.reference}&annule=1",
            "expires_at": int(expires.timestamp()),
            "locale": "fr",
        }

    def start(self, snapshot: CheckoutSnapshot) -> ProviderRedirect:
        params: Any = self.checkout_params(snapshot)  # a plain dict for stripe's SessionCreateParams TypedDict
        created = self.client.v1.checkout.sessions.create(
            params, options={"idempotency_key": f"checkout-{snapshot.reference}"}
        )
        return ProviderRedirect(str(created.url or ""), created.id, self.now + CHECKOUT_LIFETIME)


def stripe_line_items(snapshot: CheckoutSnapshot) -> list[dict[str, Any]]:
    """A line per child and service (quantity = days), split by unit price if it changed.

    Stripe has no negative line: when a credit is deducted, one line carries the total. The
    family's sum owed to the régie, paid with the days, is a line of its own.
    """
    if snapshot.credit_cents:
        return [
            {
                "quantity": 1,
                "price_data": {
                    "currency": CURRENCY,
                    "unit_amount": snapshot.amount_cents,
                    "product_data": {
                        "name": f"Réservations {snapshot.reference} "
                        f"(avoir de {format_euros(snapshot.credit_cents)} déduit)"
                    },
                },
            }
        ]
    grouped: dict[tuple[str, str, int], int] = defaultdict(int)
    for line in snapshot.lines:
        grouped[(line["child"], line["service"], line["price_cents"])] += 1
    owed = {
        "quantity": 1,
        "price_data": {
            "currency": CURRENCY,
            "unit_amount": snapshot.debt_cents,
            "product_data": {"name": "Somme due à la régie"},
        },
    }
    return ([owed] if snapshot.debt_cents else []) + [
        {
            "quantity": days,
            "price_data": {
                "currency": CURRENCY,
                "unit_amount": price,
                "product_data": {"name": f"{service} — {child}"},
            },
        }
        for (child, service, price), days in grouped.items()
    ]


def provider_for(structure: Structure, settings: Settings, now: datetime) -> PaymentProvider:
    """The commune's chosen provider. Raises ``PaymentUnavailable`` when it cannot be used here:
    never another provider in its place."""
    if not payment_availability(structure, settings).ok:
        raise PaymentUnavailable(f"{structure.slug}: payment provider {structure.payment_provider!r} unavailable")
    if structure.payment_provider == "stripe":
        return StripeCheckout(settings, structure, now)
    if structure.payment_provider in ("payfip", "systempay"):
        from cantine_portal.services.payments.eopayment_provider import EopaymentProvider

        return EopaymentProvider(structure.payment_provider, settings, structure, now)
    return SimulatedBank(now)
