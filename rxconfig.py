"""Reflex configuration. Portal settings live in cantine_portal/config.py (environment)."""

import os

import reflex as rx

# Where a tab's state lives between its events. Scale-out (REFLEX_REDIS_URL set): Redis, shared
# by the workers. One worker (the default deployment): the worker's memory. Reflex's default
# there, a disk cache, pickles every changed tab every 2 s and lists the whole cache folder on
# each pass (measured in docs/performance.md: about 9 % of the worker's CPU at 300 parents). A
# tab whose state is gone (worker restarted) is re-hydrated by Reflex on its next event, and every
# page reloads its data from the database on load, so nothing saved depends on it.
_STATE = {} if os.environ.get("REFLEX_REDIS_URL") else {"state_manager_mode": "memory"}

config = rx.Config(
    app_name="cantine_portal",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin()],
    disable_plugins=[rx.plugins.SitemapPlugin],
    **_STATE,
)
