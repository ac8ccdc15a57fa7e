"""The régie's refusals, in French, for the back office to show."""

from __future__ import annotations


class RegieError(Exception):
    """A régie operation refused; ``message`` is shown to the staff member as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AlreadyRecorded(RegieError):
    """The same form was submitted again (double click, second tab): nothing new was recorded."""
