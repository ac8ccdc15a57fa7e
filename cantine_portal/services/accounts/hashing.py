"""Password hashing (argon2id through libpass, imported as ``passlib``) and token digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from passlib.context import CryptContext

_context = CryptContext(schemes=["argon2"], argon2__type="ID", deprecated="auto")

# A hash of a random password: verifying against it when an e-mail is unknown costs the
# same time as a real check, so response time does not tell whether an account exists.
_DUMMY_HASH = _context.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    hashed: str = _context.hash(password)  # passlib is untyped
    return hashed


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _context.verify(password, _DUMMY_HASH)
        return False
    try:
        valid: bool = _context.verify(password, password_hash)  # passlib is untyped
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
