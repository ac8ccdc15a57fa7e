"""PayFiP and Systempay through eopayment: recorded provider answers replayed, no network."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter
from sqlmodel import select

from cantine_portal.config import Settings
from cantine_portal.models import Credit, Payment, Receipt, Reservation, Structure
from cantine_portal.services.booking import checkout as booking_checkout
from cantine_portal.services.payments import fulfilment, providers
from cantine_portal.services.payments.eopayment_provider import EopaymentProvider, ProviderAnswerRefused
from cantine_portal.usecases import payments as payment_cases
from cantine_portal.usecases import payments_pending
from tests.integration.test_booking import MON, NOW, TUE, Demo, _load, apply, summary

FIXTURES = Path(__file__).parent.parent / "fixtures" / "payfip"
IDOP = "cc0cb210-1cd4-11ea-8cca-0213ad91a103"


class Recorded(BaseAdapter):
    """A requests adapter that answers each SOAP call with the next recorded body for it."""

    def __init__(self, answers: dict[str, list[tuple[str, dict[str, str]]]]):
        super().__init__()
        self.answers = answers
        self.sent: list[bytes] = []

    def send(self, request, **kwargs):
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        self.sent.append(body)
        operation = next(op for op in self.answers if op.encode() in body)
        name, replace = self.answers[operation].pop(0)
        text = (FIXTURES / name).read_text()
        for old, new in replace.items():
            text = text.replace(old, new)
        response = requests.Response()
        response.status_code = 500 if name.startswith("fault") else 200
        response._content = text.encode()
        response.headers["Content-Type"] = "text/xml; charset=utf-8"
        response.url, response.request = request.url, request
        return response

    def close(self):
        pass


def http(answers) -> tuple[requests.Session, Recorded]:
    adapter = Recorded(answers)
    session = requests.Session()
    session.mount("https://", adapter)
    return session, adapter


@pytest.fixture
def d(database, monkeypatch, demo_rows) -> Demo:
    demo = _load(database, monkeypatch)
    with demo.db.write_session() as s:
        structure = s.get(Structure, demo.structure)
        structure.payment_provider, structure.payfip_numcli, structure.payfip_mode = "payfip", "123456", "T"
        structure.systempay_site_id, structure.systempay_mode = "12345678", "TEST"
        s.add(structure)
    return demo


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env(
        {
            "CANTINE_VAR_DIR": str(tmp_path / "var"),
            "CANTINE_SECRET_KEY": "k" * 48,
            "SYSTEMPAY_SECRET_TEST": "testsecret123",
        }
    )


def structure(d: Demo) -> Structure:
    with d.db.session() as s:
        return s.get(Structure, d.structure)


def payfip_checkout(d: Demo, settings, session) -> tuple[EopaymentProvider, Payment]:
    assert apply(d, {(d.lea, d.canteen, MON), (d.lea, d.canteen, TUE)}).ok
    provider = EopaymentProvider("payfip", settings, structure(d), NOW, http=session)
    provider.payer_email = "famille.martin@example.fr"
    with d.db.write_session() as s:
        result = booking_checkout.begin_checkout(s, NOW, d.structure, d.martin, provider, summary(d).version)
    assert result.pending is not None  # PayFiP is called after the commit, never inside it
    opened = payment_cases.open_remote_session(d.db, provider, NOW, d.structure, d.martin, result)
    assert opened.redirect_url == f"https://www.payfip.gouv.fr/tpa/paiementws.web?idop={IDOP}"
    with d.db.session() as s:
        return provider, s.get(Payment, result.payment_id)


def answers_for(payment: Payment, *details: str) -> dict:
    values = {"AMOUNT": str(payment.amount_cents), "REFDET": payment.reference.replace("-", "")}
    return {
        "creerPaiementSecurise": [("creerPaiementSecurise.xml", {})],
        "recupererDetailPaiementSecurise": [(name, values) for name in details],
    }


def replay(d: Demo, settings, *details: str, amount: int | None = None):
    """A PayFiP checkout whose detail calls answer ``details`` in turn."""
    session, adapter = http(
        {"creerPaiementSecurise": [("creerPaiementSecurise.xml", {})], "recupererDetailPaiementSecurise": []}
    )
    provider, payment = payfip_checkout(d, settings, session)
    values = {
        "AMOUNT": str(payment.amount_cents if amount is None else amount),
        "REFDET": payment.reference.replace("-", ""),
    }
    adapter.answers["recupererDetailPaiementSecurise"] = [(name, values) for name in details]
    return provider, payment, adapter


def apply_answer(d: Demo, settings, provider: EopaymentProvider, body: str):
    event = provider.answer(body)
    with d.db.write_session() as s:
        return fulfilment.handle_event(s, NOW, settings, event)


def test_payfip_request_carries_the_regie_amount_and_reference(d, settings):
    _provider, payment, adapter = replay(d, settings)
    request = adapter.sent[0].decode()
    assert "<numcli>123456</numcli>" in request and "<saisie>T</saisie>" in request
    assert f"<montant>{payment.amount_cents}</montant>" in request
    assert f"<refdet>{payment.reference.replace('-', '')}</refdet>" in request
    assert "/api/paiement/payfip/demo/notification" in request
    assert payment.provider == "payfip" and payment.provider_session_id == IDOP


def test_payfip_notification_then_detail_call_pays_once(d, settings):
    provider, payment, adapter = replay(d, settings, "detail_paid.xml", "detail_paid.xml")
    result = apply_answer(d, settings, provider, f"idOp={IDOP}")
    assert result.outcome == "paid" and result.receipt_id is not None
    assert b"<idOp>" + IDOP.encode() in adapter.sent[-1]  # the verified answer is PayFiP's own detail
    again = apply_answer(d, settings, provider, f"idOp={IDOP}")  # PayFiP notifies twice
    assert again.outcome == "duplicate"
    with d.db.session() as s:
        assert len(s.exec(select(Receipt)).all()) == 1
        assert {r.status for r in s.exec(select(Reservation)).all()} == {"paid"}
        assert s.get(Payment, payment.id).provider_payment_id == "112233"


def test_payfip_cancelled_or_refused_reopens_the_basket(d, settings):
    provider, _payment, _ = replay(d, settings, "detail_cancelled.xml")
    assert apply_answer(d, settings, provider, f"idOp={IDOP}").outcome == "reopened"
    assert summary(d).status == "open"


def test_payfip_answer_for_another_regie_or_unknown_idop_is_refused(d, settings):
    provider, _payment, _ = replay(d, settings, "detail_other_regie.xml", "fault_P1.xml")
    with pytest.raises(ProviderAnswerRefused, match="autre régie"):
        provider.answer(f"idOp={IDOP}")
    with pytest.raises(ProviderAnswerRefused):
        provider.answer("idOp=forged")
    with pytest.raises(ProviderAnswerRefused):
        provider.answer("nothing=here")
    assert summary(d).status == "checkout"  # nothing applied


def test_payfip_wrong_amount_becomes_a_credit_never_a_paid_basket(d, settings):
    provider, payment, _ = replay(d, settings, "detail_paid.xml", amount=1)
    assert apply_answer(d, settings, provider, f"idOp={IDOP}").outcome == "anomaly"
    with d.db.session() as s:
        assert sum(c.amount_cents for c in s.exec(select(Credit)).all()) == 1
        assert not s.exec(select(Receipt)).all()


def test_check_pending_asks_payfip_later_and_settles(d, settings, monkeypatch):
    provider, payment, adapter = replay(d, settings, "fault_P5.xml", "detail_paid.xml")
    monkeypatch.setattr("cantine_portal.usecases.payments_pending.get_settings", lambda: settings)
    monkeypatch.setattr("cantine_portal.usecases.payments.get_settings", lambda: settings)
    monkeypatch.setattr("cantine_portal.usecases.payments_pending.get_database", lambda: d.db)
    monkeypatch.setattr("cantine_portal.usecases.payments.get_database", lambda: d.db)
    session = requests.Session()
    session.mount("https://", adapter)
    early = payments_pending.check_pending_payments(NOW + timedelta(minutes=10), http=session)
    assert (early.asked, early.settled) == (1, 0)  # P5 within two hours: still under way
    later = payments_pending.check_pending_payments(NOW + timedelta(minutes=20), http=session)
    assert (later.asked, later.settled) == (1, 1)
    with d.db.session() as s:
        assert s.get(Payment, payment.id).status == "succeeded"
        assert len(s.exec(select(Receipt)).all()) == 1


def test_check_pending_expires_an_idop_never_paid(d, settings, monkeypatch):
    provider, payment, adapter = replay(d, settings, "fault_P5.xml")
    for module in ("payments_pending", "payments"):
        monkeypatch.setattr(f"cantine_portal.usecases.{module}.get_settings", lambda: settings)
        monkeypatch.setattr(f"cantine_portal.usecases.{module}.get_database", lambda: d.db)
    session = requests.Session()
    session.mount("https://", adapter)
    report = payments_pending.check_pending_payments(NOW + timedelta(hours=3), http=session)
    assert report.settled == 1
    with d.db.session() as s:
        assert s.get(Payment, payment.id).status == "expired"
    assert summary(d, now=NOW + timedelta(hours=3)).status == "open"


# --- PayFiP / Systempay settings and the production-safety rule --------------------------------


@pytest.mark.parametrize(
    "numcli, mode, env, ok",
    [
        ("123456", "W", {"CANTINE_ENV": "production"}, True),
        ("123456", "X", {"CANTINE_ENV": "production"}, True),
        ("123456", "T", {"CANTINE_ENV": "production"}, False),  # test mode moves no money
        ("123456", "T", {}, True),
        ("12345", "W", {}, False),
        ("", "W", {}, False),
    ],
)
def test_payfip_availability(numcli, mode, env, ok, tmp_path):
    s = Structure(slug="x", name="X", payment_provider="payfip", payfip_numcli=numcli, payfip_mode=mode)
    settings = Settings.from_env({"CANTINE_VAR_DIR": str(tmp_path), "CANTINE_SECRET_KEY": "k" * 48, **env})
    assert providers.payment_availability(s, settings).ok is ok


def test_systempay_without_its_server_secret_cannot_take_payments(tmp_path):
    s = Structure(
        slug="x", name="X", payment_provider="systempay", systempay_site_id="12345678", systempay_mode="PRODUCTION"
    )
    bare = Settings.from_env({"CANTINE_VAR_DIR": str(tmp_path), "CANTINE_SECRET_KEY": "k" * 48})
    assert not providers.payment_availability(s, bare).ok
    keyed = bare.with_overrides(systempay_secret_production="prodsecret")
    assert providers.payment_availability(s, keyed).ok


# --- Systempay: the signed-form backend through the same adapter -------------------------------


def _sign(fields: dict[str, str], secret: str) -> str:
    """Systempay's HMAC-SHA-256 signature, computed here independently of eopayment."""
    data = "+".join(fields[k] for k in sorted(k for k in fields if k.startswith("vads_"))) + "+" + secret
    return base64.b64encode(hmac.new(secret.encode(), data.encode(), hashlib.sha256).digest()).decode()


