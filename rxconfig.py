"""Reflex configuration. Portal settings live in cantine_portal/config.py (environment)."""

import reflex as rx

config = rx.Config(
    app_name="cantine_portal",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin()],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
