"""A family's private calendar feed (iCalendar), read by calendar apps through a secret URL.

The token is random (256 bits) and only its SHA-256 is stored; generating a new one revokes the
old, and revoking leaves the family without a feed. The feed is built on each request from the
reservations (paid and pending days, cancelled ones left out), so a booking, a payment or a closure
shows at the app's next refresh. Events are whole days (the portal knows days, not hours), in a
calendar declared Europe/Paris. An unknown or revoked token gets nothing: the route answers the
same empty 404 (no hint whether a token ever existed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event, Timezone
from sqlalchemy import update
from sqlmodel import Session, col, select

from cantine_portal.models import CalendarFeedToken, Child, Reservation, ReservationStatus, Service, Structure
from cantine_portal.services.accounts import hashing, throttle

FEEDS_PER_IP_PER_HOUR = 120
_STATUS_WORDS = {ReservationStatus.PAID: "payé", ReservationStatus.PENDING: "en attente de paiement"}


def active_token(session: Session, structure_id: int, family_id: int) -> CalendarFeedToken | None:
    return session.exec(
        select(CalendarFeedToken).where(
            CalendarFeedToken.structure_id == structure_id,
            CalendarFeedToken.family_id == family_id,
            col(CalendarFeedToken.revoked_at).is_(None),
        )
    ).first()


def revoke(session: Session, now: datetime, structure_id: int, family_id: int) -> int:
    """Revoke the family's feed address(es); returns how many were live."""
    result = session.execute(
        update(CalendarFeedToken)
        .where(
            col(CalendarFeedToken.structure_id) == structure_id,
            col(CalendarFeedToken.family_id) == family_id,
            col(CalendarFeedToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # rowcount: set on the result of an UPDATE/DELETE at run time


def regenerate(session: Session, now: datetime, structure_id: int, family_id: int) -> str:
    """A new secret token for the family (the old address stops working); shown once, never stored."""
    revoke(session, now, structure_id, family_id)
    token = hashing.new_token()
    session.add(
        CalendarFeedToken(
            structure_id=structure_id, family_id=family_id, token_hash=hashing.token_digest(token), created_at=now
        )
    )
    return token


def allowed(session: Session, now: datetime, structure_id: int, ip: str) -> bool:
    """Per-address limit on feed requests (calendar apps poll every few hours, not every second)."""
    scope = f"feed:ip:{ip}"
    since = now - timedelta(hours=1)
    if len(throttle._times(session, structure_id, scope, since)) >= FEEDS_PER_IP_PER_HOUR:
        return False
    throttle.record(session, structure_id, scope, now)
    return True


def feed(session: Session, now: datetime, structure_id: int, token: str) -> bytes | None:
    """The feed of the family whose live token is ``token`` in this commune; None otherwise."""
    if not token or len(token) > 100:
        return None
    row = session.exec(
        select(CalendarFeedToken).where(
            CalendarFeedToken.token_hash == hashing.token_digest(token),
            CalendarFeedToken.structure_id == structure_id,
            col(CalendarFeedToken.revoked_at).is_(None),
        )
    ).first()
    structure = session.get(Structure, structure_id)
    if row is None or structure is None:
        return None
    return build_calendar(session, now, structure, row.family_id)


def build_calendar(session: Session, now: datetime, structure: Structure, family_id: int) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//cantine_portal//Portail famille//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Réservations — {structure.name}")
    calendar.add("x-wr-timezone", "Europe/Paris")
    calendar.add_component(Timezone.from_tzid("Europe/Paris"))
    rows = session.exec(
        select(Reservation, Child, Service)
        .join(Child, col(Child.id) == col(Reservation.child_id))
        .join(Service, col(Service.id) == col(Reservation.service_id))
        .where(
            Reservation.structure_id == structure.id,
            Reservation.family_id == family_id,
            col(Reservation.status).in_([ReservationStatus.PAID, ReservationStatus.PENDING]),
        )
        .order_by(col(Reservation.day), col(Child.position), col(Service.position))
    ).all()
    for reservation, child, service in rows:
        event = Event()
        event.add("uid", f"reservation-{reservation.id}@{structure.slug}.cantine-portal")
        event.add("summary", f"{service.name} — {child.first_name}")
        event.add(
            "description",
            f"{child.first_name} {child.last_name} : {service.name}, "
            f"{_STATUS_WORDS.get(ReservationStatus(reservation.status), '')}",
        )
        event.add("dtstart", reservation.day)
        event.add("dtend", reservation.day + timedelta(days=1))
        event.add("dtstamp", now)
        event.add("last-modified", reservation.updated_at)
        event.add("status", "CONFIRMED" if reservation.status == ReservationStatus.PAID else "TENTATIVE")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    body: bytes = calendar.to_ical()
    return body
