"""Deadline reminders, the one-click unsubscribe, the private calendar feed, Réservations' ?periode=.

Everything runs at an injected ``now``; the queue is immediate (tests/conftest.py), so a queued
e-mail is an .eml file when the use case returns.
"""

from __future__ import annotations

import email
from datetime import UTC, date, datetime
from email import policy

import pytest
from icalendar import Calendar
from sqlmodel import select

from cantine_portal.french import format_euros
from cantine_portal.infra.db import Database
from cantine_portal.models import Account, Guardian, Reminder, Structure
from cantine_portal.services import reminders
from cantine_portal.usecases import booking, preferences, tasks
from cantine_portal.usecases.actors import ParentActor
from tests.integration.test_booking import MON, NOW, TUE, Demo, _load

DEC_2 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # Wednesday 2 December, 10:00 Paris


@pytest.fixture
def d(database: Database, settings, monkeypatch, demo_rows) -> Demo:
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    return _load(database, monkeypatch)


def _actor(d: Demo, family_id: int) -> ParentActor:
    with d.db.session() as s:
        account = s.exec(select(Account).where(Account.family_id == family_id)).first()
    return ParentActor(d.structure, family_id, account.id)


def _mails(settings) -> list[email.message.EmailMessage]:
    return (
        [
            email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(settings.mail_dir.glob("*.eml"))
        ]
        if settings.mail_dir.exists()
        else []
    )


def _reminder_mails(settings):
    return [m for m in _mails(settings) if m["List-Unsubscribe"]]


def test_reminder_names_the_week_and_its_deadline_with_a_link_to_it(d, settings):
    assert tasks.send_reminders(DEC_2) == 3  # Claire and Julien Martin, Sophie Durand: nothing booked
    mails = _reminder_mails(settings)
    assert sorted(m["To"] for m in mails) == [
        "famille.durand@example.fr",
        "famille.martin@example.fr",
        "julien.martin@example.fr",
    ]
    mail = mails[0]
    assert mail["Subject"] == "Pensez à réserver la semaine du 7 décembre avant le jeudi 3 décembre à 23h59"
    body = mail.get_body(("plain",)).get_content()
    assert f"{settings.base_url}/demo/reservations?periode=2026-W50" in body
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].startswith(f"<{settings.base_url}/api/demo/rappels/desabonnement?jeton=")


def test_reminders_are_sent_once_per_guardian_and_period_however_often_the_task_runs(d, settings):
    assert tasks.send_reminders(DEC_2) == 3
    assert tasks.send_reminders(DEC_2) == 0
    assert tasks.send_reminders(DEC_2.replace(hour=20)) == 0
    assert len(_reminder_mails(settings)) == 3
    with d.db.session() as s:
        assert len(s.exec(select(Reminder)).all()) == 3


def test_an_unpaid_basket_gets_the_basket_reminder_and_a_booked_family_none(d, settings):
    martin = _actor(d, d.martin)
    page = booking.period_page(martin, booking.open_reservations(martin, now=NOW).offset + 1, now=NOW)
    saved = booking.save_choices(
        martin,
        page.view.period.key,
        page.offset,
        {(d.lea, d.canteen, MON), (d.lea, d.canteen, TUE)},
        page.view.basket_version,
        now=NOW,
    )
    assert saved.ok
    assert tasks.send_reminders(DEC_2) == 3
    subjects = {m["To"]: m["Subject"] for m in _reminder_mails(settings)}
    assert subjects["famille.martin@example.fr"] == f"Votre panier de {format_euros(770)} attend son paiement"
    assert subjects["famille.durand@example.fr"].startswith("Pensez à réserver la semaine du 7 décembre")


def test_no_reminder_outside_the_window_nor_when_the_commune_turned_them_off(d, settings):
    assert tasks.send_reminders(datetime(2026, 11, 30, 9, 0, tzinfo=UTC)) == 0  # W50's deadline is 3 days away
    with d.db.write_session() as s:
        structure = s.get(Structure, d.structure)
        structure.reminder_days_before = 0
        s.add(structure)
    assert tasks.send_reminders(DEC_2) == 0
    assert not _reminder_mails(settings)


def test_one_click_unsubscribe_and_the_preferences_page(d, settings):
    from starlette.testclient import TestClient

    from cantine_portal.api.routes import build_api

    tasks.send_reminders(NOW)  # week of 30 November: deadline tonight
    claire = next(m for m in _reminder_mails(settings) if m["To"] == "famille.martin@example.fr")
    url = claire["List-Unsubscribe"].strip("<>").removeprefix(settings.base_url)
    client = TestClient(build_api(), base_url="http://portail.test")
    assert client.get(url).status_code == 200  # GET only shows the button: link scanners change nothing
    assert preferences.preferences(_actor(d, d.martin)).reminders_enabled
    assert client.post(url.replace("jeton=", "jeton=9")).status_code == 404  # forged token
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    martin = _actor(d, d.martin)
    assert not preferences.preferences(martin).reminders_enabled
    with d.db.session() as s:
        julien = s.exec(select(Guardian).where(Guardian.first_name == "Julien")).one()
        assert julien.reminders_enabled  # only Claire unsubscribed
    assert tasks.send_reminders(DEC_2) == 2  # Julien and Sophie
    assert preferences.set_reminders(martin, True, now=NOW).reminders_enabled


