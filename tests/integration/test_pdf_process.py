"""Receipts drawn in the PDF helper process (cantine_portal/infra/pdf/isolated.py): a real child process."""

from __future__ import annotations

from cantine_portal.infra.pdf.receipt import render_receipt
from tests.unit.test_pdf import GENERATED_AT, _norm, _receipt_data, _text


def test_receipt_drawn_in_a_helper_process_reads_the_same() -> None:
    """The worker hands the drawing to another process (its GIL stays free for the parents'
    events); the receipt says exactly what the in-process drawing says."""
    import os

    from cantine_portal.infra.pdf import isolated as pdf_process

    data = _receipt_data()
    generated = GENERATED_AT
    helper_pid = pdf_process._helper.call(os.getpid, timeout=60)
    assert helper_pid != os.getpid()
    # Background work: the scheduler serves the worker (the parents' clicks) first.
    assert os.getpriority(os.PRIO_PROCESS, helper_pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
    isolated = pdf_process.render_receipt_isolated(data, generated_at=generated)
    assert _norm(_text(isolated)) == _norm(_text(render_receipt(data, generated_at=generated)))
    pdf_process.shutdown()


def test_receipt_still_drawn_when_the_helper_process_dies() -> None:
    import os
    import signal

    from cantine_portal.infra.pdf import isolated as pdf_process

    helper_pid = pdf_process._helper.call(os.getpid, timeout=60)
    os.kill(helper_pid, signal.SIGKILL)
    pdf = pdf_process.render_receipt_isolated(_receipt_data(), generated_at=GENERATED_AT)
    assert "2026-000042" in _norm(_text(pdf))
    assert pdf_process._helper.call(os.getpid, timeout=60) not in (helper_pid, os.getpid())
    pdf_process.shutdown()