def systempay_checkout(d: Demo, settings) -> tuple[EopaymentProvider, Payment, dict[str, str]]:
    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    provider = EopaymentProvider("systempay", settings, structure(d), NOW)
    with d.db.write_session() as s:
        result = booking_checkout.begin_checkout(s, NOW, d.structure, d.martin, provider, summary(d).version)
    opened = payment_cases.open_remote_session(d.db, provider, NOW, d.structure, d.martin, result)
    fields = dict(parse_qsl(urlsplit(opened.redirect_url).query, keep_blank_values=True))
    with d.db.session() as s:
        return provider, s.get(Payment, result.payment_id), fields


def test_systempay_form_is_signed_with_the_shop_secret(d, settings):
    _provider, payment, fields = systempay_checkout(d, settings)
    assert fields["vads_site_id"] == "12345678" and fields["vads_amount"] == str(payment.amount_cents)
    assert fields["vads_ctx_mode"] == "TEST"
    assert fields["signature"] == _sign(fields, "testsecret123")


def _answer(fields: dict[str, str], payment: Payment, result: str = "00", secret: str = "testsecret123") -> str:
    answer = {
        "vads_ctx_mode": "TEST",
        "vads_auth_result": "00",
        "vads_result": result,
        "vads_amount": str(payment.amount_cents),
        "vads_currency": "978",
        "vads_site_id": "12345678",
        "vads_trans_id": fields["vads_trans_id"],
        "vads_trans_date": fields["vads_trans_date"],
        "vads_trans_status": "AUTHORISED" if result == "00" else "REFUSED",
        "vads_ext_info_eopayment_trans_id": payment.reference,
        "vads_auth_number": "3fb0de",
    }
    answer["signature"] = _sign(answer, secret)
    return urlencode(answer)


