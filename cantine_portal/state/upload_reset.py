"""Clearing a file picker from a handler without ``eval`` (the CSP forbids it: docs/security.md).

``rx.clear_selected_files`` returned by a handler travels as a script string that the browser
must ``eval`` — refused under the portal's Content-Security-Policy. Instead a handler returns
``clear_upload(upload_id)``: a backend event that bumps a counter, and the page's
``components/upload_reset.upload_reset(upload_id)`` clears the picker in compiled code when the
counter changes.
"""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec


class UploadResetState(rx.State):
    """How many times each picker was asked to clear (only the change matters)."""

    resets: dict[str, int] = {}

    @rx.event
    def bump(self, upload_id: str) -> None:
        self.resets = {**self.resets, upload_id: self.resets.get(upload_id, 0) + 1}


def clear_upload(upload_id: str) -> EventSpec:
    return UploadResetState.bump(upload_id)
