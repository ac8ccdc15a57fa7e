"""PayFiP (DGFiP) and Systempay/PayZen through Entr'ouvert's eopayment, behind PaymentProvider.

One adapter, ``EopaymentProvider``, drives eopayment's ``Payment(kind, options)``:
``start`` asks ``request(amount, …)`` for the payment page (PayFiP: a SOAP call that returns an
``idop``; Systempay: a signed form, sent as a signed GET URL), ``answer`` turns what comes back
(``response(query_string)``) into a ``ProviderEvent`` that ``fulfilment.handle_event`` applies
as it applies Stripe's. Nothing is fulfilled on the browser's word:

- PayFiP's notification carries only the ``idop``; eopayment then asks PayFiP for the
  payment's detail (``recupererDetailPaiementSecurise``), whose answer is the verified result,
  checked here against the commune's ``numcli``;
- Systempay's answer is signed with the shop's secret; an unsigned or badly signed one is refused.

``status`` asks PayFiP later about a payment whose answer never came (``check_pending``), with
the portal's ``now`` (eopayment's own ``payment_status`` reads the machine clock). The HTTP layer
(a ``requests.Session``) can be given: the tests replay recorded SOAP bodies through it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode

import eopayment
from eopayment.payfip_ws import PayFiP, PayFiPError

from cantine_portal.config import Settings
from cantine_portal.models import Structure
from cantine_portal.services.booking.checkout import CHECKOUT_LIFETIME, CheckoutSnapshot, ProviderRedirect
from cantine_portal.services.payments.events import ProviderEvent

KINDS = {"payfip": eopayment.PAYFIP_WS, "systempay": eopayment.SYSTEMPAY}
RESULTS = {
    eopayment.PAID: "succeeded",
    eopayment.DENIED: "failed",
    eopayment.CANCELLED: "cancelled",
    eopayment.EXPIRED: "expired",
}
# PayFiP answers "P5" while an idop is still usable or unused; past this it will never be paid.
PAYFIP_UNPAID_AFTER = timedelta(hours=2)


class ProviderAnswerRefused(ValueError):
    """An answer that cannot be trusted (bad signature, another régie's payment, malformed)."""


def _refdet(reference: str) -> str:
    """PayFiP's refdet is 1-30 letters or digits: our reference without its dashes."""
    return reference.replace("-", "")[:30]


def payfip_idop(query_string: str) -> str:
    """The ``idOp`` a PayFiP notification or return carries ("" without one)."""
    fields = parse_qs(query_string, keep_blank_values=True)
    return (fields.get("idOp") or fields.get("idop") or [""])[0].strip()[:100]


class EopaymentProvider:
    """A commune's PayFiP or Systempay account, seen as a PaymentProvider."""

    remote = True  # PayFiP's page is opened by a SOAP call: never inside a write transaction

    def __init__(self, name: str, settings: Settings, structure: Structure, now: datetime, http: Any = None) -> None:
        if name not in KINDS:
            raise ValueError(f"not an eopayment provider: {name!r}")
        self.name = name
        self.payer_email = ""  # PayFiP mails its own ticket there (set by the use case)
        self.settings = settings
        self.structure = structure
        self.now = now
        self.payment = eopayment.Payment(KINDS[name], self.options())
        if name == "payfip" and http is not None:
            from zeep.transports import Transport

            transport = Transport(session=http)  # type: ignore[no-untyped-call]  # zeep's Transport is untyped
            self.payment.backend.payfip = PayFiP(zeep_client_kwargs={"transport": transport})

    def _base(self) -> str:
        return f"{self.settings.base_url}/{self.structure.slug}"

    def options(self) -> dict[str, Any]:
        notify = f"{self.settings.base_url}/api/paiement/{self.name}/{self.structure.slug}/notification"
        back = f"{self._base()}/paiement/retour"
        if self.name == "payfip":
            return {
                "numcli": self.structure.payfip_numcli,
                "saisie": self.structure.payfip_mode,
                "normal_return_url": back,
                "automatic_return_url": notify,
            }
        return {
            "vads_site_id": self.structure.systempay_site_id,
            "vads_ctx_mode": self.structure.systempay_mode,
            "secret_test": self.settings.systempay_secret_test or "",
            "secret_production": self.settings.systempay_secret_production or "",
            "signature_algo": "hmac_sha256",
            "normal_return_url": back,
            "automatic_return_url": notify,
        }

    def start(self, snapshot: CheckoutSnapshot) -> ProviderRedirect:
        """Open the provider's payment page for the frozen basket (network for PayFiP)."""
        email = self.payer_email
        # The parent comes back through the return route (a GET or the bank's form POST): it has the
        # provider confirm what the browser brings, then shows this payment's return page.
        self.payment.backend.normal_return_url = (
            f"{self.settings.base_url}/api/paiement/{self.name}/{self.structure.slug}/retour?ref={snapshot.reference}"
        )
        euros = Decimal(snapshot.amount_cents) / 100
        if self.name == "payfip":
            idop, _kind, url = self.payment.request(
                euros,
                email=email or self.structure.email,
                refdet=_refdet(snapshot.reference),
                exer=str(self.now.year),
                subject=f"Reservations {snapshot.reference}",
            )
            return ProviderRedirect(str(url), str(idop), self.now + CHECKOUT_LIFETIME)
        transaction_id, _kind, form = self.payment.request(
            euros, email=email or None, orderid=_refdet(snapshot.reference), transaction_id=snapshot.reference
        )
        fields = {f["name"]: f["value"] for f in form.fields}
        return ProviderRedirect(f"{form.url}?{urlencode(fields)}", str(transaction_id), self.now + CHECKOUT_LIFETIME)

    def answer(self, query_string: str) -> ProviderEvent:
        """The provider's answer (notification or return), verified, as a ProviderEvent."""
        if self.name == "payfip":
            return self._payfip_answer(query_string)
        try:
            response = self.payment.response(query_string)
        except eopayment.ResponseError as error:
            raise ProviderAnswerRefused(str(error)) from error
        if not response.signed:
            raise ProviderAnswerRefused("réponse non signée ou signature invalide")
        return self._event(response)

    def _payfip_answer(self, query_string: str) -> ProviderEvent:
        """PayFiP's notification or return carries only the ``idOp``: the answer is PayFiP's own
        detail of that payment, asked here (``recupererDetailPaiementSecurise``). Asked directly
        rather than through eopayment's ``response`` so that its "cancelled a moment ago may still
        be paid" rule reads the portal's clock, not the machine's."""
        idop = payfip_idop(query_string)
        if not idop:
            raise ProviderAnswerRefused("PayFiP : idOp manquant")
        backend = self.payment.backend
        try:
            detail = backend.payfip.get_info_paiement(idop)
        except PayFiPError as error:
            if error.code == "P5":  # not paid yet: nothing to apply, the checkout stays as it is
                return ProviderEvent("payfip", f"payfip:{idop}:P5", "ignored", idop, raw="P5", event_type="payfip.P5")
            raise ProviderAnswerRefused(f"PayFiP: {error}") from error
        return self._event(self._payfip_response(idop, detail))

    def _payfip_response(self, idop: str, detail: Any) -> Any:
        """eopayment's reading of PayFiP's detail; a cancellation younger than eopayment's
        ``CANCELLED_WAITING_IN_MINUTES`` is still "waiting" (the parent may go back and pay)."""
        backend = self.payment.backend
        response = backend.payfip_response_to_eopayment_response(idop, detail)
        at = backend.get_transaction_datetime(detail)
        recent = at is not None and self.now - at < timedelta(minutes=backend.CANCELLED_WAITING_IN_MINUTES)
        if response.result == eopayment.CANCELLED and recent:
            response.result = eopayment.WAITING
        return response

    def _event(self, response: Any) -> ProviderEvent:
        data = dict(response.bank_data or {})
        kind = RESULTS.get(response.result, "ignored")
        if self.name == "payfip":
            if str(data.get("numcli") or "") != self.structure.payfip_numcli:
                raise ProviderAnswerRefused("PayFiP : paiement d'une autre régie")
            amount = int(data.get("montant") or 0)
            session_id, currency = str(response.order_id), "eur"
            # The kind is part of the id: a "still waiting" answer must not make the final one a duplicate.
            event_id = f"payfip:{session_id}:{data.get('resultrans')}:{kind}"
        else:
            amount = int(data.get("vads_amount") or 0)
            session_id = str(response.transaction_id)
            currency = {"978": "eur"}.get(str(data.get("vads_currency")), str(data.get("vads_currency")))
            event_id = f"systempay:{data.get('vads_trans_id')}:{data.get('vads_trans_status')}:{session_id}"
        payment_id = str(data.get("numauto") or data.get("vads_auth_number") or "") or None
        return ProviderEvent(
            self.name,
            event_id,
            kind,
            session_id,
            amount,
            currency,
            payment_id,
            repr(sorted(data.items()))[:20000],
            f"{self.name}.{response.result}",
        )

    def status(self, session_id: str, created_at: datetime, now: datetime) -> ProviderEvent | None:
        """Ask PayFiP how a payment ended (its answer never came). None: still under way."""
        if self.name != "payfip":
            return None  # Systempay notifies again by itself; the checkout expires meanwhile
        backend = self.payment.backend
        try:
            detail = backend.payfip.get_info_paiement(session_id)
        except PayFiPError as error:
            if error.code == "P1" or (error.code == "P5" and now - created_at >= PAYFIP_UNPAID_AFTER):
                return ProviderEvent(
                    "payfip",
                    f"payfip:{session_id}:expired",
                    "expired",
                    session_id,
                    raw=f"{error.code}",
                    event_type="payfip.expired",
                )
            if error.code == "P5":
                return None
            raise
        return self._event(self._payfip_response(session_id, detail))