def test_systempay_signed_answer_pays_and_a_forged_one_is_refused(d, settings):
    provider, payment, fields = systempay_checkout(d, settings)
    with pytest.raises(ProviderAnswerRefused):
        provider.answer(_answer(fields, payment, secret="not-the-secret"))
    assert apply_answer(d, settings, provider, _answer(fields, payment)).outcome == "paid"
    assert apply_answer(d, settings, provider, _answer(fields, payment)).outcome == "duplicate"
    with d.db.session() as s:
        assert s.get(Payment, payment.id).status == "succeeded"


def test_paramètres_check_the_payfip_and_systempay_settings_when_saved():
    from cantine_portal.services.backoffice.settings import validate_settings

    base = {
        "name": "Démo",
        "email": "mairie@demo.fr",
        "period_mode": "week",
        "deadline_kind": "weekday_before",
        "deadline_weekday": "3",
        "deadline_days_before": "2",
        "deadline_time": "23:59",
    }
    _clean, errors = validate_settings({**base, "payment_provider": "payfip", "payfip_numcli": "12a456"})
    assert "payfip_numcli" in errors
    clean, errors = validate_settings(
        {**base, "payment_provider": "payfip", "payfip_numcli": "123456", "payfip_mode": "W"}
    )
    assert not errors and (clean["payfip_numcli"], clean["payfip_mode"]) == ("123456", "W")
    _clean, errors = validate_settings({**base, "payment_provider": "systempay", "systempay_site_id": "123"})
    assert "systempay_site_id" in errors
    _clean, errors = validate_settings(
        {**base, "payment_provider": "payfip", "payfip_numcli": "123456", "payfip_mode": "Z"}
    )
    assert "payfip_mode" in errors


