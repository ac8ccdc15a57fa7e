"""PayFiP for the books' state machine: its SOAP service answered from the recorded bodies of
tests/fixtures/payfip, one idOp per payment, and each payment's outcome decided by the machine.

PayFiP's outcome of an idOp is final once it exists (paid, refused or cancelled), as at the DGFiP:
the machine's notifications then only choose when the portal hears of it. Until then PayFiP
answers P5 (not known yet); past two hours an idOp without outcome never gets one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from requests.adapters import BaseAdapter

from cantine_portal.french import PARIS

FIXTURES = Path(__file__).parent.parent / "fixtures" / "payfip"
RECORDED_IDOP = "cc0cb210-1cd4-11ea-8cca-0213ad91a103"
NUMCLI = "123456"
RESULTS = {"succeeded": "P", "failed": "R", "expired": "A"}


@dataclass
class Outcome:
    resultrans: str  # P paid, R refused, A cancelled
    amount_cents: int
    at: datetime  # when the parent ended it at PayFiP


@dataclass
class FakePayFiP(BaseAdapter):
    """The DGFiP's side: idOps it created, and how each one ended."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    refdets: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()

    def decide(self, idop: str, kind: str, amount_cents: int, now: datetime) -> Outcome:
        """The parent ends the payment at PayFiP (once: later calls return the first outcome). The
        transaction is dated a few minutes back, so that a cancellation is not "still waiting"."""
        return self.outcomes.setdefault(idop, Outcome(RESULTS[kind], amount_cents, now - timedelta(minutes=5)))

    def send(self, request: Any, **kwargs: Any) -> requests.Response:
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        text = body.decode()
        if "creerPaiementSecurise" in text:
            idop = str(uuid.uuid4())
            self.refdets[idop] = text.split("<refdet>", 1)[1].split("</refdet>", 1)[0]
            answer = (FIXTURES / "creerPaiementSecurise.xml").read_text().replace(RECORDED_IDOP, idop)
        else:
            idop = text.split("<idOp>", 1)[1].split("</idOp>", 1)[0]
            answer = self._detail(idop)
        response = requests.Response()
        response.status_code = 500 if "<S:Fault" in answer else 200
        response._content = answer.encode()
        response.headers["Content-Type"] = "text/xml; charset=utf-8"
        response.url, response.request = request.url, request
        return response

    def _detail(self, idop: str) -> str:
        outcome = self.outcomes.get(idop)
        if outcome is None:
            return (FIXTURES / ("fault_P5.xml" if idop in self.refdets else "fault_P1.xml")).read_text()
        at = outcome.at.astimezone(PARIS)
        return (
            (FIXTURES / "detail_paid.xml")
            .read_text()
            .replace(RECORDED_IDOP, idop)
            .replace("AMOUNT", str(outcome.amount_cents))
            .replace("REFDET", self.refdets[idop])
            .replace("<resultrans>P</resultrans>", f"<resultrans>{outcome.resultrans}</resultrans>")
            .replace("<dattrans>26112026</dattrans>", f"<dattrans>{at:%d%m%Y}</dattrans>")
            .replace("<heurtrans>1012</heurtrans>", f"<heurtrans>{at:%H%M}</heurtrans>")
        )

    def close(self) -> None:
        pass


def http_session(fake: FakePayFiP) -> requests.Session:
    session = requests.Session()
    session.mount("https://", fake)
    return session
