"""Browser tests: the real portal, built and served once per test session, driven by
Playwright in Debian's headless Chromium. axe-core checks every page a test opens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
# Chromium's "headless shell" (Debian package chromium-headless-shell: the same engine, built
# without the browser's windowing layer, what Playwright itself runs headless) draws and runs the
# portal's pages like the full browser for a quarter less CPU (docs/performance.md, "third pass");
# the full browser when the shell is missing. The benches measure a parent's speed in the full one.
FULL_CHROMIUM = "/usr/bin/chromium"
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
CHROMIUM = HEADLESS_SHELL if Path(HEADLESS_SHELL).exists() else FULL_CHROMIUM
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
# Tests only: V8 runs the pages' JavaScript without its optimising compilers (TurboFan, Maglev). A
# test's page lives a few seconds, too short for their compilation to pay back: the same walk (login
# + 9 pages with axe-core) takes ~13 % less machine CPU (docs/performance.md, "fourth pass"). Same
# JavaScript semantics; the benches keep the full JIT, which is what a parent's phone runs.
TEST_ARGS = [*CHROMIUM_ARGS, "--js-flags=--no-opt --no-maglev"]
# The browser tests stand on a fixed day: Thursday 26 November 2026, 10:00 in Paris.
FAKE_NOW = "2026-11-26T10:00:00+01:00"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
# Full-page pictures of the guide's steps (issue 15 item 12): outside git, printed at the end.
SHOTS: list[Path] = []
# Where the browser layer's time goes (printed at the end of the session, docs/performance.md).
TIMES: dict[str, list[float]] = {}


@contextmanager
def timed(what: str) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    finally:
        TIMES.setdefault(what, []).append(time.monotonic() - start)


@dataclass
class Portal:
    base_url: str
    var_dir: Path
    env: dict[str, str]

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def url(self, path: str) -> str:
        return self.base_url + path

    def mails(self) -> list[Path]:
        return sorted(self.mail_dir.glob("*.eml")) if self.mail_dir.exists() else []


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the portal exited early:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the portal did not start in {timeout:.0f} s:\n{log.read_text()[-4000:]}")


def web_dir_of_this_worker() -> str:
    """The frontend build folder of this test process's portal: `.web` (the one `make run` uses)
    for the first pytest-xdist worker or a plain run, its own `.web-gwN` for another worker.

    A build holds its portal's address (Reflex writes ``ws://localhost:PORT/_event`` into it), so
    two portals on two ports cannot share one; Reflex reads the folder from REFLEX_WEB_WORKDIR."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return ".web" if worker == "gw0" else f".web-{worker}"


