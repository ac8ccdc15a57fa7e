"""Deadline night: N parents of a generated commune book their month on the running portal.

Each simulated parent does what a parent does, over the portal's real protocols:

1. logs in with a plain HTTP form post (``POST /api/{slug}/connexion``, httpx) and keeps the
   HttpOnly ``cp_session_{slug}`` cookie;
2. opens a websocket to Reflex (``/_event``, bench/reflex_client.py over wsproto: no aiohttp
   needed) with that cookie and a matching Origin, and loads ``/{slug}/reservations``
   (``hydrate_and_load``; the portal lands on the first period still open, next month);
3. ticks free days one by one with a think time (``ReservationTicks.toggle``), then clicks Valider
   (``ReservationState.validate``), and does the same on the next month (``next_period``);
4. pays: "Valider votre panier maintenant" (``show_basket``), "Payer" (``pay``, answered by a
   ``_redirect`` to ``/banque-simulee/sim_…``), the bank page on the same websocket
   (``hydrate_and_load`` with that pathname), the bank's "Payer" (``SimulatedBankState.pay``: signed
   notification server to server, then a ``_redirect`` to ``/{slug}/paiement/retour?ref=…``);
5. opens Factures (``/{slug}/factures``) and waits for its new receipt.

It prints, per action, throughput and p50/p95/p99 latency (from sending the event to the
update that answers it), the errors, then checks the database: every family has exactly the
reservations its parent validated, none lost, none doubled; every paid basket has one succeeded
payment and one receipt; receipt numbers have no gap; money balances (payments = receipts, and days
still paid = payments + credits used − credits issued).

``--kill-worker-at S`` (scale-out mode, with ``--server-pid`` of ``python -m cantine_portal.serve``)
kills one backend worker S seconds into the run; Granian starts a new one, parents whose
websocket dropped reconnect, reload the page (as a browser does), re-tick what was not saved yet
and finish.

    python bench/deadline_night.py --url http://127.0.0.1:3000 --parents 300 --think-time 2

The database is the portal's (``DATABASE_URL`` or the default SQLite file under
``CANTINE_VAR_DIR``); the commune is generated there on first use (bench/commune.py).
Every loop is bounded: ``--duration`` caps the arrivals, each action times out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402  (after sys.path is set above)

from bench.reflex_client import ConnectionClosed, ReflexClient  # noqa: E402  (after sys.path is set above)

# Reflex's full state names (as in its deltas), from the portal's own classes.
from cantine_portal.state.payment import ReceiptsState, SimulatedBankState  # noqa: E402  (after sys.path is set above)
from cantine_portal.state.reservations import ReservationState, ReservationTicks  # noqa: E402  (after sys.path is set above)

ROOT_STATE = "reflex___state____state"
RES_STATE = ReservationState.get_full_name()  # the page: tables, messages, basket, validate, pay
TICKS_STATE = ReservationTicks.get_full_name()  # its substate: toggle, live totals, unsaved count
BANK_STATE = SimulatedBankState.get_full_name()  # /banque-simulee/[bank_session]: load_bank, pay
RECEIPTS_STATE = ReceiptsState.get_full_name()  # /{slug}/factures: load_receipts
F = "_rx_state_"  # Reflex suffixes every field name in a delta with this marker
ACTION_TIMEOUT = 30.0
ACTIONS = (
    "login",
    "connect",
    "load",
    "tick",
    "valider",
    "navigate",
    "basket",
    "checkout",
    "bank_page",
    "bank_pay",
    "pay",
    "factures",
)


class Disconnected(Exception):
    """The websocket dropped (worker killed or restarted): reconnect and reload."""


class ActionFailed(Exception):
    pass


# --- measurements ---------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    notes: set[str] = field(default_factory=set)
    reconnects: int = 0
    # How late this load generator's own event loop wakes up: its share of the measured latencies.
    loop_lag: list[float] = field(default_factory=list)
    parents_done: int = 0
    parents_failed: int = 0
    # family reference -> number of cells its parent saw saved by Valider
    validated: dict[str, int] = field(default_factory=dict)
    # family reference -> the payment reference its parent saw confirmed (back on the return page)
    paid: dict[str, str] = field(default_factory=dict)

    def time(self, action: str, seconds: float) -> None:
        self.latencies[action].append(seconds)

    def error(self, action: str, detail: str) -> None:
        self.errors[action] += 1
        if self.errors[action] <= 3:  # a few examples of each kind
            self.error_samples.append(f"{action}: {detail}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def report(stats: Stats, elapsed: float) -> str:
    lines = [
        f"{'action':<10} {'count':>7} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6}"
    ]
    for action in ACTIONS:
        values = stats.latencies.get(action, [])
        if not values and not stats.errors.get(action):
            continue
        ms = [v * 1000 for v in values]
        lines.append(
            f"{action:<10} {len(values):>7} {len(values) / elapsed:>8.1f} {percentile(ms, 50):>8.1f} "
            f"{percentile(ms, 95):>8.1f} {percentile(ms, 99):>8.1f} {max(ms) if ms else float('nan'):>8.1f} "
            f"{stats.errors.get(action, 0):>6}"
        )
    return "\n".join(lines)


# --- one browser tab, spoken in Reflex's protocol ----------------------------------------------


class Tab:
    """One browser tab: a websocket to Reflex (bench/reflex_client.py, no aiohttp needed) with the
    state deltas merged per substate as the browser's reducers would, and the client-side events
    ("_redirect"...) the server asks for. ``path`` is the page the tab shows (router_data)."""

    def __init__(self, base_url: str, cookie: str, path: str):
        self.client = ReflexClient(base_url, path, headers={"Cookie": cookie})
        self.state: dict[str, dict[str, Any]] = defaultdict(dict)
        self.events: list[dict] = []
        self._waiter: tuple[Callable[[dict], bool], asyncio.Future] | None = None
        self.connected = False

    @property
    def path(self) -> str:
        return self.client.pathname

    @path.setter
    def path(self, value: str) -> None:
        self.client.pathname = value

    async def connect(self) -> None:
        self.client.on_update = self._on_update
        self.client.on_close = self._on_close
        try:
            await asyncio.wait_for(self.client.connect(timeout=ACTION_TIMEOUT), ACTION_TIMEOUT)
        except (OSError, ConnectionError, ConnectionClosed) as exc:
            # Closed during the handshake (a worker just killed or not restarted yet): the browser
            # retries with a back-off, so does the parent (a bounded number of times).
            raise Disconnected() from exc
        except Exception as exc:
            raise ActionFailed(f"websocket: {exc.__class__.__name__}: {exc}") from exc
        self.connected = True

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.client.close(), 5)
        except Exception:  # noqa: BLE001 - closing a dead socket
            pass

    def _on_update(self, update: dict) -> None:
        for name, values in (update.get("delta") or {}).items():
            self.state[name].update(values)
        if update.get("events"):
            self.events.extend(update["events"])
        if self._waiter and not self._waiter[1].done() and self._waiter[0](update):
            self._waiter[1].set_result(update)

    def _on_close(self) -> None:
        self.connected = False
        if self._waiter and not self._waiter[1].done():
            self._waiter[1].set_exception(Disconnected())

    async def call(self, handler: str, payload: dict, done: Callable[[dict], bool]) -> dict:
        """Send one event (``handler`` = full state name + "." + method); return the update for
        which ``done(update)`` holds."""
        if not self.connected:
            raise Disconnected()
        future = asyncio.get_running_loop().create_future()
        self._waiter = (done, future)
        try:
            await self.client.emit(handler, payload)
            return await asyncio.wait_for(future, ACTION_TIMEOUT)
        except TimeoutError as exc:
            raise ActionFailed(f"{handler.rsplit('.', 1)[-1]}: no answer in {ACTION_TIMEOUT:.0f} s") from exc
        except Disconnected:
            raise
        except (ConnectionClosed, ConnectionError, OSError) as exc:
            # Sending on a socket whose worker was just killed, before the reader noticed.
            raise Disconnected() from exc
        except Exception as exc:
            if not self.connected or self.client.closed:
                raise Disconnected() from exc
            raise
        finally:
            self._waiter = None

    async def load(self, ready: Callable[[], bool] = lambda: True) -> None:
        """hydrate_and_load of ``path``: done when the state says it is hydrated and ``ready()`` holds.

        Reflex 0.10 may flip ``is_hydrated`` before an on_load handler of another substate has
        answered, so the page's own data is waited for too, as a parent waits for the table.
        """
        await self.call(
            f"{ROOT_STATE}.hydrate_and_load", {}, lambda u: self.var(ROOT_STATE, "is_hydrated") is True and ready()
        )

    def var(self, state: str, name: str) -> Any:
        return self.state.get(state, {}).get(name + F)

    def res(self, name: str) -> Any:
        return self.var(RES_STATE, name)

    def redirect(self) -> str | None:
        """The path of the last "_redirect" event the server sent, if any."""
        for event in reversed(self.events):
            if event.get("name") == "_redirect":
                return str((event.get("payload") or {}).get("path", ""))
        return None


def _delta(update: dict, state: str = RES_STATE) -> dict:
    return (update.get("delta") or {}).get(state, {})


def _redirected(update: dict) -> bool:
    return any(e.get("name") == "_redirect" for e in update.get("events") or [])


# --- one parent ---------------------------------------------------------------------------------


@dataclass
class Options:
    url: str
    slug: str
    password: str
    ticks: int
    months: int
    think: float
    pay: bool


async def login(http: httpx.AsyncClient, opts: Options, email: str) -> str:
    response = await http.post(
        f"/api/{opts.slug}/connexion",
        headers={"Origin": opts.url},
        data={"email": email, "password": opts.password, "suite": f"/{opts.slug}/reservations"},
    )
    token = response.cookies.get(f"cp_session_{opts.slug}")
    if response.status_code != 303 or not token:
        raise ActionFailed(f"login {response.status_code} → {response.headers.get('location')}")
    return f"cp_session_{opts.slug}={token}"


def free_cells(tab: Tab) -> list[str]:
    keys = []
    for child in tab.res("tables") or []:
        for day in child["days"]:
            for cell in day["cells"]:
                if cell["editable"] and cell["state"] == "free":
                    keys.append(cell["key"])
    return keys


def saved_cells(tab: Tab) -> set[str]:
    return {
        cell["key"]
        for child in tab.res("tables") or []
        for day in child["days"]
        for cell in day["cells"]
        if cell["state"] in ("pending", "paid")
    }


async def think(opts: Options, rng: random.Random) -> None:
    if opts.think > 0:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * opts.think)


async def open_reservations(tab: Tab, stats: Stats) -> None:
    started = time.perf_counter()
    await tab.connect()
    stats.time("connect", time.perf_counter() - started)
    started = time.perf_counter()
    await tab.load(lambda: bool(tab.res("tables") or tab.res("error_message")))
    stats.time("load", time.perf_counter() - started)
    if not tab.res("tables"):
        raise ActionFailed(f"Réservations loaded without tables: {tab.res('error_message')!r}")


async def tick(tab: Tab, key: str, stats: Stats) -> None:
    """ReservationTicks.toggle: answered by the substate's delta (unsaved count, totals)."""
    before = tab.var(TICKS_STATE, "unsaved_count") or 0
    started = time.perf_counter()
    update = await tab.call(
        f"{TICKS_STATE}.toggle", {"key": key}, lambda u: "unsaved_count" + F in _delta(u, TICKS_STATE)
    )
    stats.time("tick", time.perf_counter() - started)
    after = _delta(update, TICKS_STATE)["unsaved_count" + F]
    if abs(after - before) != 1 or "grand_total" + F not in _delta(update, TICKS_STATE):
        raise ActionFailed(f"tick {key} not applied (unsaved {before} → {after})")


