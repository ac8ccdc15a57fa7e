"""Server-side speed of the Réservations page: one tick, and Valider of 80 lines.

    /work/main/.venv/bin/python bench/reservations_server.py [--ticks 300] [--validations 200]
                                                            [--in-process-only] [--profile]

A family of four children enrolled in three services, on a month view (December 2026 on the
fake clock: 31 days × 12 rows = 372 cells, 132 of them bookable).

1. The real portal (built and started like the browser tests, throw-away var/ folder with its
   own SQLite database), logged in over HTTP, driven over Reflex's websocket protocol
   (bench/reflex_client.py). Figures are round trips measured by the client: from sending the
   event to receiving the delta that carries the new totals (or Valider's message), so they
   include the socket and the JSON; the server's own cost is below them.
2. The same handlers called in-process (the state instantiated as the unit tests do), which
   isolates the Python cost of the handler itself; ``--profile`` prints cProfile of both.

Budget on the 2-core machine: tick p95 < 10 ms, Valider of 80 lines p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data
from bench_data import BENCH_EMAIL, BENCH_PASSWORD, BENCH_SLUG, report

TICK_BUDGET_MS = 10
VALIDATE_BUDGET_MS = 200
BASKET_LINES = 80
FAKE_NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # the browser tests' Thursday, 10:00 Paris


# --- in-process --------------------------------------------------------------------------


def in_process(ticks: int, validations: int, profile: bool, grids: bool = True) -> None:
    import reflex as rx
    from sqlalchemy import event
    from sqlmodel import SQLModel, delete

    import cantine_portal.cantine_portal  # noqa: F401  (registers the states)
    from cantine_portal import clock
    from cantine_portal.infra.db import Database
    from cantine_portal.models import Reservation
    from cantine_portal.services import demo
    from cantine_portal.state.offload import run_handler
    from cantine_portal.state.reservations import ReservationState
    from cantine_portal.usecases import booking

    tmp = Path(tempfile.mkdtemp(prefix="bench-inprocess-"))
    database = Database(f"sqlite:///{tmp / 'bench.db'}")
    SQLModel.metadata.create_all(database.engine)
    demo._demo_hash = lambda password: "not-a-hash"  # no login here: skip argon2
    with database.write_session() as session:
        ids = bench_data.add_bench_commune(session, FAKE_NOW, grids=grids)
    from cantine_portal.infra import db as db_module

    db_module.use_database(database)
    clock.now = lambda: FAKE_NOW

    def require_parent(self):
        self._structure_id, self._family_id, self._account_id, self.logged_in = (
            ids.structure_id,
            ids.family_id,
            1,
            True,
        )
        return True

    ReservationState._require_parent = require_parent
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(ReservationState.get_full_name().split(".")[1:])
    run_handler(state.load())
    ticks_state = state._ticks()
    keys = [k for k, editable in ticks_state._editable.items() if editable]
    pricing = "four-bracket QF grids, sibling rate" if grids else "single prices, no grid"
    print(
        f"In-process ({state.period_label}, {len(state._cells)} cells, {len(keys)} bookable, {pricing}), "
        "handler only, no socket:"
    )

    def tick_once(i: int) -> float:
        start = time.perf_counter()
        ticks_state.toggle(keys[i // 2 % len(keys)])  # pairs: tick, untick
        elapsed = (time.perf_counter() - start) * 1000
        root._clean()
        return elapsed

    samples = [tick_once(i) for i in range(ticks - ticks % 2)]
    report("  tick (toggle handler)", samples, TICK_BUDGET_MS)
    for key in keys:
        if ticks_state._ticked[key] != ticks_state._saved[key]:
            ticks_state.toggle(key)

    statements: dict[str, list[str]] = {"write": [], "read": []}

    def counter(kind: str):
        def count(_conn, _cursor, statement, *_args) -> None:
            statements[kind].append(statement)

        return count

    # The Valider's transaction runs on the write engine, the period read back on the other one.
    counters = [(database.write_engine, counter("write")), (database.engine, counter("read"))]

    cpu_samples: list[float] = []  # this process's CPU: less sensitive to a loaded machine than the clock

    def validate_once() -> float:
        for key in keys[:BASKET_LINES]:
            ticks_state.toggle(key)
        for engine, count in counters:
            statements[["write", "read"][counters.index((engine, count))]].clear()
            event.listen(engine, "before_cursor_execute", count)
        start, cpu = time.perf_counter(), time.process_time()
        run_handler(state.validate())
        elapsed = (time.perf_counter() - start) * 1000
        cpu_samples.append((time.process_time() - cpu) * 1000)
        for engine, count in counters:
            event.remove(engine, "before_cursor_execute", count)
        assert f"{BASKET_LINES} jours ajoutés" in state.info_message, state.info_message or state.error_message
        with database.write_session() as session:  # reset: an empty period again
            session.exec(delete(Reservation))
        state._show_page(booking.period_page(state._actor(), state._offset, now=FAKE_NOW))
        return elapsed

    samples = [validate_once() for _ in range(validations)]
    for kind, what in (("write", "its transaction"), ("read", "the period read back")):
        pricing = [s for s in statements[kind] if any(t in s for t in ("pricegrid", "pricebracket", "familyquotient"))]
        print(
            f"  one Valider of {BASKET_LINES} lines, {what}: {len(statements[kind])} SQL statements, "
            f"{len(pricing)} of them reading grids/brackets/QFs"
        )
    report(
        f"  Valider {BASKET_LINES} lines (validate handler: save_choices use case + tables)",
        samples,
        VALIDATE_BUDGET_MS,
    )
    report(f"  Valider {BASKET_LINES} lines, CPU time of this process (same runs)", cpu_samples[-len(samples) :])
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(200):
            tick_once(i)
        for _ in range(20):
            validate_once()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


# --- the real portal over its websocket -----------------------------------------------


async def drive_portal(base_url: str, substate: str, ticks_substate: str, ticks: int, validations: int) -> None:
    import httpx
    from reflex_client import ReflexClient

    from cantine_portal.infra.http import session_cookie_name

    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            f"/api/{BENCH_SLUG}/connexion",
            data={"email": BENCH_EMAIL, "password": BENCH_PASSWORD},
            headers={"Origin": base_url},
        )
        cookie = response.cookies.get(session_cookie_name(BENCH_SLUG))
        if response.status_code != 303 or not cookie:
            raise RuntimeError(f"login failed: {response.status_code} {response.headers.get('location')}")
    client = ReflexClient(
        base_url, f"/{BENCH_SLUG}/reservations", headers={"Cookie": f"{session_cookie_name(BENCH_SLUG)}={cookie}"}
    )
    await client.connect()

    def var(name: str) -> str:
        return f"{name}_rx_state_"

    await client.hydrate()
    tables = None
    while not tables:  # the hydrate snapshot has empty tables; on_load fills them
        tables = await client.wait_for(substate, var("tables"))
    keys = [cell["key"] for child in tables for day in child["days"] for cell in day["cells"] if cell["editable"]]
    cells = sum(len(day["cells"]) for child in tables for day in child["days"])
    await asyncio.sleep(0.5)
    client.drain()
    handler = f"{ticks_substate}.toggle"

    async def tick(key: str) -> float:
        start = time.perf_counter()
        await client.emit(handler, {"key": key})
        await client.wait_for(ticks_substate, var("grand_total"))
        return (time.perf_counter() - start) * 1000

    for i in range(20):  # warm-up
        await tick(keys[i % 2])
    print(f"Real portal over the websocket ({cells} cells, {len(keys)} bookable), client round trips:")
    samples = [await tick(keys[i // 2 % len(keys)]) for i in range(ticks - ticks % 2)]  # pairs: tick, untick
    report("  tick → new totals", samples, TICK_BUDGET_MS)

    async def validate(expected: str) -> float:
        start = time.perf_counter()
        await client.emit(f"{substate}.validate")
        message = await client.wait_for(substate, var("info_message"))
        while not message:  # _clear_messages may travel first in some Reflex versions
            message = await client.wait_for(substate, var("info_message"))
        elapsed = (time.perf_counter() - start) * 1000
        if expected not in message:
            raise RuntimeError(f"Valider answered {message!r}")
        await asyncio.sleep(0)
        client.drain()
        return elapsed

    added, removed = [], []
    for _ in range(validations):
        for key in keys[:BASKET_LINES]:
            await tick(key)
        added.append(await validate(f"{BASKET_LINES} jours ajoutés"))
        for key in keys[:BASKET_LINES]:
            await tick(key)
        removed.append(await validate(f"{BASKET_LINES} jours retirés"))
    report(f"  Valider {BASKET_LINES} new lines → message", added, VALIDATE_BUDGET_MS)
    report(f"  Valider removing {BASKET_LINES} lines → message", removed, VALIDATE_BUDGET_MS)
    await client.close()


def real_portal(ticks: int, validations: int) -> None:
    import cantine_portal.cantine_portal  # noqa: F401  (registers the states, outside the event loop)
    from cantine_portal.french import PARIS
    from cantine_portal.infra.db import Database
    from cantine_portal.state.reservations import ReservationState, ReservationTicks
    from tests.browser.conftest import FAKE_NOW as PORTAL_NOW
    from tests.browser.conftest import start_portal, stop_portal

    var_dir = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    print(f"Starting the portal (prod build, fake clock {PORTAL_NOW}, var {var_dir})…", flush=True)
    process, portal, log = start_portal(var_dir)
    try:
        database = Database(f"sqlite:///{var_dir / 'cantine.db'}")
        with database.write_session() as session:
            bench_data.add_bench_commune(session, datetime.fromisoformat(PORTAL_NOW).astimezone(PARIS))
        database.dispose()
        asyncio.run(
            drive_portal(
                portal.base_url, ReservationState.get_full_name(), ReservationTicks.get_full_name(), ticks, validations
            )
        )
    finally:
        stop_portal(process)
        shutil.rmtree(var_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--validations", type=int, default=200)
    parser.add_argument("--in-process-only", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile of the in-process handlers")
    parser.add_argument(
        "--no-grid", action="store_true", help="in-process, a commune without price grids (issue 17's « before »)"
    )
    args = parser.parse_args()
    if not args.in_process_only:
        real_portal(args.ticks, args.validations)
    in_process(args.ticks, args.validations, args.profile, grids=not args.no_grid)


if __name__ == "__main__":
    main()
