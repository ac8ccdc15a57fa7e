"""What the HTTP routes and the Reflex states both need to know about a request.

Cookie names, reading a cookie header, and the client's address behind a trusted reverse proxy.
It sits below ``api/`` and ``state/`` so that neither imports the other.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

FLASH_COOKIE = "cp_flash_email"


def session_cookie_name(slug: str) -> str:
    """The parents' session cookie of one commune."""
    return f"cp_session_{slug}"


def staff_cookie_name(slug: str) -> str:
    """The back office's own cookie: a parent session and a staff session are never interchangeable."""
    return f"cp_staff_{slug}"


def read_cookie(cookie_header: str, name: str) -> str | None:
    """One cookie's value from a ``Cookie:`` header (None when absent or when the header is malformed)."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def forwarded_client_ip(peer: str, forwarded_for: str | None, trusted_proxies: frozenset[str]) -> str:
    """The client's address: the TCP peer, unless that peer is our reverse proxy.

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
