"""Settings: one typed object, read from environment variables.

Every knob of the portal lives here so that no module reads ``os.environ`` on its own.
The defaults need nothing installed (SQLite file, ``.eml`` files, simulated bank), so a
fresh clone runs with ``make run`` and nothing else.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = (env.get(name) or "0").strip().lower()
    if value not in ("0", "1", "true", "false", "yes", "no"):
        raise SettingsError(f"{name} must be 1 or 0, got {value!r}")
    return value in ("1", "true", "yes")


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
    # "production" (or an https:// base URL) forbids the simulated bank unless allow_simulated_bank.
    environment: str = "development"
    allow_simulated_bank: bool = False  # CANTINE_ALLOW_SIMULATED_BANK=1: staging only
    session_max_hours: int = 12
    extra_origins: tuple[str, ...] = ()
    # Task queue: huey on this Redis (the scale-out one) when set, else SQLite under var_dir.
    redis_url: str | None = None
    backup_days: int = 14  # nightly SQLite backups kept under var/backups/
    consumer_workers: int = 2
    # Systempay/PayZen shop secrets (the shop id is a commune setting): test and production keys.
    systempay_secret_test: str | None = None
    systempay_secret_production: str | None = None
    # Where the portal's source is published (AGPL §13, the footer's « Code source »); unset: the
    # portal hands out an archive of the files it runs from.
    source_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def queue_path(self) -> Path:
        """huey's SQLite storage (when no Redis is configured)."""
        return self.var_dir / "queue.db"

    @property
    def backup_dir(self) -> Path:
        return self.var_dir / "backups"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """Origins whose pages may talk to this portal (websocket, CORS): see docs/security.md."""
        return allowed_origins(self.base_url, self.extra_origins)

    @property
    def stripe_enabled(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_webhook_secret)

    @property
    def production(self) -> bool:
        """Real families may be on the other end: CANTINE_ENV=production, or any https:// address
        (a demo over https is still reachable by anyone, so it is treated the same way)."""
        return self.environment == "production" or self.base_url.startswith("https://")

    @property
    def simulated_bank_allowed(self) -> bool:
        """The simulated bank marks baskets paid with no money moved: never where real families pay,
        except on a staging server that says so (CANTINE_ALLOW_SIMULATED_BANK=1)."""
        return not self.production or self.allow_simulated_bank

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields replaced (tests, the CLI); values of any field type, hence Any."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
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
        base_url = _base_url(env)
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
            trusted_proxies=frozenset(
                ip.strip() for ip in (env.get("CANTINE_TRUSTED_PROXIES") or "").split(",") if ip.strip()
            ),
            write_process=(env.get("CANTINE_WRITE_PROCESS") or "1").strip() != "0",
            environment=_choice(env, "CANTINE_ENV", "development", ("development", "production")),
            allow_simulated_bank=_flag(env, "CANTINE_ALLOW_SIMULATED_BANK"),
            session_max_hours=_int(env, "CANTINE_SESSION_MAX_HOURS", 12, 1),
            extra_origins=_origins(env, "CANTINE_EXTRA_ORIGINS"),
            redis_url=env.get("REFLEX_REDIS_URL") or None,
            backup_days=_int(env, "CANTINE_BACKUP_DAYS", 14, 1),
            consumer_workers=_int(env, "CANTINE_CONSUMER_WORKERS", 2, 1),
            systempay_secret_test=env.get("SYSTEMPAY_SECRET_TEST") or None,
            systempay_secret_production=env.get("SYSTEMPAY_SECRET_PRODUCTION") or None,
            source_url=_source_url(env),
        )


def _source_url(env: Mapping[str, str]) -> str | None:
    url = (env.get("CANTINE_SOURCE_URL") or "").strip()
    if url and not url.startswith(("http://", "https://")):
        raise SettingsError(f"CANTINE_SOURCE_URL must start with http:// or https://, got {url!r}")
    return url or None


def _base_url(env: Mapping[str, str]) -> str:
    base_url = (env.get("CANTINE_BASE_URL") or "http://localhost:3000").rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise SettingsError(f"CANTINE_BASE_URL must start with http:// or https://, got {base_url!r}")
    return base_url


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, default ports dropped (as browsers send it)."""
    parsed = urlsplit(url.strip())
    scheme, host = parsed.scheme.lower(), (parsed.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parsed.port
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def _origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    values = [value.strip() for value in (env.get(name) or "").split(",") if value.strip()]
    for value in values:
        if not value.startswith(("http://", "https://")):
            raise SettingsError(f"{name} must list http:// or https:// origins, got {value!r}")
    return tuple(origin_of(value) for value in values)


def allowed_origins(base_url: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The portal's own origin, plus the configured extra ones.

    A local base URL (``localhost``) also admits ``127.0.0.1`` and ``[::1]`` on the same port:
    the same machine under another name, so that a developer typing either reaches a working page.
    """
    own = origin_of(base_url)
    found = [own]
    parsed = urlsplit(own)
    if parsed.hostname in ("localhost", "127.0.0.1", "::1"):
        port = f":{parsed.port}" if parsed.port else ""
        found += [f"{parsed.scheme}://{host}{port}" for host in ("localhost", "127.0.0.1", "[::1]")]
    found += list(extra)
    return tuple(dict.fromkeys(found))


def _local_secret(var_dir: Path) -> str:
    """A per-installation secret kept in var/, so that a dev machine needs no setup.

    Production sets CANTINE_SECRET_KEY; several workers must share the same value.
    """
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    private_dir(var_dir)
    value = secrets.token_urlsafe(48)
    try:
        # O_EXCL: two workers starting together keep one secret; 0600 from the first byte.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
        os.chmod(path, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    return value


def private_dir(path: Path) -> Path:
    """Create a folder readable by the portal's user only (0700), whatever the umask."""
    path.mkdir(parents=True, exist_ok=True)
    if path.stat().st_uid == os.getuid():  # a folder someone else owns is theirs to protect
        os.chmod(path, 0o700)
    return path


def origins_from_env(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The allowed origins, read without building the whole Settings (rxconfig.py needs them)."""
    env = os.environ if env is None else env
    return allowed_origins(_base_url(env), _origins(env, "CANTINE_EXTRA_ORIGINS"))


def cheap_password_hashing(env: Mapping[str, str] | None = None) -> bool:
    """Tests only: ``CANTINE_TEST_CHEAP_HASH=1`` (set by tests/conftest.py) makes argon2id almost free.

    Read apart from ``Settings`` because hashing has no settings object at hand. A test of fifty
    failed logins then takes milliseconds instead of a minute; never set it on a real portal.
    """
    env = os.environ if env is None else env
    return (env.get("CANTINE_TEST_CHEAP_HASH") or "0").strip() == "1"


# Tests put their own settings here (``use_settings``); otherwise they come from the environment.
_active: Settings | None = None


def use_settings(settings: Settings | None) -> None:
    """Make ``get_settings()`` return ``settings`` in this process (None: back to the environment's)."""
    global _active
    _active = settings


def get_settings() -> Settings:
    return _active if _active is not None else _settings_from_env()


@lru_cache(maxsize=1)
def _settings_from_env() -> Settings:
    return Settings.from_env()
