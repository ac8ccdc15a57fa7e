"""Past capacity the portal says so in French (503 + Retry-After); a lost database is retried
(against a real PostgreSQL: tests/integration/test_retry_postgres.py)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from cantine_portal.api.middleware import BUSY_MESSAGE, SlugCache, portal_middleware
from cantine_portal.config import Settings
from cantine_portal.infra.retry import is_transient, with_db_retry


def run_in_own_loop(coroutine) -> None:
    """asyncio.run in a thread of its own: Playwright's sync API (the browser tests, same
    pytest session) keeps an event loop running in the main thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


class FakeApp:
    """An ASGI app whose websockets stay open until released (a connected parent)."""

    def __init__(self):
        self.release = asyncio.Event()
        self.accepted = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
            self.accepted += 1
            await self.release.wait()
            await send({"type": "websocket.close", "code": 1000})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b"<html>ok</html>"})


async def _call(app, scope):
    sent = []

    async def receive():
        return {"type": "websocket.connect"} if scope["type"] == "websocket" else {"type": "http.request"}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent


def _http(path, method="GET"):
    return {"type": "http", "method": method, "path": path, "headers": []}


def _ws(path="/_event/"):
    return {"type": "websocket", "path": path, "headers": []}


def test_past_the_limit_new_parents_get_the_french_busy_page_and_connected_ones_stay():
    async def scenario():
        inner = FakeApp()
        app = portal_middleware(inner, SlugCache(lambda: {"demo"}), max_connections=2)
        limit = app.connection_limit
        sockets = [asyncio.create_task(_call(app, _ws())) for _ in range(2)]
        for _ in range(100):
            await asyncio.sleep(0)
        assert inner.accepted == 2 and limit.open == 2 and limit.full

        page = await _call(app, _http("/demo/reservations"))
        start = page[0]
        assert start["status"] == 503
        headers = dict(start["headers"])
        assert headers[b"retry-after"] == b"60"
        assert headers[b"content-type"].startswith(b"text/html")
        assert BUSY_MESSAGE in page[1]["body"].decode()
        assert "réessayez dans une minute" in page[1]["body"].decode()

        refused = await _call(app, _ws())
        assert refused == [{"type": "websocket.close", "code": 1013, "reason": "Try Again Later"}]
        assert inner.accepted == 2  # the third parent never reached Reflex: nothing half-saved

        # The API (health checks, payment notifications) and static files are still served.
        assert (await _call(app, _http("/api/health")))[0]["status"] == 200
        assert (await _call(app, _http("/_next/static/app.js")))[0]["status"] == 200

        inner.release.set()
        await asyncio.gather(*sockets)
        assert limit.open == 0 and not limit.full
        assert (await _call(app, _http("/demo/reservations")))[0]["status"] == 200
        await _call(app, _ws())  # accepted again, then released at once
        assert inner.accepted == 3

    run_in_own_loop(scenario())


def test_zero_means_no_limit():
    async def scenario():
        inner = FakeApp()
        inner.release.set()
        app = portal_middleware(inner, SlugCache(lambda: {"demo"}), max_connections=0)
        for _ in range(5):
            await _call(app, _ws())
        assert inner.accepted == 5 and not app.connection_limit.full

    run_in_own_loop(scenario())


def test_max_connections_setting(tmp_path):
    assert Settings.from_env({"CANTINE_VAR_DIR": str(tmp_path), "CANTINE_SECRET_KEY": "k"}).max_connections == 1000
    assert (
        Settings.from_env(
            {"CANTINE_VAR_DIR": str(tmp_path), "CANTINE_SECRET_KEY": "k", "CANTINE_MAX_CONNECTIONS": "0"}
        ).max_connections
        == 0
    )


# --- with_db_retry ----------------------------------------------------------------------------


def _operational() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


def test_retry_calls_again_after_transient_failures_then_returns():
    calls, waits = [], []

    def fn():
        calls.append(1)
        if len(calls) < 3:
            raise _operational()
        return "fulfilled"

    assert with_db_retry(fn, attempts=5, delays=(0.1, 0.3), sleep=waits.append) == "fulfilled"
    assert len(calls) == 3 and waits == [0.1, 0.3]


def test_retry_gives_up_after_the_last_attempt_with_the_last_error():
    waits = []

    def fn():
        raise _operational()

    with pytest.raises(OperationalError):
        with_db_retry(fn, attempts=3, delays=(0.1,), sleep=waits.append)
    assert waits == [0.1, 0.1]


def test_retry_never_retries_a_constraint_violation_or_a_bug():
    calls = []

    def integrity():
        calls.append(1)
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    with pytest.raises(IntegrityError):
        with_db_retry(integrity, sleep=lambda _s: None)
    assert len(calls) == 1
    with pytest.raises(ZeroDivisionError):
        with_db_retry(lambda: 1 / 0, sleep=lambda _s: None)
    assert is_transient(_operational()) and not is_transient(IntegrityError("x", {}, Exception()))


# --- the parent's address behind the reverse proxy ---------------------------------------------


def test_client_address_behind_a_trusted_proxy_only():
    from cantine_portal.infra.http import forwarded_client_ip

    proxy = frozenset({"127.0.0.1"})
    assert forwarded_client_ip("127.0.0.1", "203.0.113.7", proxy) == "203.0.113.7"
    # A parent cannot choose its address by sending its own header: only the proxy's hop counts.
    assert forwarded_client_ip("127.0.0.1", "6.6.6.6, 203.0.113.7", proxy) == "203.0.113.7"
    assert forwarded_client_ip("198.51.100.2", "203.0.113.7", proxy) == "198.51.100.2"
    assert forwarded_client_ip("127.0.0.1", None, proxy) == "127.0.0.1"
    assert forwarded_client_ip("127.0.0.1", "203.0.113.7", frozenset()) == "127.0.0.1"
    assert Settings.from_env(
        {"CANTINE_SECRET_KEY": "k", "CANTINE_TRUSTED_PROXIES": "127.0.0.1, ::1"}
    ).trusted_proxies == {"127.0.0.1", "::1"}
