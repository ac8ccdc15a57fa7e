"""How much a CPU-busy thread slows the database transactions of the same process (the GIL convoy).

The portal's worker is one Python process: its event loop, the database handlers' threads and the
API's threads share one GIL. Each SQLite call gives the GIL up and must get it back; next to a thread
that only computes (drawing a PDF, say), getting it back waits for that thread's switch interval
(5 ms by default), once per call. This script measures the three writes of a parent's deadline
night — Valider (``apply_choices``), Payer (``begin_checkout``) and the bank's confirmation
(``handle_event``) — alone, then beside 1 and 2 threads that only compute. It explains why receipt
PDFs are drawn in a helper process (infra/pdf/isolated.py) and is in docs/performance.md.

    python bench/gil_convoy.py [--families 30] [--busy 0 1 2] [--switch-ms 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bench_data import report

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/gil_convoy.py")
    parser.add_argument("--families", type=int, default=30, help="families booked and paid per measure")
    parser.add_argument("--busy", type=int, nargs="+", default=[0, 1, 2], help="CPU-busy threads beside")
    parser.add_argument("--switch-ms", type=float, default=None, help="sys.setswitchinterval, in ms")
    args = parser.parse_args(argv)
    if args.switch_ms is not None:
        sys.setswitchinterval(args.switch_ms / 1000)

    from sqlmodel import SQLModel, select

    from bench.commune import generate_commune
    from cantine_portal.config import Settings
    from cantine_portal.infra.db import Database
    from cantine_portal.models import Family, Payment, Structure
    from cantine_portal.services.booking import basket, checkout, choices, period_view
    from cantine_portal.services.payments import events, fulfilment, providers
    from cantine_portal.services.shared import calendar

    tmp = Path(tempfile.mkdtemp(prefix="bench-convoy-"))
    database = Database(f"sqlite:///{tmp / 'convoy.db'}")
    SQLModel.metadata.create_all(database.engine)
    settings = Settings.from_env({"CANTINE_VAR_DIR": str(tmp / "var")})
    with database.write_session() as session:
        size = generate_commune(session, NOW, families=400, children=700, slug="convoy")
    with database.session() as session:
        families = session.exec(select(Family.id).where(Family.structure_id == size.structure_id)).all()
        structure = session.get(Structure, size.structure_id)
    period = calendar.shift(calendar.period_containing(structure.period_mode, NOW.date()), 1)
    print(
        f"SQLite file {tmp / 'convoy.db'}; switch interval {sys.getswitchinterval() * 1000:g} ms; "
        f"{args.families} families per measure, 8 days each"
    )

    next_family = iter(families)
    for busy in args.busy:
        stop = threading.Event()

        def burn(stop: threading.Event = stop) -> None:
            x = 0
            while not stop.is_set():
                x += sum(range(1000))

        burners = [threading.Thread(target=burn, daemon=True) for _ in range(busy)]
        for thread in burners:
            thread.start()
        timings: dict[str, list[float]] = {
            "Valider (apply_choices)": [],
            "Payer (begin_checkout)": [],
            "bank confirmation (handle_event)": [],
        }
        for n in range(args.families):
            family_id = next(next_family)
            with database.session() as session:
                view = period_view.build_period_view(session, NOW, size.structure_id, family_id, period)
            wanted = [
                cell.key for child in view.children for row in child.services for cell in row.cells if cell.editable
            ][:8]
            start = time.perf_counter()
            with database.write_session() as session:
                result = choices.apply_choices(
                    session, NOW, size.structure_id, family_id, period, set(wanted), view.basket_version
                )
            timings["Valider (apply_choices)"].append((time.perf_counter() - start) * 1000)
            assert result.ok, result.message
            with database.session() as session:
                version = basket.basket_summary(session, NOW, size.structure_id, family_id).version
            start = time.perf_counter()
            with database.write_session() as session:
                started = checkout.begin_checkout(
                    session, NOW, size.structure_id, family_id, providers.SimulatedBank(NOW), version
                )
            timings["Payer (begin_checkout)"].append((time.perf_counter() - start) * 1000)
            assert started.ok, started.message
            with database.session() as session:
                payment = session.get(Payment, started.payment_id)
            event = events.ProviderEvent(
                "simulated",
                f"evt_{busy}_{n}",
                "succeeded",
                payment.provider_session_id,
                payment.amount_cents,
                "eur",
                "pay_convoy",
                "{}",
                "payment.succeeded",
            )
            start = time.perf_counter()
            with database.write_session() as session:
                assert fulfilment.handle_event(session, NOW, settings, event).outcome == "paid"
            timings["bank confirmation (handle_event)"].append((time.perf_counter() - start) * 1000)
        stop.set()
        for thread in burners:
            thread.join()
        print(f"beside {busy} CPU-busy thread(s):")
        for title, samples in timings.items():
            report(f"  {title}", samples)
    database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
