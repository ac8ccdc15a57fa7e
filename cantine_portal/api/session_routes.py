"""Login and logout over plain HTTP form posts.

They go through HTTP rather than the websocket so that the session cookie can be HttpOnly
(JavaScript can never read it) and SameSite=Lax. The page then loads afresh, and its new
websocket carries the cookie to the server-side state.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlparse

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from cantine_portal import clock
from cantine_portal.config import get_settings
from cantine_portal.db import get_database
from cantine_portal.services import accounts
from cantine_portal.services.tenants import structure_by_slug

FLASH_COOKIE = "cp_flash_email"


def session_cookie_name(slug: str) -> str:
    return f"cp_session_{slug}"


def forwarded_client_ip(peer: str, forwarded_for: str | None, trusted_proxies: frozenset[str]) -> str:
    """The parent's address: the TCP peer, unless that peer is our reverse proxy.

    Behind a proxy every parent would otherwise share the proxy's address, and the per-address
    login limit (50 failures an hour) would lock a whole commune out on deadline night. Only the
    hop the trusted proxy appended is believed (the right-most address not itself a proxy); a
    client cannot forge its way past it.
    """
    if peer not in trusted_proxies or not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    while hops and hops[-1] in trusted_proxies:
        hops.pop()
    return hops[-1] if hops else peer


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


async def login(request: Request) -> Response:
    slug = request.path_params["slug"]
    if not _same_origin(request):
        return Response("Origine refusée.", status_code=403)
    form = await request.form()
    email = str(form.get("email", ""))[:254]
    password = str(form.get("password", ""))[:1024]
    target = safe_next(slug, str(form.get("suite", "")), f"/{slug}/accueil")
    settings = get_settings()
    ip = client_ip(request)
    user_agent = request.headers.get("user-agent", "")

    def work() -> tuple[str | None, accounts.LoginResult | None]:
        now = clock.now()
        with get_database().write_session() as session:
            structure = structure_by_slug(session, slug)
            if structure is None:
                return None, None
            result = accounts.authenticate(session, now, structure, email, password, ip)
            token = accounts.open_session(session, now, result.account, user_agent) if result.ok else None
            return token, result

    token, result = await run_in_threadpool(work)
    if result is None:
        return Response("Portail introuvable.", status_code=404)
    if token is None:
        query = {"erreur": "bloque" if result.retry_at else "identifiants"}
        if result.retry_at:
            # Only the time travels in the URL: a crafted link cannot put words on our page.
            query["jusqua"] = accounts.paris_time(result.retry_at)
        if target != f"/{slug}/accueil":
            query["suite"] = target
        response = RedirectResponse(f"/{slug}/connexion?{urlencode(query)}", status_code=303)
        # The typed address comes back pre-filled; the password never does.
        response.set_cookie(FLASH_COOKIE, email, max_age=60, httponly=True, samesite="lax",
                            secure=settings.secure_cookies, path="/")
        return response
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(session_cookie_name(slug), token, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, path="/")
    response.delete_cookie(FLASH_COOKIE, path="/")
    return response


async def logout(request: Request) -> Response:
    slug = request.path_params["slug"]
    if not _same_origin(request):
        return Response("Origine refusée.", status_code=403)
    token = request.cookies.get(session_cookie_name(slug))

    def work() -> None:
        with get_database().write_session() as session:
            accounts.close_session(session, clock.now(), token)

    await run_in_threadpool(work)
    response = RedirectResponse(f"/{slug}/connexion?deconnecte=1", status_code=303)
    response.delete_cookie(session_cookie_name(slug), path="/")
    return response


routes = [
    Route("/api/{slug}/connexion", login, methods=["POST"]),
    Route("/api/{slug}/deconnexion", logout, methods=["POST"]),
]
