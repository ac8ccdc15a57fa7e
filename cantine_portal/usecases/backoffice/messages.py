"""« Messages »: what families sent through the contact form, marked handled, answered by e-mail."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from cantine_portal.config import get_settings
from cantine_portal.infra import storage
from cantine_portal.services.backoffice import messages as rules
from cantine_portal.services.backoffice.messages import MessageRow
from cantine_portal.usecases.backoffice.common import Download, Outcome, StaffActor, change, change_and_mail, read

__all__ = ["MessageRow", "SHOWS", "attachment_file", "messages_page", "reply", "set_handled"]
SHOWS = ("all", "open", "handled")
log = logging.getLogger(__name__)


def _rows(actor: StaffActor, show: str) -> Callable[[Session], list[MessageRow]]:
    return lambda s: rules.list_messages(s, actor.structure_id, actor.account_id, show)


def messages_page(actor: StaffActor, *, show: str) -> list[MessageRow]:
    """The messages, all of them or only the open (or handled) ones."""
    return read(_rows(actor, show))


def set_handled(
    actor: StaffActor, *, now: datetime, message_id: int, handled: bool, show: str
) -> Outcome[list[MessageRow]]:
    return change(
        lambda s: rules.set_handled(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            message_id=message_id,
            handled=handled,
            ip=actor.ip,
        ),
        _rows(actor, show),
    )


def reply(actor: StaffActor, *, now: datetime, message_id: int, text: str, show: str) -> Outcome[list[MessageRow]]:
    """E-mail ``text`` to the family's account, From the commune; the message is then handled."""
    return change_and_mail(
        now,
        lambda s, mailer: rules.reply(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            message_id=message_id,
            text=text,
            mailer=mailer,
            ip=actor.ip,
        ),
        _rows(actor, show),
    )


def attachment_file(actor: StaffActor, *, message_id: int) -> Download | None:
    """The PDF a family attached to a message (None without one, or when it cannot be read)."""
    settings = get_settings()
    message = read(lambda s: rules.attachment_of(s, actor.structure_id, actor.account_id, message_id))
    if not message.attachment_path:
        return None
    try:
        data = storage.read_bytes(settings, message.attachment_path)
    except (storage.StorageError, OSError):
        log.warning("message %s: attachment unreadable", message_id, exc_info=True)
        return None
    return Download(data, message.attachment_name or "piece-jointe.pdf", "application/pdf")
