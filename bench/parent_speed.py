"""Speed a parent feels on a phone (issue 15 item 11), in headless Chromium at 390×844.

    /work/main/.venv/bin/python bench/parent_speed.py [--logins 20] [--navigations 20] [--ticks 300]

Starts the portal like the browser tests (prod build, throw-away var/ folder, fake clock), adds the
bench commune (bench/bench_data.py: four children × three services, a December of 372 cells), then:

1. **Login**: « Valider » on the login page → the banner (``nav[aria-label="Bandeau principal"]``)
   visible on Accueil. A fresh browser context each time (no cookie, cached scripts kept by the
   HTTP cache only within the context, i.e. cold like a parent's first visit of the evening).
   Where the time goes, from the Navigation Timing of the Accueil page (its clock starts when the
   form is submitted) and a timestamp put on every websocket the page opens (init script, bench
   tooling only): the POST (argon2id verification + session row), the HTML, the scripts
   (DOMContentLoaded), the websocket opened, its first message, the banner painted.
2. **Réservations usable**: on Accueil, « Menu » then « Réservations »: from the click to the moment
   more than 100 enabled checkboxes of the month are in the page and the first one has a size
   (the boxes can be tapped).
3. **Tap → totals repainted**: on Réservations, in-page ``click()`` on a box to the new grand total
   in the DOM (MutationObserver) and to the next animation frame (bench/reservations_browser.py's
   measure, at 390×844 with the phone layout and its sticky action bar).

Budgets (issue 15): login p50 < 1 s and p95 < 1.5 s; Réservations usable p95 < 1 s; tap → totals
p95 ≤ 10 ms. The machine is shared: run it twice and read both.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data
from bench_data import BENCH_EMAIL, BENCH_PASSWORD, BENCH_SLUG, report
from reservations_browser import TICKS_IN_PAGE

PHONE = {"width": 390, "height": 844}
BANNER = 'nav[aria-label="Bandeau principal"]'

# Bench tooling (not app code): stamp every websocket's creation, opening and first message, and
# the first animation frame in which the banner is in the page with a size.
TIMING_HOOKS = """
(() => {
  const marks = (window.__marks = {});
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    marks.wsCreated ??= performance.now();
    ws.addEventListener('open', () => { marks.wsOpen ??= performance.now(); });
    ws.addEventListener('message', () => { marks.wsFirstMessage ??= performance.now(); });
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  const watch = () => {
    const nav = document.querySelector('__BANNER__');
    if (nav && nav.getBoundingClientRect().height > 0) { marks.banner = performance.now(); return; }
    requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch);
})();
""".replace("__BANNER__", BANNER)

PAGE_TIMING = """
() => {
  const n = performance.getEntriesByType('navigation')[0];
  return {
    origin: performance.timeOrigin,
    post: n.redirectEnd || n.fetchStart,
    html: n.responseEnd,
    dcl: n.domContentLoadedEventEnd,
    load: n.loadEventEnd,
    transfer: n.transferSize,
    ...window.__marks,
  };
}
"""

USABLE = """
async (t0) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('Réservations not usable after 20 s')), 20000);
  const poll = () => {
    const boxes = document.querySelectorAll('input[type=checkbox]:not(:disabled)');
    if (boxes.length > 100 && boxes[0].getBoundingClientRect().width > 0) {
      clearTimeout(timer);
      resolve(performance.timeOrigin + performance.now() - t0);
    } else requestAnimationFrame(poll);
  };
  poll();
})
"""


def _login_once(browser: object, portal: object) -> dict[str, float]:
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, has_touch=True)
    context.add_init_script(TIMING_HOOKS)
    page = context.new_page()
    page.set_default_timeout(30000)
    page.goto(portal.url(f"/{BENCH_SLUG}/connexion"))
    page.wait_for_function("() => !document.body.innerText.includes('Chargement…')")
    page.get_by_label("Identifiant (votre adresse e-mail)").fill(BENCH_EMAIL)
    page.get_by_label("Mot de passe").fill(BENCH_PASSWORD)
    button = page.get_by_role("button", name="Valider")
    button.evaluate(
        "b => b.addEventListener('click', () => { window.name = String(performance.timeOrigin + performance.now()); })"
    )
    button.click()
    page.wait_for_url(lambda url: url.endswith(f"/{BENCH_SLUG}/accueil"))
    page.locator(BANNER).wait_for(state="visible")
    page.wait_for_function("() => window.__marks && window.__marks.banner")
    t = page.evaluate(PAGE_TIMING)
    clicked = float(page.evaluate("() => window.name"))
    start = t["origin"] - clicked  # the form's submission after the click handler
    marks = {
        "total": start + t["banner"],
        "click → submit": start,
        "POST (argon2id + session)": t["post"],
        "HTML": t["html"] - t["post"],
        "scripts (→ DOMContentLoaded)": t["dcl"] - t["html"],
        "websocket opened (from DOMContentLoaded)": t.get("wsOpen", t["dcl"]) - t["dcl"],
        "websocket → first message": t.get("wsFirstMessage", 0) - t.get("wsOpen", 0),
        "first message → banner painted": t["banner"] - t.get("wsFirstMessage", t["banner"]),
    }
    context.close()
    return marks


def _navigate_once(page: object) -> float:
    page.get_by_text("Menu", exact=True).click()
    link = page.locator(".menu-phone").get_by_role("link", name="Réservations")
    t0 = page.evaluate("() => performance.timeOrigin + performance.now()")
    link.click()
    page.wait_for_url(lambda url: "/reservations" in url)
    elapsed = page.evaluate(USABLE, t0)
    page.goto(page.url.replace("/reservations", "/accueil"))
    page.locator(BANNER).wait_for(state="visible")
    return float(elapsed)


def run(logins: int, navigations: int, ticks: int, url: str | None) -> None:
    from cantine_portal.french import PARIS
    from cantine_portal.infra.db import Database
    from tests.browser.conftest import FAKE_NOW, Portal, start_portal, stop_portal

    if url is not None:  # a portal already serving the bench commune (same fake clock)
        measure(Portal(base_url=url, var_dir=Path(), env={}), logins, navigations, ticks)
        return
    var_dir = Path(tempfile.mkdtemp(prefix="bench-parent-"))
    print(f"Starting the portal (prod build, fake clock {FAKE_NOW}, var {var_dir})…", flush=True)
    process, portal, _log = start_portal(var_dir)
    try:
        database = Database(f"sqlite:///{var_dir / 'cantine.db'}")
        with database.write_session() as session:
            bench_data.add_bench_commune(session, datetime.fromisoformat(FAKE_NOW).astimezone(PARIS))
        database.dispose()
        measure(portal, logins, navigations, ticks)
    finally:
        stop_portal(process)
        shutil.rmtree(var_dir, ignore_errors=True)


def measure(portal: object, logins: int, navigations: int, ticks: int) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, FULL_CHROMIUM

    print(f"machine before: load average {_load()}", flush=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=FULL_CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        _measure_logins(browser, portal, logins)
        context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, has_touch=True)
        page = context.new_page()
        page.set_default_timeout(30000)
        page.goto(portal.url(f"/{BENCH_SLUG}/connexion"))
        page.wait_for_function("() => !document.body.innerText.includes('Chargement…')")
        page.get_by_label("Identifiant (votre adresse e-mail)").fill(BENCH_EMAIL)
        page.get_by_label("Mot de passe").fill(BENCH_PASSWORD)
        page.get_by_role("button", name="Valider").click()
        page.locator(BANNER).wait_for(state="visible")
        _navigate_once(page)  # warm-up
        samples = [_navigate_once(page) for _ in range(navigations)]
        report("Chromium 390×844, Accueil → « Réservations » → December's boxes clickable", samples, 1000)
        _measure_taps(page, ticks)
        browser.close()
    print(f"machine after: load average {_load()}", flush=True)


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def _argon2_alone(runs: int = 10) -> None:
    """The argon2id verification alone, in this process, with the portal's production parameters."""
    from cantine_portal.services.accounts.hashing import PRODUCTION_ARGON2, make_context

    context = make_context(cheap=False)
    hashed = context.hash(BENCH_PASSWORD)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        context.verify(BENCH_PASSWORD, hashed)
        samples.append((time.perf_counter() - start) * 1000)
    report(f"  argon2id verification alone ({PRODUCTION_ARGON2}), in-process", samples)


