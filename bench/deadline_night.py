"""Deadline night: N parents of a generated commune book their month on the running portal.

Each simulated parent does what a parent does, over the portal's real protocols:

1. logs in with a plain HTTP form post (``POST /api/{slug}/connexion``, httpx) and keeps the
   HttpOnly ``cp_session_{slug}`` cookie;
2. opens a websocket to Reflex (``/_event``, python-socketio) with that cookie and a matching
   Origin, and loads ``/{slug}/reservations`` (``hydrate_and_load``; the portal lands on the
   first period still open, next month);
3. ticks free days one by one with a think time, then clicks Valider;
4. pays: "Valider votre panier maintenant", then follows the bank redirect if the build has one
   (otherwise says so: no fake success);
5. opens Factures if this build has the page.

It prints, per action, throughput and p50/p95/p99 latency (from sending the event to the
state delta that answers it), the errors, then checks the database: every family has exactly the
reservations its parent validated, none lost, none doubled.

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
import statistics
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

ROOT_STATE = "reflex___state____state"
RES_STATE = ("reflex___state____state.cantine_portal___state___portal____portal_state"
             ".cantine_portal___state___auth____auth_state"
             ".cantine_portal___state___reservations____reservation_state")
F = "_rx_state_"  # Reflex suffixes every field name in a delta with this marker
ACTION_TIMEOUT = 30.0
PAYMENT_UNAVAILABLE = "payment step not available in this build"


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
    lines = [f"{'action':<10} {'count':>7} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6}"]
    for action in ("login", "connect", "load", "tick", "valider", "navigate", "basket", "pay", "factures"):
        values = stats.latencies.get(action, [])
        if not values and not stats.errors.get(action):
            continue
        ms = [v * 1000 for v in values]
        lines.append(f"{action:<10} {len(values):>7} {len(values) / elapsed:>8.1f} {percentile(ms, 50):>8.1f} "
                     f"{percentile(ms, 95):>8.1f} {percentile(ms, 99):>8.1f} {max(ms) if ms else float('nan'):>8.1f} "
                     f"{stats.errors.get(action, 0):>6}")
    return "\n".join(lines)


# --- one browser tab, spoken in Reflex's protocol ----------------------------------------------

class Tab:
    """A websocket to Reflex with the state deltas merged as the browser's reducers would."""

    def __init__(self, base_url: str, cookie: str, path: str):
        self.base_url = base_url
        self.cookie = cookie
        self.path = path
        self.token = str(uuid.uuid4())
        self.state: dict[str, Any] = {}
        self.events: list[dict] = []
        self._waiter: tuple[Callable[[dict], bool], asyncio.Future] | None = None
        self.sio = None
        self.connected = False

    async def connect(self) -> None:
        import socketio

        self.sio = socketio.AsyncClient(reconnection=False, request_timeout=ACTION_TIMEOUT)
        self.sio.on("event", self._on_event, namespace="/_event")
        self.sio.on("disconnect", self._on_disconnect, namespace="/_event")
        await self.sio.connect(f"{self.base_url}?token={self.token}", socketio_path="/_event",
                               namespaces=["/_event"], transports=["websocket"], wait_timeout=ACTION_TIMEOUT,
                               headers={"Cookie": self.cookie, "Origin": self.base_url})
        self.connected = True

    async def close(self) -> None:
        if self.sio is not None:
            try:
                await asyncio.wait_for(self.sio.disconnect(), 5)
            except Exception:  # noqa: BLE001 - closing a dead socket
                pass

    async def _on_event(self, update: dict) -> None:
        delta = update.get("delta") or {}
        for name, values in delta.items():
            if name == RES_STATE or name == ROOT_STATE:
                self.state.update(values)
        if update.get("events"):
            self.events.extend(update["events"])
        if self._waiter and not self._waiter[1].done() and self._waiter[0](update):
            self._waiter[1].set_result(update)

    async def _on_disconnect(self, *_args) -> None:
        self.connected = False
        if self._waiter and not self._waiter[1].done():
            self._waiter[1].set_exception(Disconnected())

    async def call(self, handler: str, payload: dict, done: Callable[[dict], bool], state: str = RES_STATE) -> dict:
        """Send one event; return the update for which ``done(update)`` holds."""
        if not self.connected:
            raise Disconnected()
        future = asyncio.get_running_loop().create_future()
        self._waiter = (done, future)
        router = {"pathname": self.path, "query": {}, "asPath": self.path}
        try:
            await self.sio.emit("event", {"name": f"{state}.{handler}", "payload": payload, "router_data": router},
                                namespace="/_event")
            return await asyncio.wait_for(future, ACTION_TIMEOUT)
        except asyncio.TimeoutError as exc:
            raise ActionFailed(f"{handler}: no answer in {ACTION_TIMEOUT:.0f} s") from exc
        except Exception as exc:
            if not self.connected or exc.__class__.__name__ in ("BadNamespaceError", "ConnectionError"):
                raise Disconnected() from exc
            raise
        finally:
            self._waiter = None

    async def load(self, ready: Callable[[dict], bool] = lambda state: True) -> dict:
        """hydrate_and_load: done when the state says it is hydrated and ``ready(state)`` holds.

        Reflex 0.10 may flip ``is_hydrated`` before an async on_load handler of another substate
        has answered, so the page's own data is waited for too, as a parent waits for the table.
        """
        await self.call("hydrate_and_load", {}, lambda u: self.state.get("is_hydrated" + F) is True
                        and ready(self.state), state=ROOT_STATE)
        return self.state

    def res(self, name: str) -> Any:
        return self.state.get(name + F)