async def valider(tab: Tab, stats: Stats) -> None:
    started = time.perf_counter()
    update = await tab.call(
        f"{RES_STATE}.validate",
        {},
        lambda u: bool(_delta(u).get("info_message" + F) or _delta(u).get("error_message" + F)),
    )
    stats.time("valider", time.perf_counter() - started)
    if _delta(update).get("error_message" + F):
        raise ActionFailed(f"Valider refused: {_delta(update)['error_message' + F]}")


async def pay(tab: Tab, opts: Options, stats: Stats, reference: str) -> None:
    """ "Valider votre panier maintenant", "Payer", the simulated bank's "Payer", back to the portal.

    All on the tab's websocket, as the browser does: ``rx.redirect`` is a client-side navigation,
    so the bank page is one more ``hydrate_and_load`` with its own pathname.
    """
    started = time.perf_counter()
    update = await tab.call(
        f"{RES_STATE}.show_basket",
        {},
        lambda u: _delta(u).get("basket_visible" + F) is True or bool(_delta(u).get("error_message" + F)),
    )
    stats.time("basket", time.perf_counter() - started)
    if _delta(update).get("error_message" + F):
        raise ActionFailed(f"basket refused: {_delta(update)['error_message' + F]}")
    if not tab.res("basket_payable"):
        raise ActionFailed(f"basket not payable: {tab.res('basket_note')!r}")
    tab.events.clear()
    pay_started = started = time.perf_counter()
    update = await tab.call(
        f"{RES_STATE}.pay", {}, lambda u: _redirected(u) or bool(_delta(u).get("error_message" + F))
    )
    stats.time("checkout", time.perf_counter() - started)
    target = tab.redirect()
    if target is None:
        raise ActionFailed(f"Payer refused: {_delta(update).get('error_message' + F)!r}")
    return_prefix = f"/{opts.slug}/paiement/retour?ref="
    if not target.startswith(return_prefix):  # not all paid by credit: the bank
        if not target.startswith("/banque-simulee/"):
            raise ActionFailed(f"Payer redirected to {target!r}")
        tab.path = target
        started = time.perf_counter()
        await tab.load(lambda: tab.var(BANK_STATE, "bank_status") not in (None, "loading"))
        stats.time("bank_page", time.perf_counter() - started)
        status = tab.var(BANK_STATE, "bank_status")
        if status != "open":
            raise ActionFailed(f"bank page {target}: {status}")
        tab.events.clear()
        started = time.perf_counter()
        update = await tab.call(
            f"{BANK_STATE}.pay", {}, lambda u: _redirected(u) or bool(_delta(u, BANK_STATE).get("error_message" + F))
        )
        stats.time("bank_pay", time.perf_counter() - started)
        target = tab.redirect()
        if target is None or not target.startswith(return_prefix):
            raise ActionFailed(f"bank answered {target!r} / {_delta(update, BANK_STATE).get('error_message' + F)!r}")
    stats.time("pay", time.perf_counter() - pay_started)
    stats.paid[reference] = target[len(return_prefix) :].split("&")[0]