def start_portal(
    var_dir: Path, extra_env: dict[str, str] | None = None, workers: int | None = None, web_dir: str = ".web"
) -> tuple[subprocess.Popen, Portal, Path]:
    """Migrate, load the demo communes and serve the portal on a free port, its frontend built
    in ``web_dir`` (under the checkout).

    ``python -m cantine_portal run`` (the consumer, then ``serve.py``: ``reflex run --env prod
    --single-port``); with ``workers``, several workers that are respawned when they die.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make test installs Debian's chromium package)")
    port = free_port()
    venv_bin = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "CANTINE_VAR_DIR": str(var_dir),
        "CANTINE_BASE_URL": f"http://localhost:{port}",
        "CANTINE_FAKE_NOW": FAKE_NOW,
        "REFLEX_WEB_WORKDIR": web_dir,
        **(extra_env or {}),
    }
    env.pop("DATABASE_URL", None) if "DATABASE_URL" not in (extra_env or {}) else None
    with timed("portal migrate + demo"):
        subprocess.run(
            [str(venv_bin / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        subprocess.run(
            [sys.executable, "-m", "cantine_portal", "demo"], cwd=ROOT, env=env, check=True, capture_output=True
        )
    log = var_dir / "portal.log"
    # The launcher of `make run` / `make run-scaled`: the portal (serve.py, with worker respawn when
    # ``workers`` is given) and its task-queue consumer, in one process group.
    command = [sys.executable, "-m", "cantine_portal", "run", "--port", str(port), "--loglevel", "info"]
    if workers is not None:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    portal = Portal(base_url=f"http://localhost:{port}", var_dir=var_dir, env=env)
    with timed("portal build + start"):
        _wait_until_up(portal.url("/api/health"), process, log, timeout=900)
        _wait_until_up(portal.url("/"), process, log, timeout=300)
    return process, portal, log


def stop_portal(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="session")
def portal(tmp_path_factory) -> Portal:
    var_dir = tmp_path_factory.mktemp("portal-var")
    process, portal, _log = start_portal(var_dir, web_dir=web_dir_of_this_worker())
    yield portal
    stop_portal(process)


class ScaledPortal:
    """The scale-out portal of tests/browser/test_scaled.py: PostgreSQL, a real Redis, two workers
    (serve.py), its frontend built in ``.web-scaled`` (a build holds its portal's port).

    In a single-process run it starts in a thread once the session portal is up, its build beside
    the first tests, instead of last, alone, after every other test (docs/performance.md);
    under pytest-xdist it starts when the worker that runs test_scaled.py asks for it."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory, postgres_server: Callable[[], Any]) -> None:
        # The PostgreSQL server is asked for (started) only when this portal starts: under
        # pytest-xdist, only by the worker that runs test_scaled.py.
        self._factory, self._postgres_server = tmp_path_factory, postgres_server
        self._postgres: Any = None
        self._thread: threading.Thread | None = None
        self._started: tuple | None = None
        self._error: BaseException | None = None
        self._redis = None

    def start_in_background(self) -> None:
        self._postgres = self._postgres_server()  # a fixture: asked for in the test's own thread
        self._thread = threading.Thread(target=self._start_catching, name="scaled-portal", daemon=True)
        self._thread.start()

    def _start_catching(self) -> None:
        try:
            self._start()
        except (Exception, pytest.skip.Exception) as error:  # noqa: BLE001 - whatever it is, the test asking for the portal gets it
            self._error = error

    def _start(self) -> None:
        from bench import local_stack

        if local_stack.redis_bin() is None:
            pytest.skip("redis-server is not installed (make test installs Debian's redis-server package)")
        self._redis = local_stack.start_redis(log=self._factory.mktemp("redis") / "redis.log")
        database_url = self._postgres.create_database("cantine_scaled")
        var_dir = self._factory.mktemp("scaled-var")
        # serve.py sets REFLEX_OPLOCK_ENABLED / REFLEX_OPLOCK_HOLD_TIME itself when Redis is used.
        extra = {"DATABASE_URL": database_url, "REFLEX_REDIS_URL": self._redis.url}
        process, portal, log = start_portal(var_dir, extra, workers=2, web_dir=".web-scaled")
        self._started = (portal, process, log)

    def result(self) -> tuple:
        """(portal, its process, its log), once it answers."""
        if self._thread is None:
            self._postgres = self._postgres_server()
            self._start()
        else:
            self._thread.join()
        if self._error is not None:
            if isinstance(self._error, pytest.skip.Exception):
                raise self._error
            raise RuntimeError("the scale-out portal did not start") from self._error
        assert self._started is not None
        return self._started

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.join()
        if self._started is not None:
            stop_portal(self._started[1])
        if self._redis is not None:
            self._redis.stop()


@pytest.fixture(scope="session", autouse=True)
def scaled_portal_early(request, tmp_path_factory) -> Iterator[ScaledPortal]:
    wanted = any(item.path.name == "test_scaled.py" for item in request.session.items)
    if not wanted:
        yield None
        return
    scaled = ScaledPortal(tmp_path_factory, lambda: request.getfixturevalue("postgres_server"))
    if "PYTEST_XDIST_WORKER" not in os.environ:
        # Once the session portal answers: its build, which the first test waits for, gets the CPU
        # alone; the second build then runs while the first tests wait on the browser.
        request.getfixturevalue("portal")
        scaled.start_in_background()
    yield scaled
    scaled.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make test installs Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=TEST_ARGS, headless=True)
        yield browser
        browser.close()


SERIOUS = {"serious", "critical"}
# Parent pages: axe-core must report nothing at all (issue 15 item 8). The back office is held to
# serious/critical until its own RGAA pass lands.
ALL_IMPACTS = {"minor", "moderate", "serious", "critical", None}


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("captures")
    SHOTS.append(folder)
    return folder