def _res_delta(update: dict) -> dict:
    return (update.get("delta") or {}).get(RES_STATE, {})


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
    factures_available: bool


async def login(http: httpx.AsyncClient, opts: Options, email: str) -> str:
    response = await http.post(f"/api/{opts.slug}/connexion", headers={"Origin": opts.url},
                               data={"email": email, "password": opts.password,
                                     "suite": f"/{opts.slug}/reservations"})
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
    return {cell["key"] for child in tab.res("tables") or [] for day in child["days"] for cell in day["cells"]
            if cell["state"] in ("pending", "paid")}


async def think(opts: Options, rng: random.Random) -> None:
    if opts.think > 0:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * opts.think)


async def open_reservations(tab: Tab, stats: Stats) -> None:
    started = time.perf_counter()
    await tab.connect()
    stats.time("connect", time.perf_counter() - started)
    started = time.perf_counter()
    await tab.load(lambda state: bool(state.get("tables" + F) or state.get("error_message" + F)))
    stats.time("load", time.perf_counter() - started)
    if not tab.res("tables"):
        raise ActionFailed(f"Réservations loaded without tables: {tab.res('error_message')!r}")


async def tick(tab: Tab, key: str, stats: Stats) -> None:
    before = bool((tab.res("ticked") or {}).get(key))
    started = time.perf_counter()
    update = await tab.call("toggle", {"key": key}, lambda u: "ticked" + F in _res_delta(u))
    stats.time("tick", time.perf_counter() - started)
    if bool(_res_delta(update)["ticked" + F].get(key)) == before:
        raise ActionFailed(f"tick {key} not applied")


async def valider(tab: Tab, stats: Stats) -> None:
    started = time.perf_counter()
    update = await tab.call("validate", {}, lambda u: bool(_res_delta(u).get("info_message" + F)
                                                            or _res_delta(u).get("error_message" + F)))
    stats.time("valider", time.perf_counter() - started)
    if _res_delta(update).get("error_message" + F):
        raise ActionFailed(f"Valider refused: {_res_delta(update)['error_message' + F]}")


async def pay(tab: Tab, http: httpx.AsyncClient, opts: Options, stats: Stats) -> None:
    """"Valider votre panier maintenant", then the bank if this build sends the parent to one.

    The payment flow is being built separately: when the basket handler answers without a
    redirect to a bank, this step reports it as unavailable instead of pretending it paid.
    """
    tab.events.clear()
    started = time.perf_counter()
    update = await tab.call("show_basket", {}, lambda u: _res_delta(u).get("basket_visible" + F) is True
                            or bool(_res_delta(u).get("error_message" + F)) or bool(u.get("events")))
    stats.time("basket", time.perf_counter() - started)
    if _res_delta(update).get("error_message" + F):
        raise ActionFailed(f"basket refused: {_res_delta(update)['error_message' + F]}")
    await asyncio.sleep(0.2)  # a redirect may follow the basket's delta in its own update
    redirect = next((e for e in tab.events if "redirect" in str(e.get("name", ""))), None)
    if redirect is None:
        stats.notes.add(PAYMENT_UNAVAILABLE)
        return
    target = str((redirect.get("payload") or {}).get("path", ""))
    started = time.perf_counter()
    response = await http.get(target if target.startswith("http") else opts.url + target, follow_redirects=True)
    if response.status_code != 200:
        raise ActionFailed(f"bank page {response.status_code}")
    completed = await complete_bank_payment(http, opts, response)
    if completed:
        stats.time("pay", time.perf_counter() - started)
    else:
        stats.notes.add("bank page reached, but its payment form is not recognised by this load generator yet")