async def factures(tab: Tab, opts: Options, stats: Stats) -> None:
    """Factures (ReceiptsState.load_receipts): done when the receipts list arrives, non-empty
    once the parent has paid."""
    tab.path = f"/{opts.slug}/factures"
    started = time.perf_counter()
    await tab.load(
        lambda: (
            bool(tab.var(RECEIPTS_STATE, "receipt_rows"))
            or not opts.pay
            and tab.var(RECEIPTS_STATE, "receipt_rows") is not None
        )
    )
    stats.time("factures", time.perf_counter() - started)


async def navigate_next(tab: Tab, stats: Stats) -> None:
    """ "Mois suivant": the next period's tables."""
    started = time.perf_counter()
    update = await tab.call(
        f"{RES_STATE}.next_period",
        {},
        lambda u: "period_label" + F in _delta(u) or bool(_delta(u).get("error_message" + F)),
    )
    stats.time("navigate", time.perf_counter() - started)
    if _delta(update).get("error_message" + F):
        raise ActionFailed(f"next period refused: {_delta(update)['error_message' + F]}")


async def parent(
    n: int,
    email: str,
    reference: str,
    opts: Options,
    stats: Stats,
    rng: random.Random,
    stop_at: float,
    cookie: str | None = None,
) -> None:
    """One parent's evening; reconnects (a bounded number of times) when the websocket drops.

    The parent books ``opts.months`` periods (the first open one, then "Mois suivant"), pays the
    basket through the simulated bank and opens Factures. After a reconnection the page reloads
    from the database, as in a browser: what was saved is shown reserved, unsaved ticks are gone
    and are ticked again; a parent who already came back from the bank only reopens Factures.
    """
    plan: dict[int, list[str]] = {}
    completed: set[int] = set()
    tab: Tab | None = None
    async with httpx.AsyncClient(base_url=opts.url, timeout=ACTION_TIMEOUT) as http:
        action = "login"
        try:
            if cookie is None:
                started = time.perf_counter()
                cookie = await login(http, opts, email)
                stats.time("login", time.perf_counter() - started)
            path = f"/{opts.slug}/reservations"
            for attempt in range(4):
                tab = Tab(opts.url, cookie, path)
                try:
                    if reference not in stats.paid:
                        action = "load"
                        await open_reservations(tab, stats)
                        for month in range(opts.months):
                            if month > 0:
                                action = "navigate"
                                await think(opts, rng)
                                await navigate_next(tab, stats)
                            saved = saved_cells(tab)
                            if month not in plan:
                                free = free_cells(tab)
                                plan[month] = rng.sample(free, min(opts.ticks, len(free)))
                            missing = [k for k in plan[month] if k not in saved]
                            for key in missing:
                                action = "tick"
                                await think(opts, rng)
                                await tick(tab, key, stats)
                            if missing:
                                action = "valider"
                                await think(opts, rng)
                                await valider(tab, stats)
                            lost = [k for k in plan[month] if k not in saved_cells(tab)]
                            if lost:
                                raise ActionFailed(f"after Valider the table does not show {lost} as reserved")
                            completed.add(month)
                            stats.validated[reference] = sum(len(plan[m]) for m in completed)
                        if opts.pay:
                            action = "pay"
                            await think(opts, rng)
                            await pay(tab, opts, stats, reference)
                    else:
                        action = "connect"
                        await tab.connect()
                    action = "factures"
                    await factures(tab, opts, stats)
                    stats.parents_done += 1
                    return
                except Disconnected:
                    stats.reconnects += 1
                    await tab.close()
                    await asyncio.sleep(0.5 + rng.random() * (attempt + 1))  # like the browser's back-off
                    if time.monotonic() > stop_at:
                        raise ActionFailed("gave up reconnecting at the end of the run") from None
            raise ActionFailed("websocket dropped 4 times")
        except (ActionFailed, httpx.HTTPError, OSError, Exception) as exc:  # noqa: BLE001 - counted, shown
            stats.error(action, f"{email}: {exc.__class__.__name__}: {exc}")
            stats.parents_failed += 1
        finally:
            if tab is not None:
                await tab.close()