def pytest_sessionfinish(session):
    """A pytest-xdist worker hands its timings and captures to the controller, which prints them."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["browser_times"] = TIMES
        output["browser_shots"] = [str(folder) for folder in SHOTS]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    output = getattr(node, "workeroutput", {})
    for what, seconds in output.get("browser_times", {}).items():
        TIMES.setdefault(what, []).extend(seconds)
    SHOTS.extend(Path(folder) for folder in output.get("browser_shots", []))


def pytest_terminal_summary(terminalreporter):
    for what, seconds in sorted(TIMES.items()):
        terminalreporter.write_line(f"browser time: {what}: {len(seconds)} × = {sum(seconds):.1f} s")
    for folder in SHOTS:
        if any(folder.glob("*.png")):
            terminalreporter.write_line(f"Captures d'écran des étapes du guide : {folder}")


# A page is ready for its checks once the app has rendered it (a <title>: a full load first serves
# Reflex's empty SPA shell, without one, while the page's code loads), the portal's state has
# arrived (no « Chargement… »: Reflex flips is_hydrated after the page's on_load handlers) and the
# DOM has not changed for QUIET_MS (the last websocket delta rendered). This replaces Playwright's
# "networkidle" (500 ms without any HTTP request, blind to the websocket that carries the page's
# data), which cost at least 0.5 s a page. It reads ``textContent``, not ``innerText``, which would
# lay the page out again at each poll (« Chargement… » is only ever in the document while shown).
QUIET_MS = 150
SETTLED = """quiet => {
  if (!window.__cpLastMutation) {
    window.__cpLastMutation = performance.now();
    new MutationObserver(() => { window.__cpLastMutation = performance.now(); })
      .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  }
  return document.readyState === 'complete' && document.title.trim() !== '' && document.body !== null
    && !document.body.textContent.includes('Chargement…')
    && performance.now() - window.__cpLastMutation >= quiet;
}"""
# What axe-core sees: the document's tree (each element's tag, attributes — inline styles and the
# emotion class names that stand for the CSS — and number of children; each text), the viewport and
# the address, every digit read as 0: two states of a page that differ only by numbers (a total, a
# date, a count, the counter in the ids React generates) raise the same findings. Two identical
# fingerprints are the same check.
FINGERPRINT = """() => {
  const parts = [location.href.replace(/[0-9]/g, '0'), innerWidth + 'x' + innerHeight];
  const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let node = walker.currentNode; node; node = walker.nextNode()) {
    if (node.nodeType === Node.TEXT_NODE) { parts.push('#' + node.data.replace(/[0-9]/g, '0')); continue; }
    parts.push('<' + node.tagName + ' ' + node.childNodes.length);
    for (const attribute of node.attributes) parts.push(attribute.name + '=' + attribute.value.replace(/[0-9]/g, '0'));
  }
  const text = parts.join('|');
  let a = 0x811c9dc5, b = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 16777619);
    b = (Math.imul(b, 31) + c) | 0;
  }
  return text.length + ':' + (a >>> 0).toString(16) + ':' + (b >>> 0).toString(16);
}"""

# CSS transitions and animations still running (a view fading in, a hover's colour change) are let
# finish before axe-core looks: a colour halfway between two states is no state a parent sees for
# more than a moment, and axe-core reading it made its contrast check depend on the machine's load.
# Endless ones (a spinner) and long ones (the roll call's 5 s refresh ticker) are not waited for.
ANIMATIONS_DONE = """() => Promise.all(document.getAnimations()
  .filter(a => a.playState === 'running'
    && a.effect.getComputedTiming().endTime - (a.currentTime ?? 0) <= 1000)
  .map(a => a.finished.catch(() => null)))"""

# Violations (every impact) by fingerprint, for the whole session: a page state already checked
# (the home page before each login, the same back-office page at the same size…) is not checked again.
AXE_RESULTS: dict[str, list[dict]] = {}


def axe_violations(page) -> list[dict]:
    """axe-core's violations of every impact on the page as it is now (injected once per document)."""
    from axe_playwright_python.base import AXE_SCRIPT

    page.evaluate(ANIMATIONS_DONE)
    key = page.evaluate(FINGERPRINT)
    if key in AXE_RESULTS:
        TIMES.setdefault("axe-core skipped (page state already checked)", []).append(0.0)
        return AXE_RESULTS[key]
    with timed("axe-core"):
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(AXE_SCRIPT)
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    AXE_RESULTS[key] = results["violations"]
    return AXE_RESULTS[key]


