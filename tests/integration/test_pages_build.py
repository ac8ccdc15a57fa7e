"""Every page of the app builds: its component function runs without error (cheap, no frontend build).

A page that raises while it is evaluated (a menu entry without its description, a var that does not
exist) stops `reflex run` from compiling, so no page of the portal is served at all; this finds it in
seconds instead of in the browser tests' start-up.
"""

from __future__ import annotations

import reflex as rx

from cantine_portal.cantine_portal import app


def test_every_registered_page_builds() -> None:
    pages = app._unevaluated_pages  # Reflex keeps each page's component function until it compiles
    assert len(pages) >= 20
    for route, page in pages.items():
        component = page.component() if callable(page.component) else page.component
        assert isinstance(component, rx.Component), route


def test_the_roll_call_page_is_registered_and_builds() -> None:
    """« Pointage » (issue 20): its page builds, with the two big buttons and the periodic refresh."""
    page = app._unevaluated_pages["[slug]/admin/pointage"]
    rendered = str(page.component())
    assert "Absent" in rendered and "aria-pressed" in rendered.replace("ariaPressed", "aria-pressed")
    assert "onAnimationEnd" in rendered
