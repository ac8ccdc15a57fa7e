"""Scale-out mode in Chromium: PostgreSQL, Reflex state in a real Redis, two backend workers,
started as in production (``python -m cantine_portal.serve --workers 2``).

A reload opens a new websocket, which the kernel may hand to the other worker: the page must
come back from the database and Redis, not from one process's memory. A worker that dies is
replaced and the portal keeps serving (serve.py turns Granian's worker respawn on).
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD
from tests.browser.conftest import _new_ui
from tests.browser.test_accounts_flow import login

pytestmark = pytest.mark.scaled


@pytest.fixture(scope="module")
def scaled_portal(scaled_portal_early):
    """The scale-out portal, started (its frontend built) while the other tests ran when this is a
    single-process run (tests/browser/conftest.py: scaled_portal_early), else now."""
    return scaled_portal_early.result()


def _workers(process) -> list[int]:
    from bench.deadline_night import worker_pids

    return worker_pids(process.pid)


def _worker_count(process) -> int:
    return len(_workers(process))


def test_tick_validate_reload_on_two_workers_with_postgres_and_redis(browser, scaled_portal):
    portal, process, log = scaled_portal
    assert "redis" in portal.env["REFLEX_REDIS_URL"] and portal.env["DATABASE_URL"].startswith("postgresql")
    context, ui = _new_ui(browser, portal)
    try:
        login(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
        ui.expect_path("/demo/accueil")
        ui.goto("/demo/reservations")
        box = ui.page.get_by_role("checkbox", name="Léa — Restauration scolaire — lundi 30 novembre", exact=True)
        box.click()
        ui.page.get_by_text("1 modification(s) non validée(s)").wait_for()
        ui.page.get_by_role("button", name="Valider", exact=True).click()
        ui.page.get_by_text("1 jour ajouté au panier").wait_for()

        for _ in range(3):  # each reload is a new websocket, on either worker
            ui.page.reload()
            ui.settle()
            ui.page.get_by_text("🛒 Dans le panier").first.wait_for()
            assert ui.page.get_by_text("🛒 Dans le panier").count() == 1
            assert box.is_checked()
        ui.page.get_by_role("button", name="Valider votre panier maintenant").click()
        ui.page.get_by_role("heading", name="Votre panier").wait_for()
        assert ui.page.get_by_text("Total à payer : 3,85").is_visible()
        ui.check_a11y()
    finally:
        context.close()
    # It really ran two backend workers (Granian's worker processes under serve.py).
    assert _worker_count(process) == 2, log.read_text()[-3000:]


def test_a_killed_worker_is_replaced_and_parents_carry_on(browser, scaled_portal):
    portal, process, log = scaled_portal
    workers = _workers(process)
    assert len(workers) == 2, log.read_text()[-3000:]
    os.kill(workers[0], signal.SIGKILL)  # a crash: no clean shutdown
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = _workers(process)
        if len(now) == 2 and workers[0] not in now:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the killed worker was not replaced: {_workers(process)}\n{log.read_text()[-3000:]}")
    assert process.poll() is None, log.read_text()[-3000:]
    context, ui = _new_ui(browser, portal)
    try:  # several new websockets, on either worker: all served
        for _ in range(2):
            login(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
            ui.expect_path("/demo/accueil")
            ui.goto("/demo/reservations")
            ui.page.get_by_role(
                "checkbox", name="Léa — Restauration scolaire — lundi 30 novembre", exact=True
            ).wait_for()
            ui.page.get_by_role("button", name="Se déconnecter").click()
            ui.expect_path("/demo/connexion")
    finally:
        context.close()
