"""Reflex configuration. Portal settings live in cantine_portal/config.py (environment)."""

import os

import reflex as rx

from cantine_portal.config import origins_from_env

# Where a tab's state lives between its events. Scale-out (REFLEX_REDIS_URL set): Redis, shared
# by the workers. One worker (the default deployment): the worker's memory. Reflex's default
# there, a disk cache, pickles every changed tab every 2 s and lists the whole cache folder on
# each pass (measured in docs/performance.md: about 9 % of the worker's CPU at 300 parents). A
# tab whose state is gone (worker restarted) is re-hydrated by Reflex on its next event, and every
# page reloads its data from the database on load, so nothing saved depends on it.
_STATE = {} if os.environ.get("REFLEX_REDIS_URL") else {"state_manager_mode": "memory"}

# Reflex answers CORS (its outermost middleware) and the socket.io handshake from this list: only
# the portal's own origin(s), never "*" (which, with credentials, lets any site read a family's data).
# cantine_portal/api/middleware.py enforces the same list again (docs/security.md).
_ORIGINS = list(origins_from_env())

config = rx.Config(
    app_name="cantine_portal",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin()],
    disable_plugins=[rx.plugins.SitemapPlugin],
    cors_allowed_origins=_ORIGINS,
    **_STATE,
)