async def complete_bank_payment(http: httpx.AsyncClient, opts: Options, page: httpx.Response) -> bool:
    """Fill in here once the simulated bank exists: submit its "pay" form and follow back.

    Returns True only when the portal confirmed the payment.
    """
    return False


async def factures(tab: Tab, http: httpx.AsyncClient, opts: Options, stats: Stats) -> None:
    if not opts.factures_available:
        stats.notes.add("Factures page not available in this build")
        return
    tab.path = f"/{opts.slug}/factures"
    started = time.perf_counter()
    await tab.load()
    stats.time("factures", time.perf_counter() - started)


async def navigate_next(tab: Tab, stats: Stats) -> None:
    """"Mois suivant": the next period's tables."""
    started = time.perf_counter()
    update = await tab.call("next_period", {}, lambda u: "period_label" + F in _res_delta(u)
                            or bool(_res_delta(u).get("error_message" + F)))
    stats.time("navigate", time.perf_counter() - started)
    if _res_delta(update).get("error_message" + F):
        raise ActionFailed(f"next period refused: {_res_delta(update)['error_message' + F]}")


async def parent(n: int, email: str, reference: str, opts: Options, stats: Stats, rng: random.Random,
                 stop_at: float, cookie: str | None = None) -> None:
    """One parent's evening; reconnects (a bounded number of times) when the websocket drops.

    The parent books ``opts.months`` periods (the first open one, then "Mois suivant"). After a
    reconnection the page reloads from the database, as in a browser: what was saved is shown
    reserved, unsaved ticks are gone and are ticked again.
    """
    tab = None
    plan: dict[int, list[str]] = {}
    completed: set[int] = set()
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
                        await pay(tab, http, opts, stats)
                    action = "factures"
                    await factures(tab, http, opts, stats)
                    stats.parents_done += 1
                    return
                except Disconnected:
                    stats.reconnects += 1
                    await tab.close()
                    await asyncio.sleep(0.5 + rng.random() * (attempt + 1))  # like the browser's back-off
                    if time.monotonic() > stop_at:
                        raise ActionFailed("gave up reconnecting at the end of the run")
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


async def watch_loop_lag(stats: Stats, stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.1)
        stats.loop_lag.append(time.perf_counter() - started - 0.1)


# --- killing a worker ---------------------------------------------------------------------------

def worker_pids(server_pid: int) -> list[int]:
    """Children of the Granian supervisor (its backend workers), from /proc."""
    supervisors = [server_pid]
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) in supervisors:
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
    from sqlalchemy import func
    from sqlmodel import select

    from cantine_portal.db import Database
    from cantine_portal.models import Family, Reservation, Structure

    db = Database(database_url)
    problems = []
    with db.session() as session:
        structure = session.exec(select(Structure).where(Structure.slug == slug)).one()
        counts = dict(session.exec(
            select(Family.reference, func.count(Reservation.id))
            .join(Reservation, Reservation.family_id == Family.id)
            .where(Reservation.structure_id == structure.id, Reservation.status != "cancelled")
            .group_by(Family.reference)).all())
        doubles = session.exec(
            select(Reservation.child_id, Reservation.service_id, Reservation.day, func.count())
            .where(Reservation.structure_id == structure.id, Reservation.status != "cancelled")
            .group_by(Reservation.child_id, Reservation.service_id, Reservation.day)
            .having(func.count() > 1)).all()
    db.dispose()
    lost = {ref: (n, counts.get(ref, 0)) for ref, n in stats.validated.items() if counts.get(ref, 0) < n}
    extra = {ref: (stats.validated.get(ref, 0), n) for ref, n in counts.items() if n > stats.validated.get(ref, 0)}
    if lost:
        problems.append(f"LOST: {len(lost)} families have fewer reservations than validated, e.g. "
                        f"{list(lost.items())[:5]}")
    if extra:
        # A parent that failed mid-run may have had its Valider saved without seeing the answer:
        # that is not a double, but it is reported so that it is looked at.
        problems.append(f"UNCONFIRMED: {len(extra)} families have more reservations than their parent saw "
                        f"saved (answer lost?), e.g. {list(extra.items())[:5]}")
    if doubles:
        problems.append(f"DOUBLED: {len(doubles)} (child, service, day) with two active reservations")
    total = sum(counts.values())
    print(f"database: {total} active reservations for {len(counts)} families; parents saw "
          f"{sum(stats.validated.values())} saved for {len(stats.validated)} families", flush=True)
    return problems


