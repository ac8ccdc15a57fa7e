"""SQLite's write transactions in a helper process (cantine_portal/infra/write_process.py, Database.run_write).

These tests build their own SQLite file: the write process exists only on SQLite.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel, select

from cantine_portal.config import Settings
from cantine_portal.infra import write_process
from cantine_portal.infra.db import Database
from cantine_portal.models import Reservation, Structure
from cantine_portal.services.booking import choices, period_view
from tests.integration.test_booking import MON, NOW, TUE, WEEK_7_DEC, _load


# Module-level functions: run_write sends them to the helper by name.
def process_id(session) -> int:
    return os.getpid()


def rename_commune(session, structure_id: int, name: str) -> str:
    session.execute(text("UPDATE structure SET name = :name WHERE id = :id"), {"name": name, "id": structure_id})
    return name


def rename_then_fail(session, structure_id: int, name: str) -> None:
    rename_commune(session, structure_id, name)
    raise ValueError("refusé")


@pytest.fixture
def demo(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    plain = Database(url)
    SQLModel.metadata.create_all(plain.engine)
    loaded = _load(plain, monkeypatch)
    plain.dispose()
    database = Database(url, write_process=True)
    loaded.db = database
    yield loaded
    write_process.shutdown()
    database.dispose()


def commune_name(d) -> str:
    with d.db.session() as s:
        return s.get(Structure, d.structure).name


def valider(d, wanted) -> choices.ApplyResult:
    with d.db.session() as s:
        version = period_view.build_period_view(s, NOW, d.structure, d.martin, WEEK_7_DEC).basket_version
    return d.db.run_write(choices.apply_choices, NOW, d.structure, d.martin, WEEK_7_DEC, set(wanted), version)


def pending_days(d) -> list:
    with d.db.session() as s:
        return sorted(
            r.day
            for r in s.exec(
                select(Reservation).where(Reservation.family_id == d.martin, Reservation.status == "pending")
            )
        )


def test_settings_turn_the_write_process_on_by_default_and_off_with_zero(tmp_path):
    assert Settings.from_env({"CANTINE_VAR_DIR": str(tmp_path)}).write_process is True
    assert Settings.from_env({"CANTINE_VAR_DIR": str(tmp_path), "CANTINE_WRITE_PROCESS": "0"}).write_process is False
    assert Database("postgresql+psycopg://u@127.0.0.1:1/x", write_process=True).write_process is False


def test_valider_runs_in_the_helper_and_the_worker_reads_what_it_saved(demo):
    assert demo.db.run_write(process_id) != os.getpid()
    result = valider(demo, {(demo.lea, demo.canteen, MON), (demo.lea, demo.canteen, TUE)})
    assert result.ok, result.message
    assert result.message == "Vos choix sont enregistrés : 2 jours ajoutés au panier."
    assert pending_days(demo) == [MON, TUE]


def test_an_error_in_the_helper_comes_back_and_rolls_its_transaction_back(demo):
    before = commune_name(demo)
    with pytest.raises(ValueError, match="refusé"):
        demo.db.run_write(rename_then_fail, demo.structure, "Renommée")
    assert commune_name(demo) == before
    assert demo.db.run_write(rename_commune, demo.structure, "Renommée") == "Renommée"
    assert commune_name(demo) == "Renommée"


def test_a_killed_helper_loses_nothing_and_is_replaced(demo):
    first = demo.db.run_write(process_id)
    os.kill(first, signal.SIGKILL)
    result = valider(demo, {(demo.lea, demo.canteen, MON)})  # the helper is dead: written here instead
    assert result.ok, result.message
    assert pending_days(demo) == [MON]
    second = demo.db.run_write(process_id)
    assert second not in (first, os.getpid())


def test_a_write_asked_inside_a_write_transaction_runs_here_instead_of_deadlocking(demo):
    with demo.db.write_session():
        assert demo.db.run_write(process_id) == os.getpid()
    assert demo.db.run_write(process_id) != os.getpid()


def test_writers_of_two_processes_queue_on_the_same_lock(demo):
    """The worker holds the writer lock: the helper's transaction waits for it, then goes through."""
    demo.db.run_write(process_id)  # the helper is up
    assert demo.db._writer.acquire()
    done = threading.Event()
    thread = threading.Thread(target=lambda: (demo.db.run_write(rename_commune, demo.structure, "Après"), done.set()))
    try:
        thread.start()
        assert not done.wait(1.0), "the helper wrote while the worker held the writer lock"
        assert commune_name(demo) != "Après"
    finally:
        demo.db._writer.release()
    thread.join(10)
    assert done.is_set()
    assert commune_name(demo) == "Après"


def _worker_using_both_helpers(url: str) -> None:
    """What a Granian worker does: a forked child that starts both helpers, then returns."""
    from cantine_portal.infra.pdf import isolated as pdf_process
    from tests.unit.test_pdf import GENERATED_AT, _receipt_data

    database = Database(url, write_process=True)
    database.run_write(process_id)
    pdf_process.render_receipt_isolated(_receipt_data(), generated_at=GENERATED_AT)


def test_a_stopping_worker_stops_its_helpers_instead_of_hanging(demo):
    """multiprocessing joins a child's children before concurrent.futures stops its pools: without
    the finalizer a stopped portal waited for its helpers forever."""
    import multiprocessing

    worker = multiprocessing.get_context("fork").Process(target=_worker_using_both_helpers, args=(demo.db.url,))
    worker.start()
    worker.join(60)
    stuck = worker.is_alive()
    if stuck:
        worker.kill()
    assert not stuck, "the worker did not exit: its helper processes kept it alive"
    assert worker.exitcode == 0


def _worker_killed_outright(url: str, pids) -> None:
    from cantine_portal.infra.pdf import isolated as pdf_process

    database = Database(url, write_process=True)
    pids.put(database.run_write(process_id))
    pids.put(pdf_process._helper.call(os.getpid))
    time.sleep(120)  # killed long before


def test_helpers_of_a_worker_killed_outright_go_away(demo):
    """SIGKILL gives a worker no chance to stop its helpers: they notice and exit by themselves."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    pids = context.Queue()
    worker = context.Process(target=_worker_killed_outright, args=(demo.db.url, pids))
    worker.start()
    helpers = [pids.get(timeout=60), pids.get(timeout=60)]
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(10)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(pid) for pid in helpers):
        time.sleep(0.2)
    assert not [pid for pid in helpers if _alive(pid)], "orphan helper processes left behind"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # Orphans are reaped by init; a zombie of ours would still answer: read its state.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