def _measure_logins(browser: object, portal: object, logins: int) -> None:
    _login_once(browser, portal)  # warm-up: the portal's first pages after its start
    runs = [_login_once(browser, portal) for _ in range(logins)]
    print(f"Chromium 390×844, login « Valider » → banner visible on Accueil ({logins} fresh contexts):")
    p50, p95 = bench_data.percentiles([r["total"] for r in runs])
    verdict = "OK" if p50 < 1000 and p95 < 1500 else "OVER"
    report("  login → banner", [r["total"] for r in runs])
    print(f"  (budget p50 < 1000 ms and p95 < 1500 ms: {verdict})")
    _argon2_alone()
    print("  where the time goes (p50 / p95 of each step, ms):")
    for name in list(runs[0])[1:]:
        p50, p95 = bench_data.percentiles([r[name] for r in runs])
        print(f"    {name}: {p50:.0f} / {p95:.0f}")


def _measure_taps(page: object, ticks: int) -> None:
    page.get_by_text("Menu", exact=True).click()
    page.locator(".menu-phone").get_by_role("link", name="Réservations").click()
    page.wait_for_function("() => document.querySelectorAll('input[type=checkbox]:not(:disabled)').length > 100")
    time.sleep(0.5)
    page.evaluate(TICKS_IN_PAGE, 20)  # warm-up
    result = page.evaluate(TICKS_IN_PAGE, ticks - ticks % 2)
    print(f"Chromium 390×844, Réservations ({result['boxes']} bookable boxes), in-page click() →:")
    report("  new grand total in the DOM", result["samples"], 10)
    report("  next animation frame (paint; includes vsync wait)", result["frames"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--navigations", type=int, default=20)
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--url", help="a portal already running with the bench commune (else one is started)")
    args = parser.parse_args()
    run(args.logins, args.navigations, args.ticks, args.url)


if __name__ == "__main__":
    main()
