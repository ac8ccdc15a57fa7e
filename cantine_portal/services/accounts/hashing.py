"""Password hashing (argon2id through libpass, imported as ``passlib``) and token digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from passlib.context import CryptContext

from cantine_portal.config import cheap_password_hashing

# argon2id at 64 MiB, 3 passes, 4 lanes (libpass's defaults, written out so that a library
# upgrade cannot lower them unnoticed); tests/unit/test_hashing.py holds them to these values.
PRODUCTION_ARGON2 = {"memory_cost": 65536, "rounds": 3, "parallelism": 4}
# The smallest argon2id allows, for the test suite only (``CANTINE_TEST_CHEAP_HASH=1``).
CHEAP_ARGON2 = {"memory_cost": 8, "rounds": 1, "parallelism": 1}


def make_context(cheap: bool) -> CryptContext:
    params = CHEAP_ARGON2 if cheap else PRODUCTION_ARGON2
    return CryptContext(
        schemes=["argon2"],
        argon2__type="ID",
        deprecated="auto",
        **{f"argon2__{name}": value for name, value in params.items()},
    )


@lru_cache(maxsize=1)
def _context() -> CryptContext:
    """Built on first use, so that the environment chosen by the process is the one that counts."""
    return make_context(cheap_password_hashing())


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a random password: verifying against it when an e-mail is unknown costs the
    same time as a real check, so response time does not tell whether an account exists."""
    dummy: str = _context().hash(secrets.token_urlsafe(16))  # passlib is untyped
    return dummy


def hash_password(password: str) -> str:
    hashed: str = _context().hash(password)  # passlib is untyped
    return hashed


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _context().verify(password, _dummy_hash())
        return False
    try:
        valid: bool = _context().verify(password, password_hash)  # passlib is untyped
        return valid
    except (ValueError, TypeError):
        return False


def new_token() -> str:
    """A random URL-safe token of 256 bits."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What we store instead of a token: its SHA-256 (tokens are random, no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_matches(secret: str, message: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, message), signature)
