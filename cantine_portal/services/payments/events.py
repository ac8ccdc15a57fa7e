"""Provider notifications, parsed into one ``ProviderEvent`` shape whatever the provider."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderEvent:
    provider: str
    event_id: str
    # "succeeded" | "failed" | "expired" | "cancelled" | "ignored"
    kind: str
    session_id: str | None
    amount_cents: int | None = None
    currency: str | None = None
    provider_payment_id: str | None = None
    raw: str = ""
    event_type: str = ""


SIMULATED_KINDS = {"payment.succeeded": "succeeded", "payment.failed": "failed", "payment.cancelled": "cancelled"}


def parse_simulated(payload: bytes) -> ProviderEvent:
    data = json.loads(payload)
    return ProviderEvent(
        "simulated",
        str(data["id"]),
        SIMULATED_KINDS.get(data["type"], "ignored"),
        data.get("session_id"),
        data.get("amount"),
        data.get("currency"),
        data.get("payment_id"),
        payload.decode(),
        data["type"],
    )


def parse_stripe(payload: bytes) -> ProviderEvent:
    data = json.loads(payload)
    obj = data.get("data", {}).get("object", {})
    event_type = data.get("type", "")
    kind = {
        "checkout.session.async_payment_succeeded": "succeeded",
        "checkout.session.async_payment_failed": "failed",
        "checkout.session.expired": "expired",
    }.get(event_type, "ignored")
    if event_type == "checkout.session.completed":
        # "unpaid" means a delayed method (e.g. SEPA): wait for async_payment_succeeded/failed.
        kind = "succeeded" if obj.get("payment_status") in ("paid", "no_payment_required") else "ignored"
    return ProviderEvent(
        "stripe",
        str(data.get("id")),
        kind,
        obj.get("id"),
        obj.get("amount_total"),
        obj.get("currency"),
        obj.get("payment_intent"),
        payload.decode(),
        event_type,
    )