def test_token_is_signed_for_one_guardian():
    token = reminders.unsubscribe_token("secret", 12)
    assert reminders.guardian_of_token("secret", token) == 12
    assert reminders.guardian_of_token("other", token) is None
    assert reminders.guardian_of_token("secret", "13." + token.split(".")[1]) is None


# --- calendar feed --------------------------------------------------------------------------------


def test_feed_lists_paid_and_pending_days_in_paris_and_a_revoked_token_gets_404(d, settings, monkeypatch):
    from starlette.testclient import TestClient

    from cantine_portal.api import preferences_routes
    from cantine_portal.api.routes import build_api

    martin = _actor(d, d.martin)
    page = booking.period_page(martin, booking.open_reservations(martin, now=NOW).offset + 1, now=NOW)
    assert booking.save_choices(
        martin,
        page.view.period.key,
        page.offset,
        {(d.lea, d.canteen, MON), (d.hugo, d.canteen, TUE)},
        page.view.basket_version,
        now=NOW,
    ).ok
    url = preferences.regenerate_feed(martin, now=NOW).feed_url
    assert url.startswith(f"{settings.base_url}/api/demo/calendrier/") and url.endswith(".ics")
    path = url.removeprefix(settings.base_url)
    monkeypatch.setattr(preferences_routes.clock, "now", lambda: NOW)
    client = TestClient(build_api(), base_url="http://portail.test")
    answer = client.get(path)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(answer.content)
    assert calendar["X-WR-TIMEZONE"] == "Europe/Paris"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    events = sorted((e.decoded("DTSTART"), str(e["SUMMARY"]), str(e["STATUS"])) for e in calendar.walk("VEVENT"))
    assert events == [
        (date(2026, 12, 7), "Restauration scolaire — Léa", "TENTATIVE"),
        (date(2026, 12, 8), "Restauration scolaire — Hugo", "TENTATIVE"),
    ]
    # A new address revokes the old one; a revoked or unknown token is the same empty 404.
    new_url = preferences.regenerate_feed(martin, now=NOW).feed_url
    assert client.get(path).status_code == 404 and client.get(path).content == b""
    assert client.get("/api/demo/calendrier/inconnu.ics").content == b""
    assert client.get(new_url.removeprefix(settings.base_url)).status_code == 200
    assert client.get(new_url.removeprefix(settings.base_url).replace("/demo/", "/autreville/")).status_code == 404
    assert not preferences.revoke_feed(martin, now=NOW).feed_active
    assert client.get(new_url.removeprefix(settings.base_url)).status_code == 404


def test_feed_route_is_rate_limited_per_address(d, settings, monkeypatch):
    from starlette.testclient import TestClient

    from cantine_portal.api import preferences_routes
    from cantine_portal.api.routes import build_api
    from cantine_portal.services import calendar_feed

    monkeypatch.setattr(calendar_feed, "FEEDS_PER_IP_PER_HOUR", 3)
    monkeypatch.setattr(preferences_routes.clock, "now", lambda: NOW)
    client = TestClient(build_api(), base_url="http://portail.test")
    codes = [client.get("/api/demo/calendrier/nope.ics").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


def test_reservations_open_on_the_period_of_the_link(d):
    martin = _actor(d, d.martin)
    page = booking.open_reservations(martin, now=NOW, period_key="2026-W50")
    assert page.view.period.key == "2026-W50"
    assert booking.open_reservations(martin, now=NOW, period_key="2026-12").view.period.key == "2026-W49"  # wrong mode
    assert booking.open_reservations(martin, now=NOW, period_key="n'importe").view.period.key == "2026-W49"


def test_staff_see_reminders_per_period_and_failed_tasks(d, settings):
    from cantine_portal.models import AccountRole, Job, JobStatus
    from cantine_portal.usecases.backoffice.common import StaffActor
    from cantine_portal.usecases.backoffice.tasks import tasks_status

    tasks.send_reminders(DEC_2)
    with d.db.write_session() as s:
        staff = s.exec(
            select(Account).where(Account.role == AccountRole.STAFF, Account.structure_id == d.structure)
        ).first()
        s.add(
            Job(
                kind="mail",
                status=JobStatus.FAILED,
                attempts=6,
                run_after=DEC_2,
                created_at=DEC_2,
                finished_at=DEC_2,
                last_error="SMTPRecipientsRefused: x@example.fr",
            )
        )
    status = tasks_status(StaffActor(d.structure, staff.id), now=DEC_2)
    assert status.reminders == ["2026-W50 : 3 « pensez à réserver », 0 « panier en attente »"]
    assert status.failed == 1 and status.failures == ["E-mail — 02/12/2026 à 10h00"]  # no address shown
