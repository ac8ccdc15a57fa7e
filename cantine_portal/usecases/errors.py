"""The one refusal a use case raises when the acting person may not do what was asked."""

from __future__ import annotations

MSG_REFUSED_STAFF = "Action refusée : cet élément n'existe pas ou n'appartient pas à votre commune."


class Refused(Exception):
    """The action is refused; ``message`` is the French sentence shown to the person who acted.

    Raised for ids that are not the actor's (forged or stale), never for ordinary validation
    errors, which use cases return in their result so that nothing typed is lost.
    """

    def __init__(self, message: str = MSG_REFUSED_STAFF) -> None:
        super().__init__(message)
        self.message = message