async def prelogin(opts: Options, families: list[tuple[str, str]], stats: Stats, parallel: int) -> dict[str, str]:
    """Log the parents in before the run (argon2id costs ~0.2 s of CPU per login, on purpose)."""
    cookies: dict[str, str] = {}
    queue = list(families)

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=opts.url, timeout=ACTION_TIMEOUT) as http:
            while queue:
                email, _ref = queue.pop()
                started = time.perf_counter()
                try:
                    cookies[email] = await login(http, opts, email)
                    stats.time("login", time.perf_counter() - started)
                except Exception as exc:  # noqa: BLE001 - counted, shown
                    stats.error("login", f"{email}: {exc}")

    await asyncio.gather(*(worker() for _ in range(parallel)))
    return cookies


def machine_load() -> str:
    """Load averages (1, 5, 15 min) and cores: the portal shares this machine with whatever runs."""
    try:
        loads = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        loads = [f"{v:.2f}" for v in os.getloadavg()]
    return f"load average {', '.join(loads)} on {os.cpu_count()} cores"


async def watch_loop_lag(stats: Stats, stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.1)
        stats.loop_lag.append(time.perf_counter() - started - 0.1)


# --- killing a worker ---------------------------------------------------------------------------


def worker_pids(server_pid: int) -> list[int]:
    """Children of the Granian supervisor (its backend workers), from /proc.

    Under `python -m cantine_portal run` the supervisor is the launcher, whose other child is the
    task-queue consumer: that one is not a backend worker.
    """
    supervisors = [server_pid]
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if int(fields[1]) in supervisors and b"cantine_portal consumer" not in command:
            pids.append(int(stat.parent.name))
    return sorted(pids)


