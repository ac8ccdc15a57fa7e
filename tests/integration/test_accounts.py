"""Accounts: login, throttling, password links and sessions, with an injected clock."""

from __future__ import annotations

import email
import socket
import time
from datetime import timedelta
from email import policy

import pytest
from sqlmodel import select

from cantine_portal.config import Settings, SmtpSettings
from cantine_portal.infra.mail import Mail, Mailer
from cantine_portal.models import AuditLog, LoginSession, PasswordToken, Structure
from cantine_portal.services.accounts import login as accounts
from cantine_portal.services.accounts import password_links as password_links
from cantine_portal.services.accounts import sessions as login_sessions
from cantine_portal.services.accounts import throttle
from cantine_portal.services.demo import BERNARD_EMAIL, DURAND_EMAIL, MARTIN_EMAIL, MARTIN_PASSWORD

IDLE = timedelta(minutes=30)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env({"CANTINE_VAR_DIR": str(tmp_path / "var"), "CANTINE_SECRET_KEY": "x" * 48})


@pytest.fixture
def mailer(settings) -> Mailer:
    return Mailer(settings)


def structure(session, slug: str) -> Structure:
    return session.exec(select(Structure).where(Structure.slug == slug)).one()


def mails(settings) -> list[email.message.EmailMessage]:
    paths = sorted(settings.mail_dir.glob("*.eml")) if settings.mail_dir.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]


