"""Receipt PDFs drawn in a helper process, not in the portal's worker.

Drawing a receipt is 30–40 ms of pure-Python CPU (reportlab) that holds the worker's GIL. Each
database call of the worker's other threads gives the GIL up and must wait to get it back, so
one busy thread made a Valider transaction 30 times slower (measured in docs/performance.md:
3.5 ms alone, 105 ms beside a thread that only computes), all while SQLite's write lock was held.
On a deadline night every payment draws one receipt. A helper process of its own draws them on
the other core; the worker only waits for the bytes (its GIL free meanwhile). It runs at
niceness 10: when every family pays at once the CPU serves the parents' clicks first (the ticket
e-mail leaves after the bank has been answered, see api/payment_routes.py). The helper also builds
and sends that ticket e-mail (``send_ticket_isolated``).

``render_receipt_isolated`` falls back on drawing in the calling thread if the helper cannot
be started or dies (nothing is lost, only the speed). CANTINE_PDF_PROCESS=0 turns the helper off.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import TYPE_CHECKING

from cantine_portal.config import Settings
from cantine_portal.infra.helper_process import HelperProcess, Unavailable
from cantine_portal.infra.pdf.receipt import ReceiptData, render_receipt

if TYPE_CHECKING:
    from cantine_portal.infra.db import Database

log = logging.getLogger(__name__)

# Niceness 10: on a busy night the CPU goes to the parents' clicks first; a receipt can wait a moment.
_helper = HelperProcess(niceness=10)
# A receipt that takes longer than this in the helper is drawn here instead.
TIMEOUT_SECONDS = 30


def _enabled() -> bool:
    return os.environ.get("CANTINE_PDF_PROCESS", "1") != "0"


# True inside the helper itself: it draws in place.
_in_helper = False


def render_receipt_isolated(data: ReceiptData, *, generated_at: datetime) -> bytes:
    """``render_receipt(data, generated_at=…)``, drawn by the helper process when it is available."""
    if not _enabled() or _in_helper:
        return render_receipt(data, generated_at=generated_at)
    try:
        return _helper.call(render_receipt, data, generated_at=generated_at, timeout=TIMEOUT_SECONDS)
    except (Unavailable, TimeoutError) as error:
        log.warning("receipt PDF helper process unavailable (%s): drawing in the worker", error)
        return render_receipt(data, generated_at=generated_at)


def _send_ticket_here(database_url: str, settings: Settings, now: datetime, receipt_id: int) -> None:
    """In the helper: draw and store the receipt, build and send the ticket e-mail."""
    global _in_helper
    from cantine_portal.infra.db import database_at
    from cantine_portal.services.payments import payments

    _in_helper = True
    payments.send_ticket(database_at(database_url), settings, now, receipt_id)


def send_ticket_isolated(database: "Database", settings: Settings, now: datetime, receipt_id: int) -> None:
    """``payments.send_ticket`` done by the helper process: the drawing, the MIME message with the PDF
    (base64) and its sending are ~40 ms of CPU per payment that the worker no longer spends. If the
    helper is unavailable the worker does it (after a helper that died mid-way, the ticket may
    leave twice: better than not at all)."""
    from cantine_portal.services.payments import payments

    if _enabled():
        try:
            _helper.call(_send_ticket_here, database.url, settings, now, receipt_id)
            return
        except Unavailable as error:
            log.warning("receipt helper process unavailable (%s): ticket sent by the worker", error)
    payments.send_ticket(database, settings, now, receipt_id)


def shutdown() -> None:
    """Stop the helper process (tests; a stopping worker stops it through ``helper_process``)."""
    _helper.stop()