@dataclass
class Ui:
    """A browser tab on the portal that runs axe-core on every page it shows."""

    page: object
    portal: Portal
    checked: set[str] = field(default_factory=set)
    csp_violations: list[str] = field(default_factory=list)

    def assert_no_csp_violation(self) -> None:
        """Every page must work under the portal's Content-Security-Policy (docs/security.md)."""
        violations, self.csp_violations[:] = list(self.csp_violations), []
        assert not violations, "Content-Security-Policy violations: " + " | ".join(violations)

    def goto(self, path: str, expect_status: int | None = 200):
        response = self.page.goto(self.portal.url(path))
        if expect_status is not None:
            assert response is not None and response.status == expect_status, (path, response and response.status)
        with timed("goto: settled"):
            self.settle()
        self.check_a11y()
        return response

    def shot(self, folder: Path, name: str) -> Path:
        """A full-page PNG of what the parent sees now (named after the viewport's width)."""
        width = self.page.viewport_size["width"]
        path = folder / f"{name}-{width}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def wait_hydrated(self) -> None:
        # The portal shows "Chargement…" until its state has arrived over the websocket.
        self.page.wait_for_function("() => !document.body.textContent.includes('Chargement…')", timeout=20000)

    def settle(self) -> None:
        """Hydrated, and the DOM quiet for QUIET_MS (see SETTLED)."""
        self.page.wait_for_function(SETTLED, arg=QUIET_MS, polling=50, timeout=20000)

    def expect_path(self, path: str) -> None:
        with timed("expect_path: url + settled"):
            self.page.wait_for_url(lambda url: url.split("?")[0].endswith(path), timeout=20000)
            self.settle()
        self.check_a11y()

    def check_a11y(self) -> None:
        self.assert_no_csp_violation()
        url = self.page.url
        impacts = SERIOUS if "/admin" in url or "/banque-simulee/" in url else ALL_IMPACTS
        bad = [v for v in axe_violations(self.page) if v.get("impact") in impacts]
        self.checked.add(url)
        assert not bad, f"axe-core on {url}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} → {[(n['target'], n.get('failureSummary', '')[-160:]) for n in v['nodes']][:3]}"
            for v in bad
        )


# The Réservations period shown (its h2 « Semaine du … »), to wait for a click on « Semaine suivante ».
PERIOD_SHOWN = (
    "() => [...document.querySelectorAll('h2')].map(h => h.innerText).find(t => t.startsWith('Semaine du ')) || ''"
)


def step_to_period(ui: Ui, name: str, press_next, limit: int = 14) -> None:
    """Press « Semaine suivante » (``press_next``: by mouse or keyboard) until the week ``name`` shows,
    each time waiting for the period to change (never a fixed pause, never two presses on one week)."""
    heading = ui.page.get_by_role("heading", name=name)
    for _ in range(limit):
        if heading.count():
            break
        before = ui.page.evaluate(PERIOD_SHOWN)
        press_next()
        ui.page.wait_for_function(f"before => ({PERIOD_SHOWN})() !== before", arg=before, polling=50)
    heading.wait_for()


def sign_in(ui: Ui, address: str, password: str, *, staff: bool = False) -> None:
    """Log in through the login form's own HTTP route (the cookie lands in the tab's context), then
    open the landing page: for the tests that are not about logging in. The form itself is walked in
    test_accounts_flow.py, test_admin.py and test_phone.py (tests/browser/test_accounts_flow.login)."""
    home = "/demo/admin" if staff else "/demo/accueil"
    with timed("sign_in (login route)"):
        response = ui.page.request.post(
            ui.portal.url("/api/demo/admin/connexion" if staff else "/api/demo/connexion"),
            form={"email": address, "password": password, "suite": home},
            headers={"Origin": ui.portal.base_url},
            max_redirects=0,
        )
    assert response.status == 303 and response.headers["location"] == home, (response.status, response.headers)
    ui.goto(home)


def _new_ui(browser, portal: Portal, viewport: dict | None = None):
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport=viewport or {"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    ui = Ui(page=page, portal=portal)
    # Chromium reports each CSP violation on the console ("Refused to … because it violates the
    # following Content Security Policy directive …"); any of them fails the test.
    page.on(
        "console",
        lambda message: ui.csp_violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return context, ui


@pytest.fixture
def ui(browser, portal):
    context, ui = _new_ui(browser, portal)
    yield ui
    if ui.page.url not in ui.checked and ui.page.url.startswith(portal.base_url):
        ui.check_a11y()
    ui.assert_no_csp_violation()
    context.close()


@pytest.fixture
def phone_ui(browser, portal):
    context, ui = _new_ui(browser, portal, PHONE)
    yield ui
    ui.assert_no_csp_violation()
    context.close()


@pytest.fixture(params=[PHONE, DESKTOP], ids=["390x844", "1366x768"])
def sized_ui(request, browser, portal):
    """The same test at both sizes the issue names (phone and laptop)."""
    context, ui = _new_ui(browser, portal, request.param)
    yield ui
    context.close()