def test_a_payfip_payment_expired_by_the_portal_but_paid_at_payfip_becomes_credit(d, settings, monkeypatch):
    """Audit (issue 16): the basket reopens after the payment's lifetime (a page load, the minutely
    task); if PayFiP was paid meanwhile and its notification lost, check-pending still asks, and
    the money becomes the family's credit (a trop-perçu of PayFiP in the journal), never lost."""
    from cantine_portal.models import CreditKind
    from cantine_portal.services.regie import journal

    provider, payment, adapter = replay(d, settings, "detail_paid.xml", "detail_paid.xml")
    for module in ("payments_pending", "payments"):
        monkeypatch.setattr(f"cantine_portal.usecases.{module}.get_settings", lambda: settings)
        monkeypatch.setattr(f"cantine_portal.usecases.{module}.get_database", lambda: d.db)
    monkeypatch.setattr("cantine_portal.usecases.payments.after_notification", lambda job_id: None)
    later = NOW + booking_checkout.CHECKOUT_LIFETIME + timedelta(minutes=1)
    assert payment_cases.expire_stale_checkouts_if_any(d.db, later, d.structure, d.martin) == 1
    assert summary(d, now=later).status == "open"
    session = requests.Session()
    session.mount("https://", adapter)
    report = payments_pending.check_pending_payments(later + timedelta(minutes=5), http=session)
    assert report.asked == 1
    with d.db.session() as s:
        assert s.get(Payment, payment.id).status == "expired" and not s.exec(select(Receipt)).all()
        [credit] = s.exec(select(Credit)).all()
        assert (credit.amount_cents, credit.kind) == (payment.amount_cents, CreditKind.OVERPAYMENT)
        j = journal.build_journal(s, d.structure, NOW.date(), NOW.date())
    assert j.totals == {"trop-perçu:payfip": payment.amount_cents}
    # Asked again (still within three hours): the same answer changes nothing.
    payments_pending.check_pending_payments(later + timedelta(minutes=15), http=session)
    with d.db.session() as s:
        assert len(s.exec(select(Credit)).all()) == 1
    # Past three hours it is not asked any more.
    assert payments_pending.check_pending_payments(NOW + timedelta(hours=4), http=session).asked == 0
