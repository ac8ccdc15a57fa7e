"""The bank's notification signatures, checked without a database or network."""

from __future__ import annotations

from datetime import timedelta

import stripe

from cantine_portal.services.payments import signatures
from tests.conftest import NOW

SECRET = "whsec_test_secret"


# --- signatures ----------------------------------------------------------------------------


def test_signature_valid_invalid_and_too_old():
    body = b'{"id": "evt_1"}'
    header = signatures.signature_header(SECRET, body, NOW)
    assert signatures.verify_signature(SECRET, body, header, NOW + timedelta(seconds=30))
    assert not signatures.verify_signature(SECRET, body + b" ", header, NOW)
    assert not signatures.verify_signature("whsec_other", body, header, NOW)
    assert not signatures.verify_signature(SECRET, body, header, NOW + timedelta(minutes=6))
    assert not signatures.verify_signature(SECRET, body, None, NOW)
    assert not signatures.verify_signature(SECRET, body, "t=abc,v1=00", NOW)


def test_our_signature_matches_stripe_libraries_scheme():
    body = b'{"id": "evt_1", "type": "checkout.session.completed"}'
    header = signatures.signature_header(SECRET, body, NOW)
    timestamp = header.split(",")[0][2:]
    expected = stripe.WebhookSignature._compute_signature(f"{timestamp}.{body.decode()}", SECRET)
    assert header.endswith(expected)
