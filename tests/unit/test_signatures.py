"""The bank's notification signatures, checked without a database or network."""

from __future__ import annotations

from datetime import timedelta

import stripe

from cantine_portal.services.payments import payments
from tests.conftest import NOW

SECRET = "whsec_test_secret"


# --- signatures ----------------------------------------------------------------------------

def test_signature_valid_invalid_and_too_old():
    body = b'{"id": "evt_1"}'
    header = payments.signature_header(SECRET, body, NOW)
    assert payments.verify_signature(SECRET, body, header, NOW + timedelta(seconds=30))
    assert not payments.verify_signature(SECRET, body + b" ", header, NOW)
    assert not payments.verify_signature("whsec_other", body, header, NOW)
    assert not payments.verify_signature(SECRET, body, header, NOW + timedelta(minutes=6))
    assert not payments.verify_signature(SECRET, body, None, NOW)
    assert not payments.verify_signature(SECRET, body, "t=abc,v1=00", NOW)


def test_our_signature_matches_stripe_libraries_scheme():
    body = b'{"id": "evt_1", "type": "checkout.session.completed"}'
    header = payments.signature_header(SECRET, body, NOW)
    timestamp = header.split(",")[0][2:]
    expected = stripe.WebhookSignature._compute_signature(f"{timestamp}.{body.decode()}", SECRET)
    assert header.endswith(expected)
