"""Signed notifications: one scheme for the simulated bank, the same as Stripe's webhooks."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from datetime import datetime, timedelta

SIGNATURE_TOLERANCE = timedelta(minutes=5)


def signature_header(secret: str, payload: bytes, now: datetime) -> str:
    timestamp = int(now.timestamp())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str, payload: bytes, header: str | None, now: datetime, tolerance: timedelta = SIGNATURE_TOLERANCE
) -> bool:
    """``t=…,v1=…`` over ``"{t}." + raw body`` with HMAC-SHA256, as Stripe signs webhooks.

    Checked against ``now`` (not the machine clock) so that "too old" is testable.
    """
    if not header or not secret:
        return False
    parts: dict[str, list[str]] = defaultdict(list)
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts[key].append(value)
    try:
        timestamp = int(parts["t"][0])
    except (IndexError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in parts["v1"])