def link_token(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return text.split("jeton=", 1)[1].split()[0]


def ask_link(database, now, mailer, slug="demo", address=DURAND_EMAIL, ip="10.0.0.1"):
    with database.write_session() as s:
        return password_links.request_password_link(
            s, now, structure(s, slug), address, mailer, "http://portail.test", ip
        )


# --- login ---------------------------------------------------------------------------------


def test_login_with_right_password_and_case_insensitive_identifier(demo_session, database, now):
    with database.write_session() as s:
        result = accounts.authenticate(s, now, structure(s, "demo"), "  Famille.Martin@Example.fr ", MARTIN_PASSWORD)
    assert result.ok and result.account.email == MARTIN_EMAIL


@pytest.mark.parametrize(
    "address,password",
    [
        (MARTIN_EMAIL, "Mauvais-mot-de-passe-1"),
        ("personne@example.fr", MARTIN_PASSWORD),
        (DURAND_EMAIL, ""),  # account without a password yet
    ],
)
def test_wrong_credentials_get_one_generic_message(demo_session, database, now, address, password):
    with database.write_session() as s:
        result = accounts.authenticate(s, now, structure(s, "demo"), address, password)
    assert not result.ok
    assert result.message == "Identifiant ou mot de passe incorrect."


def test_account_of_one_commune_cannot_log_in_to_another(demo_session, database, now):
    with database.write_session() as s:
        result = accounts.authenticate(s, now, structure(s, "autreville"), MARTIN_EMAIL, MARTIN_PASSWORD)
    assert not result.ok


def test_password_checked_before_the_write_transaction_and_trusted_only_for_that_hash(demo_session, database, now):
    """The argon2 check runs before the login's write transaction (SQLite's write lock is not held
    during it); its verdict counts only if the hash did not change in between."""
    with database.session() as s:
        demo_id = structure(s, "demo").id
        verified = accounts.verify_before_login(s, now, demo_id, MARTIN_EMAIL, MARTIN_PASSWORD)
    assert verified.valid
    with database.write_session() as s:
        assert accounts.authenticate(s, now, structure(s, "demo"), MARTIN_EMAIL, MARTIN_PASSWORD, verified=verified).ok
    # A verdict obtained against another hash (the password changed meanwhile) is checked again.
    stale = accounts.VerifiedPassword("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$ZmFrZQ", True)
    with database.write_session() as s:
        assert not accounts.authenticate(
            s, now, structure(s, "demo"), MARTIN_EMAIL, "Mauvais-mot-de-passe-1", verified=stale
        ).ok
    # Throttled: no argon2 check is spent at all.
    with database.write_session() as s:
        for _ in range(30):
            accounts.authenticate(s, now, structure(s, "demo"), MARTIN_EMAIL, "Mauvais-mot-de-passe-1")
    with database.session() as s:
        assert accounts.verify_before_login(s, now, demo_id, MARTIN_EMAIL, MARTIN_PASSWORD) is None


def test_login_audit_never_contains_the_password(demo_session, database, now):
    with database.write_session() as s:
        accounts.authenticate(s, now, structure(s, "demo"), MARTIN_EMAIL, "Secret-Tape-1234!")
        accounts.authenticate(s, now, structure(s, "demo"), MARTIN_EMAIL, MARTIN_PASSWORD)
    with database.session() as s:
        entries = s.exec(select(AuditLog)).all()
    assert [e.action for e in entries] == ["login.failure", "login.success"]
    assert all("Secret-Tape" not in (e.details + e.target) and MARTIN_PASSWORD not in e.details for e in entries)


# --- throttling ----------------------------------------------------------------------------


def fail(database, now, address=MARTIN_EMAIL, ip="10.0.0.9"):
    with database.write_session() as s:
        return accounts.authenticate(s, now, structure(s, "demo"), address, "Mauvais-mot-de-passe-1", ip)


def test_five_failures_then_a_growing_delay(demo_session, database, now):
    for i in range(5):
        assert fail(database, now + timedelta(seconds=i)).message == accounts.MSG_BAD_CREDENTIALS
    blocked = fail(database, now + timedelta(seconds=10))
    assert blocked.retry_at == now + timedelta(seconds=4) + timedelta(minutes=1)
    assert "réessayez à partir de 10h01" in blocked.message
    # Even the right password is not checked while blocked.
    with database.write_session() as s:
        assert not accounts.authenticate(
            s, now + timedelta(seconds=30), structure(s, "demo"), MARTIN_EMAIL, MARTIN_PASSWORD, "10.0.0.9"
        ).ok
    # After the delay, one more failure doubles it.
    later = now + timedelta(minutes=2)
    assert fail(database, later).message == accounts.MSG_BAD_CREDENTIALS
    assert fail(database, later + timedelta(seconds=1)).retry_at == later + timedelta(minutes=2)


def test_success_after_the_delay_clears_the_failures(demo_session, database, now):
    for i in range(5):
        fail(database, now + timedelta(seconds=i))
    with database.write_session() as s:
        ok = accounts.authenticate(
            s, now + timedelta(minutes=2), structure(s, "demo"), MARTIN_EMAIL, MARTIN_PASSWORD, "10.0.0.9"
        )
    assert ok.ok
    assert fail(database, now + timedelta(minutes=3)).message == accounts.MSG_BAD_CREDENTIALS


def test_at_most_25_failures_a_day_per_account(demo_session, database, now):
    moment = now
    for _ in range(25):
        verdict_ok = fail(database, moment)
        if verdict_ok.retry_at:
            moment = verdict_ok.retry_at
            fail(database, moment)
        moment += timedelta(seconds=1)
    with database.session() as s:
        verdict = throttle.check_login(
            s, structure(s, "demo").id, MARTIN_EMAIL, "10.0.0.9", moment + timedelta(hours=2)
        )
    assert not verdict.allowed
    assert verdict.retry_at >= now + timedelta(hours=24)


def test_per_address_limit_covers_many_accounts(demo_session, database, now):
    for i in range(throttle.IP_FAILURES_PER_HOUR):
        fail(database, now + timedelta(seconds=i), address=f"inconnu{i}@example.fr", ip="192.0.2.7")
    blocked = fail(database, now + timedelta(minutes=2), address="autre@example.fr", ip="192.0.2.7")
    assert blocked.retry_at is not None
    other_ip = fail(database, now + timedelta(minutes=2), address="autre@example.fr", ip="192.0.2.8")
    assert other_ip.retry_at is None


def test_link_requests_are_limited(demo_session, database, now, mailer):
    for i in range(throttle.LINKS_PER_ACCOUNT_PER_HOUR):
        assert ask_link(database, now + timedelta(minutes=i), mailer).sent
    refused = ask_link(database, now + timedelta(minutes=10), mailer)
    assert not refused.sent and "Réessayez à partir de" in refused.message
    assert ask_link(database, now + timedelta(hours=1, minutes=1), mailer).sent


# --- links and password creation ---------------------------------------------------------


def test_link_mail_same_answer_for_unknown_address(demo_session, database, now, mailer, settings):
    known = ask_link(database, now, mailer)
    unknown = ask_link(database, now, mailer, address="personne@example.fr")
    assert known.message == unknown.message == password_links.MSG_LINK_SENT
    sent = mails(settings)
    assert len(sent) == 1 and sent[0]["To"] == DURAND_EMAIL
    assert "Ville de Démo" in sent[0]["Subject"]
    html = sent[0].get_body(preferencelist=("html",)).get_content()
    token = link_token(sent[0])
    assert "Créer le mot de passe" in html and token in html
    assert len(token) >= 43  # 256 bits, URL-safe base64
    with database.session() as s:
        stored = s.exec(select(PasswordToken)).one()
    assert stored.token_hash != token and token not in stored.token_hash


def test_token_valid_24_hours(demo_session, database, now, mailer, settings):
    ask_link(database, now, mailer)
    token = link_token(mails(settings)[-1])
    with database.session() as s:
        demo = structure(s, "demo")
        assert password_links.valid_token(s, now + timedelta(hours=23, minutes=59), demo, token) is not None
        assert password_links.valid_token(s, now + timedelta(hours=24, minutes=1), demo, token) is None
        assert password_links.valid_token(s, now, structure(s, "autreville"), token) is None
        assert password_links.valid_token(s, now, demo, token + "x") is None


def test_token_single_use_and_revoked_by_newer(demo_session, database, now, mailer, settings):
    ask_link(database, now, mailer)
    first = link_token(mails(settings)[-1])
    ask_link(database, now + timedelta(minutes=5), mailer)
    second = link_token(mails(settings)[-1])
    with database.write_session() as s:
        demo = structure(s, "demo")
        revoked = password_links.set_password_with_token(s, now, demo, first, "Un-Nouveau-Mot-2026", mailer)
        assert not revoked.ok and revoked.message == password_links.MSG_LINK_INVALID
        assert password_links.set_password_with_token(s, now, demo, second, "Un-Nouveau-Mot-2026", mailer).ok
    with database.write_session() as s:
        again = password_links.set_password_with_token(
            s, now, structure(s, "demo"), second, "Encore-Autre-2026!", mailer
        )
    assert not again.ok
    with database.write_session() as s:
        assert accounts.authenticate(s, now, structure(s, "demo"), DURAND_EMAIL, "Un-Nouveau-Mot-2026").ok
    confirmation = mails(settings)[-1]
    assert "a été créé" in confirmation["Subject"] and confirmation["To"] == DURAND_EMAIL


def test_weak_password_refused_with_reason_and_token_kept(demo_session, database, now, mailer, settings):
    ask_link(database, now, mailer)
    token = link_token(mails(settings)[-1])
    with database.write_session() as s:
        result = password_links.set_password_with_token(s, now, structure(s, "demo"), token, "azerty123", mailer)
    assert not result.ok and result.check is not None and result.message
    with database.session() as s:
        assert password_links.valid_token(s, now, structure(s, "demo"), token) is not None


def test_new_password_ends_every_session(demo_session, database, now, mailer, settings):
    with database.write_session() as s:
        martin = accounts.account_by_email(s, structure(s, "demo").id, MARTIN_EMAIL)
        phone_token = login_sessions.open_session(s, now, martin)
        laptop_token = login_sessions.open_session(s, now, martin)
    ask_link(database, now, mailer, address=MARTIN_EMAIL)
    with database.write_session() as s:
        assert password_links.set_password_with_token(
            s, now, structure(s, "demo"), link_token(mails(settings)[-1]), "Changement-Secu-2026", mailer
        ).ok
    with database.session() as s:
        demo_id = structure(s, "demo").id
        assert login_sessions.resolve_session(s, now, demo_id, phone_token, IDLE) is None
        assert login_sessions.resolve_session(s, now, demo_id, laptop_token, IDLE) is None
        audit = [e.action for e in s.exec(select(AuditLog)).all()]
    assert "password.changed" in audit


# --- sessions ------------------------------------------------------------------------------


def test_session_expires_after_inactivity_and_at_logout(demo_session, database, now):
    with database.write_session() as s:
        martin = accounts.account_by_email(s, structure(s, "demo").id, MARTIN_EMAIL)
        token = login_sessions.open_session(s, now, martin)
    with database.session() as s:
        demo_id = structure(s, "demo").id
        # Activity keeps it alive: each check within 30 minutes moves the window.
        assert login_sessions.resolve_session(s, now + timedelta(minutes=29), demo_id, token, IDLE) is not None
        assert login_sessions.resolve_session(s, now + timedelta(minutes=58), demo_id, token, IDLE) is not None
        assert login_sessions.resolve_session(s, now + timedelta(minutes=89), demo_id, token, IDLE) is None
    with database.write_session() as s:
        token2 = login_sessions.open_session(s, now, martin)
        login_sessions.close_session(s, now, token2)
    with database.session() as s:
        assert login_sessions.resolve_session(s, now, demo_id, token2, IDLE) is None
        stored = s.exec(select(LoginSession)).all()
    assert all(row.token_hash not in (token, token2) for row in stored)


def test_session_of_one_commune_is_refused_in_another(demo_session, database, now):
    with database.write_session() as s:
        martin = accounts.account_by_email(s, structure(s, "demo").id, MARTIN_EMAIL)
        token = login_sessions.open_session(s, now, martin)
    with database.session() as s:
        assert login_sessions.resolve_session(s, now, structure(s, "autreville").id, token, IDLE) is None
        info = login_sessions.resolve_session(s, now, structure(s, "demo").id, token, IDLE)
    assert info.family_id == martin.family_id and info.role == "parent"


def test_deactivated_account_loses_its_session(demo_session, database, now):
    with database.write_session() as s:
        bernard = accounts.account_by_email(s, structure(s, "autreville").id, BERNARD_EMAIL)
        token = login_sessions.open_session(s, now, bernard)
        bernard.active = False
        s.add(bernard)
    with database.session() as s:
        assert login_sessions.resolve_session(s, now, structure(s, "autreville").id, token, IDLE) is None


# --- mail over SMTP ------------------------------------------------------------------------


def test_mail_goes_through_a_real_smtp_server(settings, now):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp_settings = settings.with_overrides(smtp=SmtpSettings("127.0.0.1", port, None, None, "none"))
        Mailer(smtp_settings).send(
            Mail(
                to="parent@example.fr",
                subject="Ville de Démo — essai",
                text="Créer le mot de passe : http://x",
                html="<p>é</p>",
            ),
            now,
        )
        for _ in range(50):
            if received:
                break
            time.sleep(0.05)
    finally:
        controller.stop()
    assert len(received) == 1
    assert received[0]["To"] == "parent@example.fr"
    assert not (settings.mail_dir.exists() and any(settings.mail_dir.iterdir()))


def test_accented_subject_survives_encoding(settings, now):
    Mailer(settings).send(
        Mail(
            to="parent@example.fr", subject="Ville de Démo — Votre mot de passe a été créé", text="é", html="<p>é</p>"
        ),
        now,
    )
    assert mails(settings)[0]["Subject"] == "Ville de Démo — Votre mot de passe a été créé"


def test_websocket_handlers_read_the_session_and_leave_the_touch_for_later(demo_session, database, now):
    """touch=False never writes (no write lock on the event loop); touch_session does it later."""
    with database.write_session() as s:
        martin = accounts.account_by_email(s, structure(s, "demo").id, MARTIN_EMAIL)
        token = login_sessions.open_session(s, now, martin)
    later = now + timedelta(minutes=20)
    with database.session() as s:
        demo_id = structure(s, "demo").id
        info = login_sessions.resolve_session(s, later, demo_id, token, IDLE, touch=False)
        assert info is not None and info.needs_touch and info.login_id is not None
        assert not s.in_transaction() or not s.dirty
    # Not touched: 20 more minutes of silence would end it.
    with database.session() as s:
        assert login_sessions.resolve_session(s, now + timedelta(minutes=31), demo_id, token, IDLE, touch=False) is None
    with database.write_session() as s:
        login_sessions.touch_session(s, info.login_id, later)
        login_sessions.touch_session(s, info.login_id, now)  # never moves the clock backwards
    with database.session() as s:
        assert (
            login_sessions.resolve_session(s, now + timedelta(minutes=31), demo_id, token, IDLE, touch=False)
            is not None
        )
        fresh = login_sessions.resolve_session(s, later + timedelta(seconds=30), demo_id, token, IDLE, touch=False)
        assert fresh is not None and not fresh.needs_touch  # touched less than a minute ago
