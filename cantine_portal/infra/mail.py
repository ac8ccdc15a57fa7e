"""Outgoing e-mail: `.eml` files by default, SMTP when configured.

Messages are built here (text and HTML parts, French, with the commune's name) so that every
sender gets the same shape. Health data never goes into an e-mail.
"""

from __future__ import annotations

import html
import secrets
import smtplib
import time
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path

from cantine_portal.config import Settings, private_dir
from cantine_portal.infra.files import write_private


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    html: str
    reply_to: str | None = None
    # Display name of the sender (e.g. the commune answering a family); the address stays ours.
    sender_name: str | None = None
    attachments: list[Attachment] = field(default_factory=list)


def render_html(title: str, paragraphs: list[str], button: tuple[str, str] | None = None, after: list[str] | None = None) -> str:
    """A plain, accessible HTML body; ``paragraphs`` are text (escaped here)."""
    parts = [f"<h1 style='font-size:20px'>{html.escape(title)}</h1>"]
    parts += [f"<p>{html.escape(p)}</p>" for p in paragraphs]
    if button:
        label, url = button
        parts.append(
            f"<p><a href='{html.escape(url, quote=True)}' style='display:inline-block;padding:12px 20px;"
            f"background:#0d7a6f;color:#ffffff;text-decoration:none;border-radius:6px'>{html.escape(label)}</a></p>"
            f"<p style='font-size:13px'>Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur : "
            f"{html.escape(url)}</p>"
        )
    parts += [f"<p>{html.escape(p)}</p>" for p in (after or [])]
    return "<!doctype html><html lang='fr'><body style='font-family:sans-serif'>" + "".join(parts) + "</body></html>"


# CPython's default folding splits a long accented subject into two encoded words and the
# space between them is lost on reading ("a étécréé"); 998 is the RFC 5322 line limit.
_POLICY = policy.SMTP.clone(max_line_length=998)


class Mailer:
    def __init__(self, settings: Settings):
        self.settings = settings

    def build(self, mail: Mail, now: datetime) -> EmailMessage:
        message = EmailMessage(policy=_POLICY)
        if mail.sender_name:
            message["From"] = formataddr((mail.sender_name, parseaddr(self.settings.mail_from)[1]))
        else:
            message["From"] = self.settings.mail_from
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = format_datetime(now)
        message["Message-ID"] = make_msgid(domain="cantine-portal.localhost")
        if mail.reply_to:
            message["Reply-To"] = mail.reply_to
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        for attachment in mail.attachments:
            maintype, subtype = attachment.mime_type.split("/", 1)
            message.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
        return message

    def send(self, mail: Mail, now: datetime) -> EmailMessage:
        message = self.build(mail, now)
        smtp = self.settings.smtp
        if smtp is None:
            self._write_eml(message, now)
        else:
            context = ssl.create_default_context()
            if smtp.tls == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, context=context, timeout=20)
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=20)
            with client:
                if smtp.tls == "starttls":
                    client.starttls(context=context)
                if smtp.user:
                    client.login(smtp.user, smtp.password or "")
                client.send_message(message)
        return message

    def _write_eml(self, message: EmailMessage, now: datetime) -> Path:
        folder = private_dir(self.settings.mail_dir)
        # Named by the machine's nanosecond clock so that a folder listing is in sending order.
        path = folder / f"{time.time_ns()}-{secrets.token_hex(4)}.eml"
        write_private(path, bytes(message))  # 0600: it may hold a link that opens an account
        return path
