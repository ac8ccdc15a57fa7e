"""Login and logout over plain HTTP form posts.

They go through HTTP rather than the websocket so that the session cookie can be HttpOnly
(JavaScript can never read it) and SameSite=Lax. The page then loads afresh, and its new
websocket carries the cookie to the server-side state.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlencode, urlparse

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from cantine_portal import clock
from cantine_portal.config import get_settings
from cantine_portal.infra.http import FLASH_COOKIE, forwarded_client_ip, session_cookie_name, staff_cookie_name
from cantine_portal.usecases import accounts as usecases


def client_ip(request: Request) -> str:
    peer = request.client.host if request.client else ""
    return forwarded_client_ip(peer, request.headers.get("x-forwarded-for"), get_settings().trusted_proxies)


def safe_next(slug: str, target: str | None, default: str) -> str:
    """Only a path inside this commune's portal (never another site, never another commune)."""
    if not target or not target.startswith(f"/{slug}/") or target.startswith("//") or "\\" in target:
        return default
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc:
        return default
    return target


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None  # old browsers send none; "null" is an opaque (suspicious) origin
    return urlparse(origin).netloc == request.headers.get("host")


@dataclass(frozen=True)
class _Door:
    """What differs between the parents' and the staff's login: paths and cookie; the rest is shared."""

    staff: bool

    def home(self, slug: str) -> str:
        return f"/{slug}/admin" if self.staff else f"/{slug}/accueil"

    def login_page(self, slug: str) -> str:
        return f"/{slug}/admin/connexion" if self.staff else f"/{slug}/connexion"

    def cookie(self, slug: str) -> str:
        return staff_cookie_name(slug) if self.staff else session_cookie_name(slug)


PARENTS, STAFF = _Door(staff=False), _Door(staff=True)


async def login(request: Request) -> Response:
    """The parents' form. A staff account that logs in here lands in the back office, with the
    staff cookie: it never receives a parent session."""
    return await _login(request, PARENTS)


async def staff_login(request: Request) -> Response:
    """The back office's form: staff accounts only; a parent's credentials are refused."""
    return await _login(request, STAFF)


async def _login(request: Request, door: _Door) -> Response:
    slug = request.path_params["slug"]
    if not _same_origin(request):
        return Response("Origine refusée.", status_code=403)
    form = await request.form()
    email = str(form.get("email", ""))[:254]
    password = str(form.get("password", ""))[:1024]
    home = door.home(slug)
    target = safe_next(slug, str(form.get("suite", "")), home)
    if door.staff and not (target == home or target.startswith(home + "/")):
        target = home
    outcome = await run_in_threadpool(
        functools.partial(
            usecases.log_in,
            slug,
            email,
            password,
            client_ip(request),
            request.headers.get("user-agent", ""),
            staff_door=door.staff,
            now=clock.now(),
        )
    )
    if not outcome.found:
        return Response("Portail introuvable.", status_code=404)
    if outcome.token is None:
        return _failed(door.login_page(slug), email, target if target != home else None, outcome.retry_time)
    if outcome.role == "staff":
        # A staff account at the parents' door goes to the back office, with the staff cookie.
        target, door = (target if door.staff else STAFF.home(slug)), STAFF
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        door.cookie(slug), outcome.token, httponly=True, samesite="lax", secure=get_settings().secure_cookies, path="/"
    )
    response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def _failed(login_page: str, email: str, target: str | None, retry_time: str) -> Response:
    """Back to the login page with the reason; the typed address comes back pre-filled, never the password."""
    query = {"erreur": "bloque" if retry_time else "identifiants"}
    if retry_time:
        # Only the time travels in the URL: a crafted link cannot put words on our page.
        query["jusqua"] = retry_time
    if target is not None:
        query["suite"] = target
    response = RedirectResponse(f"{login_page}?{urlencode(query)}", status_code=303)
    response.set_cookie(
        FLASH_COOKIE, email, max_age=60, httponly=True, samesite="lax", secure=get_settings().secure_cookies, path="/"
    )
    return response


async def logout(request: Request) -> Response:
    return await _logout(request, PARENTS)


async def staff_logout(request: Request) -> Response:
    return await _logout(request, STAFF)


async def _logout(request: Request, door: _Door) -> Response:
    slug = request.path_params["slug"]
    if not _same_origin(request):
        return Response("Origine refusée.", status_code=403)
    cookie = door.cookie(slug)
    token = request.cookies.get(cookie)
    await run_in_threadpool(functools.partial(usecases.log_out, token, now=clock.now()))
    response = RedirectResponse(f"{door.login_page(slug)}?deconnecte=1", status_code=303)
    response.delete_cookie(cookie, path="/")
    return response


routes = [
    Route("/api/{slug}/connexion", login, methods=["POST"]),
    Route("/api/{slug}/deconnexion", logout, methods=["POST"]),
    Route("/api/{slug}/admin/connexion", staff_login, methods=["POST"]),
    Route("/api/{slug}/admin/deconnexion", staff_logout, methods=["POST"]),
]
