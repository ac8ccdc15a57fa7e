"""Guide section 2 rules that need no database: field validation and the state's tab indexes."""

from __future__ import annotations

import pytest

from cantine_portal.services.families import guardians as guardian_rules
from cantine_portal.services.shared.validation import (
    MSG_EMAIL,
    MSG_PHONE,
    MSG_POSTAL_CODE,
    email_error,
    format_phone,
    normalize_phone,
    postal_code_error,
)

# --- validation tables -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("06 12 34 56 78", "0612345678"),
        ("0612345678", "0612345678"),
        ("+33 6 12 34 56 78", "0612345678"),
        ("+33612345678", "0612345678"),
        ("0033 6 12 34 56 78", "0612345678"),
        ("06.12.34.56.78", "0612345678"),
        ("06-12-34-56-78", "0612345678"),
        (" 02 40 00 00 00 ", "0240000000"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_phone_accepted_and_normalised(raw, stored):
    assert normalize_phone(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "06 12 34 56",
        "061234567890",
        "6 12 34 56 78",
        "00 12 34 56 78",
        "+44 20 7946 0958",
        "06 12 AB 56 78",
        "+33 0 12 34 56 78",
        "+3361234567",
    ],
)
def test_phone_refused(raw):
    assert normalize_phone(raw) is None


def test_phone_displayed_in_pairs():
    assert format_phone("0612345678") == "06 12 34 56 78"
    assert format_phone("") == ""
    assert format_phone("12") == "12"


@pytest.mark.parametrize(
    "value, error",
    [
        ("claire.martin@example.fr", ""),
        ("A.B+tag@sous.domaine.fr", ""),
        ("", ""),
        ("claire", MSG_EMAIL),
        ("claire@", MSG_EMAIL),
        ("claire@example", MSG_EMAIL),
        ("a b@example.fr", MSG_EMAIL),
        ("a@@example.fr", MSG_EMAIL),
        ("a@.example.fr", MSG_EMAIL),
        ("a@example..fr", MSG_EMAIL),
    ],
)
def test_email_syntax(value, error):
    assert email_error(value) == error


@pytest.mark.parametrize(
    "value, error",
    [
        ("44000", ""),
        ("", ""),
        ("4400", MSG_POSTAL_CODE),
        ("440000", MSG_POSTAL_CODE),
        ("44 000", MSG_POSTAL_CODE),
        ("2A004", MSG_POSTAL_CODE),
    ],
)
def test_postal_code(value, error):
    assert postal_code_error(value) == error


def test_validate_guardian_reports_each_field_and_normalises():
    values = {
        "last_name": " ",
        "first_name": "Claire",
        "email": "pas-une-adresse",
        "mobile": "+33 7 11 22 33 44",
        "phone_home": "12",
        "postal_code": "440",
        "civility": "Dr",
    }
    clean, errors = guardian_rules.validate_guardian(values)
    assert set(errors) == {"last_name", "email", "phone_home", "postal_code", "civility"}
    assert errors["phone_home"] == MSG_PHONE
    assert clean["mobile"] == "0711223344"


@pytest.mark.parametrize(
    "value, size, expected",
    [
        (0, 2, 0),
        (1, 2, 1),
        ("1", 2, 1),
        (2, 2, None),
        (-1, 2, None),
        ("x", 2, None),
        (None, 2, None),
    ],
)
def test_state_maps_only_its_own_tab_indexes(value, size, expected):
    from cantine_portal.state.family import _tab_index

    assert _tab_index(value, size) == expected
