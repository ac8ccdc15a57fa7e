"""Outgoing e-mail: `.eml` files by default, SMTP when configured.

Messages are built here (text and HTML parts, French, with the commune's name) so that every
sender gets the same shape. Health data never goes into an e-mail.
"""

from __future__ import annotations

import base64
import html
import re
import secrets
import smtplib
import ssl
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from cantine_portal.config import Settings, private_dir
from cantine_portal.infra.files import write_private


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


@dataclass(frozen=True)
class Brand:
    """The commune's look in an e-mail: its name over a band of its colour, its logo (PNG/JPEG,
    sent as an inline CID attachment, so no remote image is loaded) when it has one."""

    name: str
    colour: str
    logo: bytes | None = None
    logo_mime: str = ""


# The buttons' colour of a message without a commune's brand.
DEFAULT_ACCENT = "#0d7a6f"
_LOGO_CID = "logo-commune@cantine-portal.localhost"
_HEX = re.compile(r"^#[0-9a-f]{6}$")


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
    brand: Brand | None = None
    # Extra headers, e.g. List-Unsubscribe (RFC 8058) on reminders.
    headers: dict[str, str] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """A JSON-ready dict (the job ledger stores queued e-mails as JSON)."""
        data = asdict(self)
        data["attachments"] = [
            {"filename": a.filename, "mime_type": a.mime_type, "content": base64.b64encode(a.content).decode()}
            for a in self.attachments
        ]
        if self.brand is not None:
            data["brand"] = {
                **asdict(self.brand),
                "logo": base64.b64encode(self.brand.logo).decode() if self.brand.logo else None,
            }
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Mail:
        attachments = [
            Attachment(a["filename"], base64.b64decode(a["content"]), a["mime_type"])
            for a in data.get("attachments", [])
        ]
        brand = data.get("brand")
        if brand is not None:
            brand = Brand(**{**brand, "logo": base64.b64decode(brand["logo"]) if brand.get("logo") else None})
        return cls(**{**data, "attachments": attachments, "brand": brand})


def render_html(
    title: str, paragraphs: list[str], button: tuple[str, str] | None = None, after: list[str] | None = None
) -> str:
    """A plain, accessible HTML body; ``paragraphs`` are text (escaped here)."""
    parts = [f"<h1 style='font-size:20px'>{html.escape(title)}</h1>"]
    parts += [f"<p>{html.escape(p)}</p>" for p in paragraphs]
    if button:
        label, url = button
        parts.append(
            f"<p><a href='{html.escape(url, quote=True)}' style='display:inline-block;padding:12px 20px;"
            f"background:{DEFAULT_ACCENT};color:#ffffff;text-decoration:none;border-radius:6px'>{html.escape(label)}</a></p>"
            f"<p style='font-size:13px'>Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur : "
            f"{html.escape(url)}</p>"
        )
    parts += [f"<p>{html.escape(p)}</p>" for p in (after or [])]
    return _BODY_OPEN + "".join(parts) + "</body></html>"


_BODY_OPEN = "<!doctype html><html lang='fr'><body style='font-family:sans-serif'>"


def branded_html(body: str, brand: Brand) -> str:
    """``body`` (from :func:`render_html`) in the commune's colours, its name and logo on top."""
    colour = brand.colour if _HEX.match(brand.colour) else DEFAULT_ACCENT
    logo = (
        f"<img src='cid:{_LOGO_CID}' alt='Logo de {html.escape(brand.name, quote=True)}' height='48' "
        f"style='height:48px;width:auto;vertical-align:middle;margin-right:12px'>"
        if brand.logo
        else ""
    )
    band = (
        f"<div style='border-bottom:4px solid {colour};padding:8px 0;margin-bottom:16px'>{logo}"
        f"<strong style='color:{colour};font-size:18px;vertical-align:middle'>{html.escape(brand.name)}</strong>"
        f"</div>"
    )
    body = body.replace(f"background:{DEFAULT_ACCENT};", f"background:{colour};")
    if body.startswith(_BODY_OPEN):
        return _BODY_OPEN + band + body[len(_BODY_OPEN) :]
    return band + body


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
        for name, value in mail.headers.items():
            message[name] = value
        message.set_content(mail.text)
        brand = mail.brand
        message.add_alternative(branded_html(mail.html, brand) if brand else mail.html, subtype="html")
        if brand is not None and brand.logo and brand.logo_mime in ("image/png", "image/jpeg"):
            html_part = message.get_body(("html",))
            assert isinstance(html_part, EmailMessage)
            html_part.add_related(
                brand.logo,
                maintype="image",
                subtype=brand.logo_mime.split("/", 1)[1],
                cid=f"<{_LOGO_CID}>",
                filename="logo." + ("png" if "png" in brand.logo_mime else "jpg"),
            )
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


class OutboxMailer(Mailer):
    """A mailer that sends nothing: it keeps the messages, for the use case to queue them in the
    same transaction as the change that caused them (a rolled-back change sends no e-mail)."""

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self.outbox: list[Mail] = []

    def send(self, mail: Mail, now: datetime) -> EmailMessage:
        self.outbox.append(mail)
        return self.build(mail, now)

    def take(self) -> list[Mail]:
        """The messages kept so far (and forget them)."""
        mails, self.outbox = self.outbox, []
        return mails
