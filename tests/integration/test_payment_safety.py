"""Production safety of payments: the availability rule, the startup refusal, the simulated bank
switched off in production, and what parents and staff are told (issue 19, item 3)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import reflex as rx
from sqlmodel import select

from cantine_portal import clock
from cantine_portal.config import Settings, SettingsError
from cantine_portal.infra.db import Database
from cantine_portal.models import Family, Payment, Receipt, Structure
from cantine_portal.services.backoffice import settings as admin_settings
from cantine_portal.services.demo import STAFF_EMAIL
from cantine_portal.services.payments import providers, signatures
from cantine_portal.services.shared import payment_availability as rule
from cantine_portal.state.offload import run_handler
from cantine_portal.usecases import startup
from tests.conftest import NOW, settings_for

HTTPS = {"CANTINE_BASE_URL": "https://portail.example.fr"}
STRIPE_KEYS = {"STRIPE_SECRET_KEY": "sk_test_123", "STRIPE_WEBHOOK_SECRET": "whsec_x"}


def _settings(tmp_path: Path, **env: str) -> Settings:
    return settings_for(tmp_path / "var", **env)


def _commune(provider: str) -> Structure:
    return Structure(slug="ville", name="Ville", payment_provider=provider)


def _set_provider(database: Database, slug: str, provider: str) -> None:
    with database.write_session() as s:
        s.exec(select(Structure).where(Structure.slug == slug)).one().payment_provider = provider


# --- the rule ------------------------------------------------------------------------------


def test_production_means_cantine_env_or_https(tmp_path):
    assert not _settings(tmp_path).production
    assert _settings(tmp_path, CANTINE_ENV="production").production
    assert _settings(tmp_path, **HTTPS).production
    assert _settings(tmp_path, CANTINE_ENV="production").simulated_bank_allowed is False
    assert _settings(tmp_path, CANTINE_ENV="production", CANTINE_ALLOW_SIMULATED_BANK="1").simulated_bank_allowed
    with pytest.raises(SettingsError, match="CANTINE_ENV"):
        _settings(tmp_path, CANTINE_ENV="prod")
    with pytest.raises(SettingsError, match="CANTINE_ALLOW_SIMULATED_BANK"):
        _settings(tmp_path, CANTINE_ALLOW_SIMULATED_BANK="maybe")


@pytest.mark.parametrize(
    "provider, env, ok, staff_words",
    [
        ("stripe", STRIPE_KEYS, True, ""),
        ("stripe", {}, False, "les clés Stripe ne sont pas configurées sur le serveur"),
        ("stripe", {"STRIPE_SECRET_KEY": "sk_test_123"}, False, "les clés Stripe ne sont pas configurées"),
        ("simulated", {}, True, "aucune somme n'est encaissée"),
        ("simulated", HTTPS, False, "désactivé sur ce serveur"),
        ("simulated", {"CANTINE_ENV": "production"}, False, "désactivé sur ce serveur"),
        ("simulated", {**HTTPS, "CANTINE_ALLOW_SIMULATED_BANK": "1"}, True, "aucune somme n'est encaissée"),
        ("paypal", STRIPE_KEYS, False, "n'est pas reconnu"),
    ],
)
def test_payment_availability(tmp_path, provider, env, ok, staff_words):
    availability = rule.payment_availability(_commune(provider), _settings(tmp_path, **env))
    assert availability.ok is ok
    assert staff_words in availability.staff_message
    if ok:
        assert availability.parent_message == ""
    else:
        assert availability.parent_message == (
            "Le paiement en ligne est momentanément indisponible. Vos réservations restent dans votre panier ; "
            "contactez la mairie ou réessayez plus tard."
        )


def test_provider_for_never_falls_back_to_the_simulated_bank(tmp_path):
    with pytest.raises(providers.PaymentUnavailable):
        providers.provider_for(_commune("stripe"), _settings(tmp_path), NOW)
    with pytest.raises(providers.PaymentUnavailable):
        providers.provider_for(_commune("simulated"), _settings(tmp_path, **HTTPS), NOW)
    assert isinstance(
        providers.provider_for(_commune("stripe"), _settings(tmp_path, **STRIPE_KEYS), NOW), providers.StripeCheckout
    )
    assert isinstance(providers.provider_for(_commune("simulated"), _settings(tmp_path), NOW), providers.SimulatedBank)


# --- startup -------------------------------------------------------------------------------


class _NoDatabase:
    def session(self):
        raise AssertionError("the database was opened outside production")


def test_startup_refuses_production_with_communes_on_the_simulated_bank(demo_session, database, tmp_path, caplog):
    with caplog.at_level(logging.CRITICAL, logger="cantine_portal.startup"):
        with pytest.raises(startup.UnsafeDeployment) as refused:
            startup.check_payment_safety(_settings(tmp_path, **HTTPS), database)
    message = str(refused.value)
    assert message.startswith("Refusing to start") and "autreville, demo" in message
    assert "CANTINE_ALLOW_SIMULATED_BANK=1" in message
    assert message in caplog.text  # logged in English, not only raised
    with pytest.raises(startup.UnsafeDeployment):
        startup.check_payment_safety(_settings(tmp_path, CANTINE_ENV="production"), database)


def test_startup_lists_only_the_communes_concerned_and_passes_once_they_use_stripe(
    demo_session, database, tmp_path, caplog
):
    _set_provider(database, "demo", "stripe")
    with pytest.raises(startup.UnsafeDeployment) as refused:
        startup.check_payment_safety(_settings(tmp_path, **HTTPS, **STRIPE_KEYS), database)
    assert "no money moved: autreville. Switch them" in str(refused.value)
    assert startup.payment_safety(database, _settings(tmp_path, **HTTPS, **STRIPE_KEYS)).simulated == ["autreville"]
    _set_provider(database, "autreville", "stripe")
    startup.check_payment_safety(_settings(tmp_path, **HTTPS, **STRIPE_KEYS), database)
    # Stripe chosen without its keys: allowed to start (parents are told payment is off), with a warning.
    with caplog.at_level(logging.WARNING, logger="cantine_portal.startup"):
        startup.check_payment_safety(_settings(tmp_path, **HTTPS), database)
    assert "autreville, demo" in caplog.text and "cannot take payments" in caplog.text


def test_startup_with_the_staging_flag_starts_with_a_warning(demo_session, database, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="cantine_portal.startup"):
        startup.check_payment_safety(_settings(tmp_path, **HTTPS, CANTINE_ALLOW_SIMULATED_BANK="1"), database)
    assert "Staging only" in caplog.text


def test_startup_outside_production_reads_nothing(tmp_path):
    startup.check_payment_safety(_settings(tmp_path), _NoDatabase())  # type: ignore[arg-type]  # a stand-in database that fails on use


def test_startup_refuses_when_it_cannot_check(tmp_path):
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables: not migrated
    with pytest.raises(startup.UnsafeDeployment, match="cannot check the communes' payment providers"):
        startup.check_payment_safety(_settings(tmp_path, **HTTPS), empty)
    empty.dispose()


def test_serve_and_check_command_exit_non_zero(demo_session, database, tmp_path, monkeypatch, capsys):
    from cantine_portal import __main__ as cli
    from cantine_portal import serve

    production = _settings(tmp_path, **HTTPS).with_overrides(database_url=database.url)
    monkeypatch.setattr("cantine_portal.config._active", production)

    def no_launch():
        raise AssertionError("Reflex was launched")

    monkeypatch.setattr(serve, "respawning_granian", no_launch)
    assert serve.main(["--port", "3999"]) == 2
    assert cli.main(["check"]) == 2
    assert "Refusing to start" in capsys.readouterr().err
    staging = production.with_overrides(allow_simulated_bank=True)
    monkeypatch.setattr("cantine_portal.config._active", staging)
    assert cli.main(["check"]) == 0 and "Startup checks passed." in capsys.readouterr().out


def test_demo_loader_refuses_cantine_env_production(tmp_path, monkeypatch, capsys):
    from cantine_portal import __main__ as cli

    monkeypatch.setattr("cantine_portal.config._active", _settings(tmp_path, CANTINE_ENV="production"))
    assert cli.main(["demo"]) == 2
    assert "--i-know-this-is-production" in capsys.readouterr().err


# --- the simulated bank switched off in production ----------------------------------------


def test_simulated_notification_route_refused_in_production(demo_session, database, tmp_path, monkeypatch):
    from starlette.testclient import TestClient

    from cantine_portal.api.routes import build_api

    production = _settings(tmp_path, **HTTPS)
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", production)
    body = providers.simulated_notification("payment.succeeded", "sim_anything", 385)
    header = signatures.signature_header(production.secret_key, body, clock.now())
    client = TestClient(build_api(), base_url="https://portail.example.fr")
    answer = client.post("/api/paiement/simule/notification", content=body, headers={"x-cantine-signature": header})
    assert answer.status_code == 403
    with database.session() as s:
        assert s.exec(select(Payment)).all() == [] and s.exec(select(Receipt)).all() == []


def test_simulated_bank_page_says_it_is_off_in_production(tmp_path, monkeypatch):
    import cantine_portal.cantine_portal  # noqa: F401  (registers the states)
    from cantine_portal.state.payment import BANK_DISABLED_MESSAGE, SimulatedBankState

    monkeypatch.setattr("cantine_portal.infra.db._active", _NoDatabase())
    monkeypatch.setattr("cantine_portal.config._active", _settings(tmp_path, **HTTPS))
    root = rx.State(_reflex_internal_init=True)
    bank = root.get_substate(SimulatedBankState.get_full_name().split(".")[1:])
    run_handler(bank.load_bank())
    assert bank.bank_status == "closed" and bank.error_message == BANK_DISABLED_MESSAGE
    assert run_handler(bank.pay()) is None


# --- what parents and staff see ------------------------------------------------------------


@pytest.fixture
def basket_state(database, tmp_path, monkeypatch):
    """The Réservations state of the Martin family, on a server without Stripe keys."""
    import cantine_portal.cantine_portal  # noqa: F401  (registers the states)
    from cantine_portal.services.demo import load_demo
    from cantine_portal.state.reservations import ReservationState

    monkeypatch.setattr("cantine_portal.services.demo._demo_hash", lambda password: "not-a-hash")
    with database.write_session() as s:
        load_demo(s, NOW)
    with database.session() as s:
        ids = (
            s.exec(select(Structure.id).where(Structure.slug == "demo")).one(),
            s.exec(select(Family.id).where(Family.name == "Martin")).one(),
        )
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", _settings(tmp_path))
    monkeypatch.setattr(clock, "now", lambda: NOW)

    def require_parent(self):
        self._structure_id, self._family_id, self._account_id, self.logged_in = ids[0], ids[1], 1, True
        return True

    monkeypatch.setattr(ReservationState, "_require_parent", require_parent)
    root = rx.State(_reflex_internal_init=True)
    st = root.get_substate(ReservationState.get_full_name().split(".")[1:])
    run_handler(st.load())
    ticks = st._ticks()
    first = next(c.key for t in st.tables for d in t.days for c in d.cells if c.editable)
    ticks.toggle(first)
    run_handler(st.validate())
    return st


def test_basket_says_payment_is_unavailable_and_payer_is_refused(basket_state, database):
    _set_provider(database, "demo", "stripe")  # chosen, but this server has no Stripe keys
    run_handler(basket_state.show_basket())
    assert basket_state.basket_visible and len(basket_state.basket_lines) == 1
    assert not basket_state.basket_payable
    assert basket_state.basket_note == rule.PARENT_UNAVAILABLE
    run_handler(basket_state.pay())  # a forged click is refused by the server too
    assert basket_state.error_message == rule.PARENT_UNAVAILABLE
    with database.session() as s:
        assert s.exec(select(Payment)).all() == []


def test_basket_offers_payer_when_the_provider_is_usable(basket_state):
    run_handler(basket_state.show_basket())
    assert basket_state.basket_payable
    assert basket_state.basket_note == "Vous allez être redirigé vers le prestataire bancaire de votre commune."


def _staff(database) -> tuple[int, int]:
    from cantine_portal.models import Account

    with database.session() as s:
        return (
            s.exec(select(Structure.id).where(Structure.slug == "demo")).one(),
            s.exec(select(Account.id).where(Account.email == STAFF_EMAIL)).one(),
        )


def test_parametres_show_why_payment_is_off(demo_session, database, tmp_path):
    structure_id, account_id = _staff(database)
    _set_provider(database, "demo", "stripe")
    with database.session() as s:
        status = admin_settings.payment_status(s, structure_id, account_id, _settings(tmp_path))
    assert not status.ok
    assert status.staff_message.startswith(
        "Paiement en ligne indisponible : les clés Stripe ne sont pas configurées sur le serveur"
    )
    with database.session() as s:
        assert admin_settings.payment_status(s, structure_id, account_id, _settings(tmp_path, **STRIPE_KEYS)).ok


def test_parametres_refuse_the_simulated_bank_in_production(demo_session, database, now):
    structure_id, account_id = _staff(database)
    _set_provider(database, "demo", "stripe")
    with database.session() as s:
        values = admin_settings.settings_values(s, structure_id, account_id)
    values["payment_provider"] = "simulated"
    with database.write_session() as s:
        result = admin_settings.save_settings(
            s, now, structure_id=structure_id, account_id=account_id, values=values, simulated_allowed=False
        )
    assert not result.ok and result.errors["payment_provider"] == admin_settings.MSG_SIMULATED_DISABLED
    with database.session() as s:
        assert s.get(Structure, structure_id).payment_provider == "stripe"


def test_parametres_use_case_carries_the_payment_notice(demo_session, database, tmp_path, now, monkeypatch):
    from cantine_portal.usecases.backoffice import settings as settings_cases
    from cantine_portal.usecases.backoffice.common import StaffActor

    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", _settings(tmp_path, **HTTPS))  # production, no keys
    actor = StaffActor(*_staff(database))
    page = settings_cases.settings_page(actor)
    assert not page.payment_ok and "désactivé sur ce serveur" in page.payment_notice  # demo is on "simulated"
    saved = settings_cases.save_settings(actor, now=now, values={**page.values, "payment_provider": "stripe"})
    assert saved.ok and not saved.payment_ok
    assert saved.payment_notice.startswith("Paiement en ligne indisponible : les clés Stripe ne sont pas configurées")
    back = settings_cases.save_settings(actor, now=now, values={**page.values, "payment_provider": "simulated"})
    assert not back.ok and back.errors["payment_provider"] == admin_settings.MSG_SIMULATED_DISABLED
