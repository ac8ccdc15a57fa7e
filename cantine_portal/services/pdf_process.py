"""Receipt PDFs drawn in a helper process, not in the portal's worker.

Drawing a receipt is 30–40 ms of pure-Python CPU (reportlab) that holds the worker's GIL. Each
database call of the worker's other threads gives the GIL up and must wait to get it back, so
one busy thread made a Valider transaction 30 times slower (measured in docs/performance.md:
3.5 ms alone, 105 ms beside a thread that only computes), all while SQLite's write lock was held.
On a deadline night every payment draws one receipt. A helper process of its own draws them on
the other core; the worker only waits for the bytes (its GIL free meanwhile). It runs at
niceness 10: when every family pays at once the CPU serves the parents' clicks first (the ticket
e-mail leaves after the bank has been answered, see api/payment_routes.py).

``render_receipt_isolated`` falls back on drawing in the calling thread if the helper cannot
be started or dies (nothing is lost, only the speed). CANTINE_PDF_PROCESS=0 turns the helper off.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime

from cantine_portal.helper_process import HelperProcess, Unavailable
from cantine_portal.services.pdf_render import ReceiptData, render_receipt

log = logging.getLogger(__name__)

# Niceness 10: on a busy night the CPU goes to the parents' clicks first; a receipt can wait a moment.
_helper = HelperProcess(niceness=10)
# A receipt that takes longer than this in the helper is drawn here instead.
TIMEOUT_SECONDS = 30


def _enabled() -> bool:
    return os.environ.get("CANTINE_PDF_PROCESS", "1") != "0"


def render_receipt_isolated(data: ReceiptData, *, generated_at: datetime) -> bytes:
    """``render_receipt(data, generated_at=…)``, drawn by the helper process when it is available."""
    if not _enabled():
        return render_receipt(data, generated_at=generated_at)
    try:
        return _helper.call(render_receipt, data, generated_at=generated_at, timeout=TIMEOUT_SECONDS)
    except (Unavailable, TimeoutError) as error:
        log.warning("receipt PDF helper process unavailable (%s): drawing in the worker", error)
        return render_receipt(data, generated_at=generated_at)


def shutdown() -> None:
    """Stop the helper process (tests; a stopping worker stops it through ``helper_process``)."""
    _helper.stop()