async def kill_worker_later(delay: float, server_pid: int, stats: Stats) -> None:
    await asyncio.sleep(delay)
    workers = worker_pids(server_pid)
    if not workers:
        stats.notes.add(f"--kill-worker-at: no worker found under pid {server_pid}")
        return
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    print(f"[{delay:.0f} s] killed backend worker {victim} (workers were {workers})", flush=True)
    for _ in range(40):
        await asyncio.sleep(0.5)
        now = worker_pids(server_pid)
        if len(now) >= len(workers) and victim not in now:
            print(f"           Granian started a new worker: {now}", flush=True)
            return
    stats.notes.add("the killed worker was not restarted within 20 s")


# --- the database check --------------------------------------------------------------------------


def check_database(database_url: str, slug: str, stats: Stats) -> list[str]:
    """What the parents saw against what the database holds; prints the money identity."""
    from sqlalchemy import func
    from sqlmodel import select

    from cantine_portal.infra.db import Database
    from cantine_portal.models import Basket, Credit, Family, Payment, Receipt, ReceiptCounter, Reservation, Structure

    db = Database(database_url)
    problems = []
    with db.session() as session:
        structure = session.exec(select(Structure).where(Structure.slug == slug)).one()
        sid = structure.id
        counts = dict(
            session.exec(
                select(Family.reference, func.count(Reservation.id))
                .join(Reservation, Reservation.family_id == Family.id)
                .where(Reservation.structure_id == sid, Reservation.status != "cancelled")
                .group_by(Family.reference)
            ).all()
        )
        doubles = session.exec(
            select(Reservation.child_id, Reservation.service_id, Reservation.day, func.count())
            .where(Reservation.structure_id == sid, Reservation.status != "cancelled")
            .group_by(Reservation.child_id, Reservation.service_id, Reservation.day)
            .having(func.count() > 1)
        ).all()
        references = dict(session.exec(select(Family.id, Family.reference).where(Family.structure_id == sid)).all())
        payments = session.exec(select(Payment).where(Payment.structure_id == sid)).all()
        receipts = session.exec(select(Receipt).where(Receipt.structure_id == sid)).all()
        counters = session.exec(select(ReceiptCounter).where(ReceiptCounter.structure_id == sid)).all()
        credits = session.exec(select(Credit).where(Credit.structure_id == sid)).all()
        reservations = session.exec(select(Reservation).where(Reservation.structure_id == sid)).all()
        baskets = {b.id: b for b in session.exec(select(Basket).where(Basket.structure_id == sid)).all()}
    db.dispose()

    # 1. Reservations: exactly what the parents saw saved.
    lost = {ref: (n, counts.get(ref, 0)) for ref, n in stats.validated.items() if counts.get(ref, 0) < n}
    extra = {ref: (stats.validated.get(ref, 0), n) for ref, n in counts.items() if n > stats.validated.get(ref, 0)}
    if lost:
        problems.append(
            f"LOST: {len(lost)} families have fewer reservations than validated, e.g. {list(lost.items())[:5]}"
        )
    if extra:
        # A parent that failed mid-run may have had its Valider saved without seeing the answer:
        # that is not a double, but it is reported so that it is looked at.
        problems.append(
            f"UNCONFIRMED: {len(extra)} families have more reservations than their parent saw "
            f"saved (answer lost?), e.g. {list(extra.items())[:5]}"
        )
    if doubles:
        problems.append(f"DOUBLED: {len(doubles)} (child, service, day) with two active reservations")
    print(
        f"database: {sum(counts.values())} active reservations for {len(counts)} families; parents saw "
        f"{sum(stats.validated.values())} saved for {len(stats.validated)} families",
        flush=True,
    )

    # 2. Payments and receipts: every basket paid once, one receipt per succeeded payment.
    succeeded = [p for p in payments if p.status == "succeeded"]
    by_family: dict[str, list[Payment]] = defaultdict(list)
    for p in succeeded:
        by_family[references[p.family_id]].append(p)
    receipt_of = defaultdict(list)
    for r in receipts:
        receipt_of[r.payment_id].append(r)
    seen_paid = {ref: pref for ref, pref in stats.paid.items()}
    not_once = {ref: len(by_family.get(ref, [])) for ref in seen_paid if len(by_family.get(ref, [])) != 1}
    wrong_ref = [
        ref
        for ref, pref in seen_paid.items()
        if len(by_family.get(ref, [])) == 1 and by_family[ref][0].reference != pref
    ]
    unseen = [ref for ref in by_family if ref not in seen_paid]
    per_basket = defaultdict(int)
    for p in succeeded:
        per_basket[p.basket_id] += 1
    twice = [b for b, n in per_basket.items() if n > 1]
    no_receipt = [p.reference for p in succeeded if len(receipt_of.get(p.id, [])) != 1]
    orphan_receipts = [r.number for r in receipts if r.payment_id not in {p.id for p in succeeded}]
    unpaid_baskets = [
        p.reference for p in succeeded if baskets.get(p.basket_id) is None or baskets[p.basket_id].status != "paid"
    ]
    pending_of_paid = [r.id for r in reservations if r.status == "pending" and references[r.family_id] in seen_paid]
    for label, bad in (
        ("paid parents without exactly one succeeded payment (family: count)", not_once),
        ("payment reference differs from the one the parent was sent back with", wrong_ref),
        ("succeeded payments no parent saw confirmed", unseen),
        ("baskets paid twice", twice),
        ("succeeded payments without exactly one receipt", no_receipt),
        ("receipts of no succeeded payment", orphan_receipts),
        ("succeeded payments whose basket is not 'paid'", unpaid_baskets),
        ("reservations still pending in a paid family", pending_of_paid),
    ):
        if bad:
            problems.append(
                f"PAYMENTS: {len(bad)} {label}, e.g. {list(bad.items())[:5] if isinstance(bad, dict) else bad[:5]}"
            )
    statuses = defaultdict(int)
    for p in payments:
        statuses[p.status] += 1
    print(
        f"payments: {dict(statuses)}; receipts: {len(receipts)}; parents back from the bank: {len(seen_paid)}",
        flush=True,
    )

    # 3. Receipt numbers: per commune and year, 1..N without gaps nor doubles, counter at N.
    by_year: dict[int, list[int]] = defaultdict(list)
    for r in receipts:
        year, number = r.number.split("-")
        by_year[int(year)].append(int(number))
    for year, numbers in sorted(by_year.items()):
        counter = next((c.last_number for c in counters if c.year == year), None)
        ok = sorted(numbers) == list(range(1, len(numbers) + 1)) and counter == len(numbers)
        print(
            f"receipt numbers {year}: {len(numbers)} receipts, {year}-{min(numbers):06d} … {year}-{max(numbers):06d}, "
            f"counter at {counter}: {'no gap, no double' if ok else 'GAP OR DOUBLE'}",
            flush=True,
        )
        if not ok:
            missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))[:10]
            problems.append(f"RECEIPTS: numbering of {year} broken (missing {missing}, counter {counter})")

    # 4. Money. Credit ledger: issued > 0 (a paid day cancelled), used < 0 (taken off a basket).
    paid_cents = sum(p.amount_cents for p in succeeded)
    receipts_cents = sum(r.amount_cents for r in receipts)
    issued = sum(c.amount_cents for c in credits if c.amount_cents > 0)
    used = -sum(c.amount_cents for c in credits if c.amount_cents < 0)
    used_by_payments = sum(p.credit_cents for p in succeeded)
    reserved_paid = sum(r.price_cents for r in reservations if r.status == "paid")
    cancelled_paid = sum(r.price_cents for r in reservations if r.status == "cancelled" and r.payment_id is not None)
    euros = lambda cents: f"{cents / 100:,.2f} €".replace(",", " ")  # noqa: E731  (a one-line formatter local to this report)
    print(
        f"money: succeeded payments {euros(paid_cents)} = receipts {euros(receipts_cents)}: "
        f"{'OK' if paid_cents == receipts_cents else 'MISMATCH'}",
        flush=True,
    )
    # Every day ever paid was paid by the bank or by credit: paid days (still paid + paid then
    # cancelled) = payments + credits used. A paid day cancelled gives its price back as credit:
    # days still paid = payments + credits used − credits issued.
    print(
        f"money: days still paid {euros(reserved_paid)} = payments {euros(paid_cents)} + credits used "
        f"{euros(used)} − credits issued {euros(issued)} = {euros(paid_cents + used - issued)}: "
        f"{'OK' if reserved_paid == paid_cents + used - issued else 'MISMATCH'} "
        f"(paid days cancelled since: {euros(cancelled_paid)}; credits used per payments {euros(used_by_payments)}; "
        f"credit balance left {euros(issued - used)})",
        flush=True,
    )
    if paid_cents != receipts_cents:
        problems.append(f"MONEY: payments {paid_cents} ≠ receipts {receipts_cents} (cents)")
    if reserved_paid != paid_cents + used - issued:
        problems.append(
            f"MONEY: days still paid {reserved_paid} ≠ payments {paid_cents} + credits used {used} "
            f"− credits issued {issued} (cents)"
        )
    if used != used_by_payments:
        problems.append(f"MONEY: credit ledger says {used} used, payments say {used_by_payments} (cents)")
    mismatched = [
        p.reference
        for p in succeeded
        if sum(r.price_cents for r in reservations if r.payment_id == p.id and r.status != "cancelled")
        + sum(r.price_cents for r in reservations if r.payment_id == p.id and r.status == "cancelled")
        != p.amount_cents + p.credit_cents
    ]
    if mismatched:
        problems.append(f"MONEY: {len(mismatched)} payments whose days ≠ amount + credit, e.g. {mismatched[:5]}")
    return problems


