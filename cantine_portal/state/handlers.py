"""The one way to declare a Reflex event handler of the portal.

``@parent_event`` (family pages) and ``@staff_event`` (back office) do what every handler must do
before anything else, on the server: read the commune of the URL, check the session cookie in the
database, and send a visitor who is not (or no longer) logged in to the right login page. Then:

- the body runs in a thread of ``state/offload.py``'s pool (it may call use cases that wait for the
  database) unless ``db=False``: a handler that only touches the tab's memory, such as a tick, runs
  on the event loop at once, and its check is in memory too (``_parent_known``: an earlier handler
  of the page checked the session in the database); it reaches no database at all;
- a ``Refused`` raised by a use case becomes its French message on the page
  (``_show_refusal``), never a server error.

``@staff_event(area=...)`` says which staff roles may run it (issue 20): the default,
``Area.ADMINISTRATION``, refuses a « restauration » account; ``Area.RESTAURATION`` (Effectifs, the
roll call, the home page) lets every staff role in. The check follows the session check, on the
server, before the body: a refused page load shows the refusal instead of the page
(``StaffState.access_refused``), a refused handler shows it as the page's message. The area is
kept on the handler (``STAFF_AREA``) so that a test lists every handler with its area.
``@staff_event(activity=False)`` is for what a page sends by itself (Pointage's periodic refresh):
the session is checked as usual but the request does not count as activity, so the idle timeout
still logs out a tablet nobody touches.

``on_load=True`` is for a page's ``on_load`` handler: the commune is read again from the database
(its name or settings may have changed) and an unknown commune shows the "Portail introuvable"
page instead of a redirect to a login page that does not exist.

Helpers of states are named with a leading underscore: Reflex turns every public method of a
state into an event any client may send.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from cantine_portal.state.offload import in_thread, off_loop
from cantine_portal.usecases.errors import Refused
from cantine_portal.usecases.identity import Area

F = TypeVar("F", bound=Callable[..., Any])
# The attribute of a staff handler's function that holds its Area (read by the roles test).
STAFF_AREA = "__staff_area__"


def _guarded(fn: Callable[..., Any], check: str, redirect: str, on_load: bool, area: Area | None) -> Callable[..., Any]:
    """``fn`` preceded by the session check ``check`` (and, for staff, the role's ``area``) and
    followed by the refusal mapping."""

    def allowed(self: Any) -> Any:
        """None when the body may run; otherwise what the handler returns instead."""
        if on_load:
            self._load_portal()
            if self.portal_status != "found":
                return False
        identity = getattr(self, check)()
        if identity is None:
            return getattr(self, redirect)() if self.portal_status == "found" else False
        if area is not None and self._refused_area(identity, area, on_load):
            return False
        return None

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_handler(self: Any, *args: Any, **kwargs: Any) -> Any:
            refusal = await in_thread(allowed, self)
            if refusal is not None:
                return None if refusal is False else refusal
            try:
                return await fn(self, *args, **kwargs)
            except Refused as refused:
                self._show_refusal(refused.message)
                return None

        return async_handler

    @functools.wraps(fn)
    def handler(self: Any, *args: Any, **kwargs: Any) -> Any:
        refusal = allowed(self)
        if refusal is not None:
            return None if refusal is False else refusal
        try:
            return fn(self, *args, **kwargs)
        except Refused as refused:
            self._show_refusal(refused.message)
            return None

    return handler


def _declare(
    fn: Callable[..., Any], check: str, redirect: str, *, db: bool, on_load: bool, area: Area | None = None
) -> Any:
    if not db and on_load:
        raise TypeError(f"{fn.__qualname__}: a page load reads the database (db=False is for memory-only handlers)")
    handler = _guarded(fn, check, redirect, on_load, area)
    if db and not inspect.iscoroutinefunction(handler):
        handler = off_loop(handler)
    if area is not None:
        setattr(handler, STAFF_AREA, area)
    return rx.event(handler)


def parent_event(fn: F | None = None, *, db: bool = True, on_load: bool = False) -> Any:
    """A handler of a family page: the parent's session is checked first (else the login page)."""
    check = "_require_parent" if db else "_parent_known"
    if fn is None:
        return lambda inner: _declare(inner, check, "_login_redirect", db=db, on_load=on_load)
    return _declare(fn, check, "_login_redirect", db=db, on_load=on_load)


def staff_event(
    fn: F | None = None,
    *,
    db: bool = True,
    on_load: bool = False,
    area: Area = Area.ADMINISTRATION,
    activity: bool = True,
) -> Any:
    """A handler of a back-office page: the staff session is checked first (else the staff login),
    then the role: ``area`` is what the handler belongs to (administration unless it says so).
    ``activity=False``: sent by the page itself, it does not keep the session alive."""
    if not db:
        raise TypeError("staff_event(db=False): no memory-only check is defined for the back office")
    area = Area(area)
    check = "_require_staff" if activity else "_require_staff_quietly"

    def declare(inner: Callable[..., Any]) -> Any:
        return _declare(inner, check, "_staff_login_redirect", db=db, on_load=on_load, area=area)

    return declare if fn is None else declare(fn)
