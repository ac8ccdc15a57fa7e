"""What every back-office use case shares: the acting staff member, the refusal mapping, one
change followed by a fresh read of the page, and the file a download route sends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlmodel import Session

from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.infra.mail import Mailer
from cantine_portal.services.backoffice.access import NotAllowed, WrongRole
from cantine_portal.usecases.errors import Refused
from cantine_portal.usecases.outbox import write_and_mail

P = TypeVar("P")
T = TypeVar("T")


@dataclass(frozen=True)
class StaffActor:
    """Who acts: a staff account of one commune (checked again by every service), from ``ip``."""

    structure_id: int
    account_id: int
    ip: str = ""


@dataclass(frozen=True)
class ServiceChoice:
    """An active service offered in a form's list (its position there is what the browser sends)."""

    id: int
    name: str


@dataclass(frozen=True)
class Outcome(Generic[P]):
    """What a change did, in French, and the page read again after it.

    ``page`` is None when nothing changed (validation errors): the form keeps what was typed.
    ``conflict``: someone else saved the same row first; the page is read again anyway.
    """

    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)
    conflict: bool = False
    page: P | None = None


@dataclass(frozen=True)
class Download:
    """A file a back-office HTTP route sends as is."""

    data: bytes
    filename: str
    media_type: str


@contextmanager
def refusing() -> Iterator[None]:
    """A service's NotAllowed, inside, becomes the staff's refusal message (the role's own
    message when only the role is missing)."""
    try:
        yield
    except WrongRole as wrong:
        raise Refused(str(wrong)) from None
    except NotAllowed:
        raise Refused() from None


def read(work: Callable[[Session], T]) -> T:
    """``work`` in one read-only session, refused when the services refuse."""
    with refusing(), get_database().session() as session:
        return work(session)


def write(work: Callable[[Session], T]) -> T:
    """``work`` in one write transaction (committed on return), refused when the services refuse."""
    with refusing(), get_database().write_session() as session:
        return work(session)


def change(work: Callable[[Session], Any], page: Callable[[Session], P] | None = None) -> Outcome[P]:
    """One write transaction, then (when it changed something, or lost a race) the page read again.

    ``work`` returns a service result with ``ok``, ``message``, ``errors`` (and maybe ``conflict``).
    """
    result = write(work)
    conflict = bool(getattr(result, "conflict", False))
    fresh = read(page) if page is not None and (result.ok or conflict) else None
    return Outcome(result.ok, result.message, dict(result.errors), conflict, fresh)


def change_and_mail(
    now: datetime, work: Callable[[Session, Mailer], Any], page: Callable[[Session], P] | None = None
) -> Outcome[P]:
    """``change``, whose e-mails are queued in its transaction (usecases/outbox.py) and sent by
    the task queue after the commit."""
    with refusing():
        result = write_and_mail(now, work)
    conflict = bool(getattr(result, "conflict", False))
    fresh = read(page) if page is not None and (result.ok or conflict) else None
    return Outcome(result.ok, result.message, dict(result.errors), conflict, fresh)


def mailer() -> Mailer:
    """The portal's mailer, built from the current settings."""
    return Mailer(get_settings())