# --- main -------------------------------------------------------------------------------------


def prepare(database_url: str, args) -> tuple[list[tuple[str, str]], int]:
    """Generate the commune if needed, forget earlier runs; returns (email, family reference) pairs."""
    from sqlmodel import select

    from bench.commune import BENCH_SLUG, generate_commune, reset_activity
    from cantine_portal import clock
    from cantine_portal.infra.db import Database
    from cantine_portal.models import Account, Family

    db = Database(database_url)
    started = time.perf_counter()
    with db.write_session() as session:
        size = generate_commune(
            session, clock.now(), families=args.families, children=args.children, slug=args.slug or BENCH_SLUG
        )
    if size.created:
        print(
            f"generated commune: {size.families} families, {size.children} children "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    with db.write_session() as session:
        reset_activity(session, size.structure_id)
    with db.session() as session:
        rows = session.exec(
            select(Account.email, Family.reference)
            .join(Family, Family.id == Account.family_id)
            .where(Account.structure_id == size.structure_id, Account.role == "parent")
            .order_by(Family.reference)
        ).all()
    db.dispose()
    return [(email, ref) for email, ref in rows], size.families


async def run(args) -> int:
    from bench.commune import BENCH_PASSWORD, BENCH_SLUG
    from cantine_portal.config import Settings

    slug = args.slug or BENCH_SLUG
    database_url = args.database_url or Settings.from_env().database_url
    families, _count = prepare(database_url, args)
    base = args.url.rstrip("/")
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        health = await http.get("/api/health")
        if health.status_code != 200:
            print(f"portal not healthy at {base}: {health.status_code}")
            return 2
    opts = Options(
        url=base,
        slug=slug,
        password=BENCH_PASSWORD,
        ticks=args.ticks,
        months=args.months,
        think=args.think_time,
        pay=not args.no_pay,
    )
    stats = Stats()
    print(f"machine before: {machine_load()}", flush=True)
    rng = random.Random(args.seed)
    semaphore = asyncio.Semaphore(args.parents)
    total = min(args.sessions or len(families), len(families))
    print(
        f"{total} parents, at most {args.parents} at once, arriving {args.arrival_rate}/s, "
        f"think time {args.think_time} s, {args.ticks} ticks each, on {base} (database {database_url.split('@')[-1]})",
        flush=True,
    )
    cookies: dict[str, str] = {}
    if args.prelogin:
        login_started = time.monotonic()
        cookies = await prelogin(opts, families[:total], stats, args.login_parallel)
        login_elapsed = time.monotonic() - login_started
        print(
            f"logged in {len(cookies)} parents beforehand in {login_elapsed:.1f} s "
            f"({len(cookies) / login_elapsed:.1f}/s, {args.login_parallel} at a time)",
            flush=True,
        )
    started = time.monotonic()
    stop_arrivals = started + args.duration
    hard_stop = stop_arrivals + args.grace
    killer = None
    if args.kill_worker_at is not None:
        if args.server_pid is None:
            print("--kill-worker-at needs --server-pid (the pid of python -m cantine_portal.serve)")
            return 2
        killer = asyncio.create_task(kill_worker_later(args.kill_worker_at, args.server_pid, stats))

    async def one(i: int, email: str, reference: str) -> None:
        async with semaphore:
            await parent(
                i, email, reference, opts, stats, random.Random(args.seed * 100003 + i), hard_stop, cookies.get(email)
            )

    lag_stop = asyncio.Event()
    lag_task = asyncio.create_task(watch_loop_lag(stats, lag_stop))
    tasks = []
    for i, (email, reference) in enumerate(families[:total]):
        if time.monotonic() > stop_arrivals:
            break
        tasks.append(asyncio.create_task(one(i, email, reference)))
        await asyncio.sleep(rng.expovariate(args.arrival_rate) if args.arrival_rate > 0 else 0)
    remaining = max(1.0, hard_stop - time.monotonic())
    done, pending = await asyncio.wait(tasks, timeout=remaining) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    if pending:
        stats.error("run", f"{len(pending)} parents still busy at the time cap were cancelled")
        stats.parents_failed += len(pending)
        await asyncio.gather(*pending, return_exceptions=True)
    if killer is not None:
        killer.cancel()
    lag_stop.set()
    await lag_task
    elapsed = time.monotonic() - started
    print()
    print(f"machine after:  {machine_load()}")
    print(report(stats, elapsed))
    print(
        f"\n{stats.parents_done} parents finished, {stats.parents_failed} failed, {stats.reconnects} reconnections, "
        f"{sum(stats.errors.values())} errors, {elapsed:.1f} s"
    )
    lag = [v * 1000 for v in stats.loop_lag]
    print(
        f"load generator's own event-loop lag: p50 {percentile(lag, 50):.1f} ms, p95 {percentile(lag, 95):.1f} ms "
        f"(part of every latency above; the client shares the machine with the portal)"
    )
    for sample in stats.error_samples:
        print("  error:", sample)
    for note in sorted(stats.notes):
        print("  note:", note)
    problems = check_database(database_url, slug, stats)
    for problem in problems:
        print("  ", problem)
    print(
        "database check:",
        "OK — none lost, none doubled, every paid basket one payment and one receipt, "
        "numbers without gaps, money balanced"
        if not problems
        else "FAILED",
    )
    ok = not problems and not stats.errors
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="the running portal")
    parser.add_argument("--database-url", default=None, help="the portal's database (default: as the portal)")
    parser.add_argument("--slug", default=None, help="the generated commune's slug (default nuit)")
    parser.add_argument("--families", type=int, default=2000, help="families of the generated commune")
    parser.add_argument("--children", type=int, default=3500, help="children of the generated commune")
    parser.add_argument("--parents", type=int, default=300, help="parents on the portal at the same time")
    parser.add_argument("--sessions", type=int, default=None, help="parents in the whole run (default: every family)")
    parser.add_argument("--arrival-rate", type=float, default=20.0, help="new parents per second")
    parser.add_argument("--think-time", type=float, default=2.0, help="mean seconds between two clicks")
    parser.add_argument("--ticks", type=int, default=6, help="days each parent ticks per period")
    parser.add_argument("--months", type=int, default=2, help="periods each parent books (then Mois suivant)")
    parser.add_argument(
        "--prelogin",
        action="store_true",
        help="log every parent in before the clock starts (login measured on its own)",
    )
    parser.add_argument("--login-parallel", type=int, default=4, help="parallel logins with --prelogin")
    parser.add_argument("--duration", type=float, default=300.0, help="no new parent after this many seconds")
    parser.add_argument("--grace", type=float, default=120.0, help="seconds left to the parents still busy then")
    parser.add_argument("--no-pay", action="store_true", help="skip the basket/payment step")
    parser.add_argument("--kill-worker-at", type=float, default=None, help="kill one backend worker after S seconds")
    parser.add_argument("--server-pid", type=int, default=None, help="pid of python -m cantine_portal.serve")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
