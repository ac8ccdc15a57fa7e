"""Settings: one typed object, read from environment variables.

Every knob of the portal lives here so that no module reads ``os.environ`` on its own.
The defaults need nothing installed (SQLite file, ``.eml`` files, simulated bank), so a
fresh clone runs with ``make run`` and nothing else.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Open event websockets per backend worker before new visitors get the "come back in a minute"
# page (0 = no limit). Sized from docs/performance.md: far above what one worker serves briskly
# at deadline time, well below where its event loop stalls.
DEFAULT_MAX_CONNECTIONS = 1000


class SettingsError(ValueError):
    """A variable has a value we cannot use; the message names it."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    tls: str  # "none" | "starttls" | "ssl"


@dataclass(frozen=True)
class Settings:
    """The whole configuration. See the table in README.md (keep both in step)."""

    var_dir: Path
    database_url: str
    mail_dir: Path
    mail_from: str
    smtp: SmtpSettings | None
    secret_key: str
    base_url: str
    session_minutes: int
    upload_max_bytes: int
    contact_hourly_limit: int
    stripe_secret_key: str | None
    stripe_webhook_secret: str | None
    storage_dir: Path
    max_connections: int = 0
    trusted_proxies: frozenset[str] = frozenset()
    write_process: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def stripe_enabled(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_webhook_secret)

    def with_overrides(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        var_dir = Path(env.get("CANTINE_VAR_DIR") or PROJECT_ROOT / "var").resolve()
        database_url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'cantine.db'}"
        smtp_host = env.get("CANTINE_SMTP_HOST")
        smtp = None
        if smtp_host:
            tls = _choice(env, "CANTINE_SMTP_TLS", "starttls", ("none", "starttls", "ssl"))
            smtp = SmtpSettings(
                host=smtp_host,
                port=_int(env, "CANTINE_SMTP_PORT", 465 if tls == "ssl" else 587, 1),
                user=env.get("CANTINE_SMTP_USER") or None,
                password=env.get("CANTINE_SMTP_PASSWORD") or None,
                tls=tls,
            )
        base_url = (env.get("CANTINE_BASE_URL") or "http://localhost:3000").rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise SettingsError(f"CANTINE_BASE_URL must start with http:// or https://, got {base_url!r}")
        return cls(
            var_dir=var_dir,
            database_url=database_url,
            mail_dir=Path(env.get("CANTINE_MAIL_DIR") or var_dir / "mail").resolve(),
            mail_from=env.get("CANTINE_MAIL_FROM") or "Portail famille <no-reply@cantine-portal.localhost>",
            smtp=smtp,
            secret_key=env.get("CANTINE_SECRET_KEY") or _local_secret(var_dir),
            base_url=base_url,
            session_minutes=_int(env, "CANTINE_SESSION_MINUTES", 30, 1),
            upload_max_bytes=_int(env, "CANTINE_UPLOAD_MAX_BYTES", 5 * 1024 * 1024, 1024),
            contact_hourly_limit=_int(env, "CANTINE_CONTACT_HOURLY_LIMIT", 10, 1),
            stripe_secret_key=env.get("STRIPE_SECRET_KEY") or None,
            stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or None,
            storage_dir=Path(env.get("CANTINE_STORAGE_DIR") or var_dir / "storage").resolve(),
            max_connections=_int(env, "CANTINE_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS, 0),
            trusted_proxies=frozenset(ip.strip() for ip in (env.get("CANTINE_TRUSTED_PROXIES") or "").split(",")
                                      if ip.strip()),
            write_process=(env.get("CANTINE_WRITE_PROCESS") or "1").strip() != "0",
        )


def _local_secret(var_dir: Path) -> str:
    """A per-installation secret kept in var/, so that a dev machine needs no setup.

    Production sets CANTINE_SECRET_KEY; several workers must share the same value.
    """
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        with open(path, "x") as fh:  # "x": two workers starting together keep one secret
            fh.write(value)
        path.chmod(0o600)
    except FileExistsError:
        return path.read_text().strip()
    return value


def cheap_password_hashing(env: Mapping[str, str] | None = None) -> bool:
    """Tests only: ``CANTINE_TEST_CHEAP_HASH=1`` (set by tests/conftest.py) makes argon2id almost free.

    Read apart from ``Settings`` because hashing has no settings object at hand. A test of fifty
    failed logins then takes milliseconds instead of a minute; never set it on a real portal.
    """
    env = os.environ if env is None else env
    return (env.get("CANTINE_TEST_CHEAP_HASH") or "0").strip() == "1"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
