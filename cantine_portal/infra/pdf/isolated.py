"""Receipt PDFs drawn in a helper process, not in the portal's worker.

Drawing a receipt is 30–40 ms of pure-Python CPU (reportlab) that holds the worker's GIL. Each
database call of the worker's other threads gives the GIL up and must wait to get it back, so
one busy thread made a Valider transaction 30 times slower (measured in docs/performance.md:
3.5 ms alone, 105 ms beside a thread that only computes), all while SQLite's write lock was held.
On a deadline night every payment draws one receipt. A helper process of its own draws them on
the other core; the worker only waits for the bytes (its GIL free meanwhile). It runs at
niceness 10: when every family pays at once the CPU serves the parents' clicks first (the ticket
e-mail leaves after the bank has been answered, see api/payment_routes.py). The helper is also
handed bigger work, such as building and sending that ticket e-mail (``run_isolated``, used by
``usecases.payments.send_ticket_isolated``): this module never imports the services; the work it
is given draws in place (``render_receipt``), it never asks this helper again.

``render_receipt_isolated`` falls back on drawing in the calling thread if the helper cannot
be started or dies (nothing is lost, only the speed). CANTINE_PDF_PROCESS=0 turns the helper off.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cantine_portal.infra.helper_process import HelperProcess, Unavailable
from cantine_portal.infra.pdf.receipt import ReceiptData, render_receipt

__all__ = ["Unavailable", "enabled", "render_receipt_isolated", "run_isolated", "shutdown"]

log = logging.getLogger(__name__)

# Niceness 10: on a busy night the CPU goes to the parents' clicks first; a receipt can wait a moment.
_helper = HelperProcess(niceness=10)
# A receipt that takes longer than this in the helper is drawn here instead.
TIMEOUT_SECONDS = 30


def enabled() -> bool:
    """False with CANTINE_PDF_PROCESS=0: everything is drawn in the calling process."""
    return os.environ.get("CANTINE_PDF_PROCESS", "1") != "0"


def render_receipt_isolated(data: ReceiptData, *, generated_at: datetime) -> bytes:
    """``render_receipt(data, generated_at=…)``, drawn by the helper process when it is available."""
    if not enabled():
        return render_receipt(data, generated_at=generated_at)
    try:
        return _helper.call(render_receipt, data, generated_at=generated_at, timeout=TIMEOUT_SECONDS)
    except (Unavailable, TimeoutError) as error:
        log.warning("receipt PDF helper process unavailable (%s): drawing in the worker", error)
        return render_receipt(data, generated_at=generated_at)


def run_isolated(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` (a module-level function, picklable arguments) in the receipt helper.

    Raises ``Unavailable`` when the helper cannot run it: the caller then does the work itself.
    ``fn`` runs in the helper, so it must draw in place (``render_receipt``), not through
    ``render_receipt_isolated``.
    """
    return _helper.call(fn, *args)


def shutdown() -> None:
    """Stop the helper process (tests; a stopping worker stops it through ``helper_process``)."""
    _helper.stop()
