"""Passwords are stored as argon2id at full cost; only the test session makes it cheap."""

from __future__ import annotations

from cantine_portal.config import cheap_password_hashing
from cantine_portal.services.accounts import hashing


def test_production_hashes_are_argon2id_at_full_cost_and_only_tests_make_them_cheap():
    # A portal's environment never carries the test switch: the real parameters apply.
    assert not cheap_password_hashing({})
    assert not cheap_password_hashing({"CANTINE_TEST_CHEAP_HASH": "0"})
    assert hashing.PRODUCTION_ARGON2 == {"memory_cost": 65536, "rounds": 3, "parallelism": 4}
    stored = hashing.make_context(cheap=False).hash("Demo-Cantine-2026!")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hashing.make_context(cheap=False).verify("Demo-Cantine-2026!", stored)
    # This test session runs with tests/conftest.py's switch on; a production hash still verifies.
    assert cheap_password_hashing() and hashing.hash_password("x").startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert hashing.verify_password("Demo-Cantine-2026!", stored)
    assert not hashing.verify_password("demo-cantine-2026!", stored)


def test_unknown_account_still_costs_a_check_and_never_matches():
    assert not hashing.verify_password("n'importe quoi", None)
    assert not hashing.verify_password("n'importe quoi", "")
    assert not hashing.verify_password("x", "pas-un-hash")
