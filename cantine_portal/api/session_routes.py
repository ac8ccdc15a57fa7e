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
from cantine_portal.french import format_paris_time
from cantine_portal.infra.http import FLASH_COOKIE, forwarded_client_ip, session_cookie_name, staff_cookie_name
from cantine_portal.infra.db import get_database
from cantine_portal.services.accounts import login as accounts
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.tenants import structure_by_slug

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
    """The parents' form. A staff account that logs in here lands in the back office, with the
    staff cookie: it never receives a parent session."""
    return await _login(request, staff_form=False)


async def staff_login(request: Request) -> Response:
    """The back office's form: staff accounts only; a parent's credentials are refused."""
    return await _login(request, staff_form=True)


async def _login(request: Request, *, staff_form: bool) -> Response:
    slug = request.path_params["slug"]
    if not _same_origin(request):
        return Response("Origine refusée.", status_code=403)
    form = await request.form()
    email = str(form.get("email", ""))[:254]
    password = str(form.get("password", ""))[:1024]
    home = f"/{slug}/admin" if staff_form else f"/{slug}/accueil"
    login_page = f"/{slug}/admin/connexion" if staff_form else f"/{slug}/connexion"
    target = safe_next(slug, str(form.get("suite", "")), home)
    if staff_form and not (target == home or target.startswith(home + "/")):
        target = home
    settings = get_settings()
    ip = client_ip(request)
    user_agent = request.headers.get("user-agent", "")

    def work() -> tuple[str | None, accounts.LoginResult | None, str]:
        now = clock.now()
        database = get_database()
        with database.session() as session:
            structure = structure_by_slug(session, slug)
            if structure is None:
                return None, None, ""
            # argon2id outside the write transaction (see verify_before_login).
            verified = accounts.verify_before_login(session, now, structure.id, email, password, ip)
        with database.write_session() as session:
            structure = structure_by_slug(session, slug)
            if structure is None:
                return None, None, ""
            result = accounts.authenticate(session, now, structure, email, password, ip, verified=verified)
            if result.ok and staff_form and result.account.role != "staff":
                # Right password, wrong door: same answer as a wrong password, and no session.
                audit.record(session, now, "login.staff_refused", structure_id=structure.id,
                             account_id=result.account.id, ip=ip)
                return None, accounts.LoginResult(None, accounts.MSG_BAD_CREDENTIALS), ""
            token = accounts.open_session(session, now, result.account, user_agent) if result.ok else None
            return token, result, result.account.role if result.ok else ""

    token, result, role = await run_in_threadpool(work)
    if result is None:
        return Response("Portail introuvable.", status_code=404)
    if token is None:
        query = {"erreur": "bloque" if result.retry_at else "identifiants"}
        if result.retry_at:
            # Only the time travels in the URL: a crafted link cannot put words on our page.
            query["jusqua"] = format_paris_time(result.retry_at)
        if target != home:
            query["suite"] = target
        response = RedirectResponse(f"{login_page}?{urlencode(query)}", status_code=303)
        # The typed address comes back pre-filled; the password never does.
        response.set_cookie(FLASH_COOKIE, email, max_age=60, httponly=True, samesite="lax",
                            secure=settings.secure_cookies, path="/")
        return response
    if role == "staff":
        if not staff_form:
            target = f"/{slug}/admin"
        cookie = staff_cookie_name(slug)
    else:
        cookie = session_cookie_name(slug)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(cookie, token, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/")
    response.delete_cookie(FLASH_COOKIE, path="/")
    return response


async def logout(request: Request) -> Response:
    return await _logout(request, staff=False)


async def staff_logout(request: Request) -> Response:
    return await _logout(request, staff=True)


async def _logout(request: Request, *, staff: bool) -> Response:
    slug = request.path_params["slug"]
    if not _same_origin(request):
        return Response("Origine refusée.", status_code=403)
    cookie = staff_cookie_name(slug) if staff else session_cookie_name(slug)
    token = request.cookies.get(cookie)

    def work() -> None:
        with get_database().write_session() as session:
            accounts.close_session(session, clock.now(), token)

    await run_in_threadpool(work)
    page = f"/{slug}/admin/connexion" if staff else f"/{slug}/connexion"
    response = RedirectResponse(f"{page}?deconnecte=1", status_code=303)
    response.delete_cookie(cookie, path="/")
    return response


routes = [
    Route("/api/{slug}/connexion", login, methods=["POST"]),
    Route("/api/{slug}/deconnexion", logout, methods=["POST"]),
    Route("/api/{slug}/admin/connexion", staff_login, methods=["POST"]),
    Route("/api/{slug}/admin/deconnexion", staff_logout, methods=["POST"]),
]