# --- main -------------------------------------------------------------------------------------

def prepare(database_url: str, args) -> tuple[list[tuple[str, str]], int]:
    """Generate the commune if needed, forget earlier runs; returns (email, family reference) pairs."""
    from sqlmodel import select

    from bench.commune import BENCH_SLUG, generate_commune, reset_activity
    from cantine_portal import clock
    from cantine_portal.db import Database
    from cantine_portal.models import Account, Family

    db = Database(database_url)
    started = time.perf_counter()
    with db.write_session() as session:
        size = generate_commune(session, clock.now(), families=args.families, children=args.children,
                                slug=args.slug or BENCH_SLUG)
    if size.created:
        print(f"generated commune: {size.families} families, {size.children} children "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
    with db.write_session() as session:
        reset_activity(session, size.structure_id)
    with db.session() as session:
        rows = session.exec(select(Account.email, Family.reference).join(Family, Family.id == Account.family_id)
                            .where(Account.structure_id == size.structure_id, Account.role == "parent")
                            .order_by(Family.reference)).all()
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
        factures_available = (await http.get(f"/{slug}/factures")).status_code == 200
    opts = Options(url=base, slug=slug, password=BENCH_PASSWORD, ticks=args.ticks, months=args.months, think=args.think_time,
                   pay=not args.no_pay, factures_available=factures_available)
    stats = Stats()
    rng = random.Random(args.seed)
    semaphore = asyncio.Semaphore(args.parents)
    total = min(args.sessions or len(families), len(families))
    print(f"{total} parents, at most {args.parents} at once, arriving {args.arrival_rate}/s, "
          f"think time {args.think_time} s, {args.ticks} ticks each, on {base} (database {database_url.split('@')[-1]})",
          flush=True)
    cookies: dict[str, str] = {}
    if args.prelogin:
        login_started = time.monotonic()
        cookies = await prelogin(opts, families[:total], stats, args.login_parallel)
        login_elapsed = time.monotonic() - login_started
        print(f"logged in {len(cookies)} parents beforehand in {login_elapsed:.1f} s "
              f"({len(cookies) / login_elapsed:.1f}/s, {args.login_parallel} at a time)", flush=True)
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
            await parent(i, email, reference, opts, stats, random.Random(args.seed * 100003 + i), hard_stop,
                         cookies.get(email))

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
    print(report(stats, elapsed))
    print(f"\n{stats.parents_done} parents finished, {stats.parents_failed} failed, {stats.reconnects} reconnections, "
          f"{sum(stats.errors.values())} errors, {elapsed:.1f} s")
    lag = [v * 1000 for v in stats.loop_lag]
    print(f"load generator's own event-loop lag: p50 {percentile(lag, 50):.1f} ms, p95 {percentile(lag, 95):.1f} ms "
          f"(part of every latency above; the client shares the machine with the portal)")
    for sample in stats.error_samples:
        print("  error:", sample)
    for note in sorted(stats.notes):
        print("  note:", note)
    problems = check_database(database_url, slug, stats)
    for problem in problems:
        print("  ", problem)
    print("database check:", "OK — none lost, none doubled" if not problems else "FAILED")
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
    parser.add_argument("--prelogin", action="store_true",
                        help="log every parent in before the clock starts (login measured on its own)")
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
