import pytest

from cantine_portal.config import Settings, SettingsError


def test_defaults_need_nothing_installed(tmp_path):
    settings = Settings.from_env({"CANTINE_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'cantine.db'}"
    assert settings.mail_dir == tmp_path / "mail"
    assert settings.smtp is None
    assert settings.session_minutes == 30
    assert settings.upload_max_bytes == 5 * 1024 * 1024
    assert not settings.stripe_enabled
    assert not settings.secure_cookies


def test_local_secret_is_created_once_and_kept(tmp_path):
    first = Settings.from_env({"CANTINE_VAR_DIR": str(tmp_path)}).secret_key
    second = Settings.from_env({"CANTINE_VAR_DIR": str(tmp_path)}).secret_key
    assert first == second and len(first) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_overrides(tmp_path):
    settings = Settings.from_env(
        {
            "CANTINE_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgresql+psycopg://u@db/cantine",
            "CANTINE_MAIL_DIR": str(tmp_path / "outbox"),
            "CANTINE_SMTP_HOST": "smtp.example.org",
            "CANTINE_SMTP_TLS": "ssl",
            "CANTINE_SECRET_KEY": "k" * 50,
            "CANTINE_BASE_URL": "https://portail.example.org/",
            "CANTINE_SESSION_MINUTES": "15",
            "STRIPE_SECRET_KEY": "sk_test_x",
            "STRIPE_WEBHOOK_SECRET": "whsec_x",
        }
    )
    assert settings.database_url.startswith("postgresql")
    assert settings.mail_dir == tmp_path / "outbox"
    assert settings.smtp is not None and settings.smtp.port == 465 and settings.smtp.tls == "ssl"
    assert settings.base_url == "https://portail.example.org"
    assert settings.secure_cookies
    assert settings.session_minutes == 15
    assert settings.stripe_enabled


@pytest.mark.parametrize(
    "name,value",
    [
        ("CANTINE_SESSION_MINUTES", "trente"),
        ("CANTINE_SESSION_MINUTES", "0"),
        ("CANTINE_SMTP_TLS", "maybe"),
        ("CANTINE_BASE_URL", "portail.example.org"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(tmp_path, name, value):
    env = {"CANTINE_VAR_DIR": str(tmp_path), "CANTINE_SMTP_HOST": "smtp.example.org", name: value}
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env)
