"""Sick-day absences (issue 20, item 2): the deadline of the day in Paris (DST days included), the
certificate checked by its content, basket days leaving the basket, credits once and only once by
the commune's carence rule, the kitchen's counts dropping the child, ownership."""

from __future__ import annotations

import email
import io
from datetime import UTC, date, datetime, timedelta
from email import policy

import pytest
from PIL import Image
from reportlab.pdfgen import canvas
from sqlmodel import select

from cantine_portal.french import PARIS
from cantine_portal.infra.mail import Mailer
from cantine_portal.models import (
    Absence,
    AbsenceDay,
    Account,
    Child,
    Credit,
    Family,
    Reservation,
    ReservationStatus,
    Service,
    Structure,
)
from cantine_portal.services.backoffice import absences as staff
from cantine_portal.services.backoffice import attendance
from cantine_portal.services.backoffice.access import NotAllowed
from cantine_portal.services.booking import absence_days, absences, basket, choices, period_view
from cantine_portal.services.booking.errors import CHECKOUT_MESSAGE
from cantine_portal.services.booking.queries import credit_balance
from cantine_portal.services.demo import MARTIN_EMAIL, STAFF_EMAIL
from cantine_portal.services.shared.calendar import period_containing

UTC = UTC
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thursday, 10:00 in Paris
MON, TUE, THU, FRI = date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 10), date(2026, 12, 11)


def paris(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def png(size: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), "white").save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "JPEG")
    return out.getvalue()


def pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Certificat médical : éviction scolaire de 3 jours.")
    page.save()
    return out.getvalue()


@pytest.fixture
def w(demo_session, database, settings):
    """The demo: Martin (Léa, Hugo) and Durand (Emma) of « demo », its canteen, its staff."""
    s = demo_session
    demo = s.exec(select(Structure).where(Structure.slug == "demo")).one()
    martin = s.exec(select(Family).where(Family.name == "Martin")).one()
    durand = s.exec(select(Family).where(Family.name == "Durand")).one()
    return {
        "db": database,
        "settings": settings,
        "demo": demo.id,
        "martin": martin.id,
        "durand": durand.id,
        "martin_account": s.exec(select(Account.id).where(Account.email == MARTIN_EMAIL)).one(),
        "staff": s.exec(select(Account.id).where(Account.email == STAFF_EMAIL)).one(),
        "lea": s.exec(select(Child.id).where(Child.first_name == "Léa")).one(),
        "hugo": s.exec(select(Child.id).where(Child.first_name == "Hugo")).one(),
        "emma": s.exec(select(Child.id).where(Child.first_name == "Emma")).one(),
        "canteen": s.exec(
            select(Service.id).where(Service.structure_id == demo.id, Service.name == "Restauration scolaire")
        ).one(),
        "morning": s.exec(
            select(Service.id).where(Service.structure_id == demo.id, Service.name == "Garderie du matin")
        ).one(),
    }


def paid(w, child: str, *days: date, service: str = "canteen", price: int = 385, family: str = "martin") -> None:
    """Paid days as a payment leaves them (the books are the property test's business)."""
    with w["db"].write_session() as s:
        for day in days:
            s.add(
                Reservation(
                    structure_id=w["demo"],
                    family_id=w[family],
                    child_id=w[child],
                    service_id=w[service],
                    day=day,
                    status=ReservationStatus.PAID,
                    price_cents=price,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )


def declare(w, child: str, days: list[date], now: datetime = NOW, data: bytes | None = None, family: str = "martin"):
    with w["db"].write_session() as s:
        return absences.declare_absence(
            s,
            w["settings"],
            now,
            structure_id=w["demo"],
            family_id=w[family],
            account_id=w["martin_account"],
            child_id=w[child],
            days=days,
            data=png() if data is None else data,
        )


def validate(w, absence_id: int, now: datetime = NOW, mailer: Mailer | None = None):
    with w["db"].write_session() as s:
        return staff.validate_absence(
            s, mailer, now, structure_id=w["demo"], account_id=w["staff"], absence_id=absence_id
        )


def balance(w) -> int:
    with w["db"].session() as s:
        return credit_balance(s, w["demo"], w["martin"])


def carence(w, days: int) -> None:
    with w["db"].write_session() as s:
        s.get(Structure, w["demo"]).absence_carence_days = days


# --- the deadline of the day, in Paris ---------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 10, 26),  # Monday after the last Sunday of October (back to UTC+1)
        date(2026, 10, 23),  # the Friday before it (UTC+2)
        date(2027, 3, 29),  # Monday after the last Sunday of March (UTC+2)
        date(2027, 3, 26),  # the Friday before it (UTC+1)
        date(2026, 12, 7),
    ],
)
def test_today_until_the_communes_time_in_paris_whatever_the_clock_change(w, day):
    with w["db"].session() as s:
        structure = s.get(Structure, w["demo"])
    assert structure.absence_deadline_time == "09:00"
    assert absences.can_declare(structure, day, paris(day, 8, 59).astimezone(UTC))
    assert not absences.can_declare(structure, day, paris(day, 9, 1).astimezone(UTC))
    assert not absences.can_declare(structure, day, paris(day, 9, 0).astimezone(UTC))
    # Future days any time, past days never.
    assert absences.can_declare(structure, day, paris(day - timedelta(days=1), 23, 59).astimezone(UTC))
    assert not absences.can_declare(structure, day, paris(day + timedelta(days=1), 7, 0).astimezone(UTC))


def test_the_utc_offset_of_the_day_is_the_one_used(w):
    """On the Monday after the March change, 9:00 in Paris is 7:00 UTC (not 8:00 as the week before)."""
    with w["db"].session() as s:
        structure = s.get(Structure, w["demo"])
    monday, friday = date(2027, 3, 29), date(2027, 3, 26)
    assert absences.declaration_deadline(structure, monday).astimezone(UTC).hour == 7
    assert absences.declaration_deadline(structure, friday).astimezone(UTC).hour == 8
    assert not absences.can_declare(structure, monday, datetime(2027, 3, 29, 7, 30, tzinfo=UTC))
    assert absences.can_declare(structure, friday, datetime(2027, 3, 26, 7, 30, tzinfo=UTC))


@pytest.mark.parametrize("day", [date(2026, 10, 26), date(2027, 3, 29), date(2027, 3, 30)])
def test_declaring_at_8h59_is_accepted_and_at_9h01_refused(w, day):
    paid(w, "lea", day)
    paid(w, "hugo", day)
    late = declare(w, "lea", [day], now=paris(day, 9, 1).astimezone(UTC))
    assert not late.ok and "ne peut plus être signalé" in late.message and "9h00" in late.message
    on_time = declare(w, "hugo", [day], now=paris(day, 8, 59).astimezone(UTC))
    assert on_time.ok and on_time.waiting == 1


def test_the_communes_time_is_its_own(w):
    with w["db"].write_session() as s:
        s.get(Structure, w["demo"]).absence_deadline_time = "07:30"
    paid(w, "lea", MON)
    assert not declare(w, "lea", [MON], now=paris(MON, 7, 45).astimezone(UTC)).ok
    assert declare(w, "lea", [MON], now=paris(MON, 7, 29).astimezone(UTC)).ok


# --- the certificate ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, words",
    [
        (b"MZ\x90\x00\x03" + b"\x00" * 400, "ni un PDF"),  # a Windows program renamed certificat.pdf
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 400, "ni un PDF"),
        (b"%PDF-1.4\n" + b"MZ" + b"\x00" * 100, ""),  # says PDF, is not one
        (b"", "Joignez le certificat"),
        (png()[:20], "ni un PDF"),  # a truncated photo
    ],
)
def test_a_certificate_that_is_not_a_pdf_or_a_photo_is_refused_and_nothing_is_kept(w, data, words):
    paid(w, "lea", MON)
    result = declare(w, "lea", [MON], data=data)
    assert not result.ok and words in result.message
    with w["db"].session() as s:
        assert s.exec(select(Absence)).all() == [] and s.exec(select(AbsenceDay)).all() == []
    assert not list(w["settings"].storage_dir.glob("absences/*"))


def test_an_oversized_photo_gets_a_clear_french_message(w):
    paid(w, "lea", MON)
    big = png() + b"\x00" * (absences.MAX_BYTES)
    result = declare(w, "lea", [MON], data=big)
    assert not result.ok
    assert result.message.startswith("Le certificat dépasse 5")
    assert "reprenez la photo" in result.message


@pytest.mark.parametrize("maker, media", [(png, "image/png"), (jpeg, "image/jpeg"), (pdf, "application/pdf")])
def test_a_valid_png_jpeg_or_pdf_is_kept_privately_and_served_to_staff(w, maker, media):
    paid(w, "lea", MON)
    data = maker()
    result = declare(w, "lea", [MON], data=data)
    assert result.ok, result.message
    with w["db"].session() as s:
        absence = staff.certificate_of(s, w["demo"], w["staff"], result.absence_id)
    assert absence.certificate_media == media and absence.certificate_path.startswith("absences/")
    stored = w["settings"].storage_dir / absence.certificate_path
    assert stored.read_bytes() == data and oct(stored.stat().st_mode & 0o777) == "0o600"


# --- basket days, paid days, ownership ---------------------------------------------------------


def test_basket_days_leave_the_basket_at_once_and_paid_days_wait(w):
    week = period_containing("week", MON)
    with w["db"].write_session() as s:
        added = choices.apply_choices(
            s, NOW, w["demo"], w["martin"], week, {(w["lea"], w["canteen"], TUE), (w["hugo"], w["canteen"], TUE)}, None
        )
    assert added.ok
    paid(w, "lea", MON)
    result = declare(w, "lea", [MON, TUE])
    assert result.ok and (result.withdrawn, result.waiting) == (1, 1)
    assert "1 jour retiré du panier" in result.message and "en attente de validation" in result.message
    with w["db"].session() as s:
        summary = basket.basket_summary(s, NOW, w["demo"], w["martin"])
        assert [line.child_name for line in summary.lines] == ["Hugo"]  # Léa's Tuesday left the basket
        assert summary.version == added.basket_version + 1
        view = period_view.build_period_view(s, NOW, w["demo"], w["martin"], week)
        cell = view.cell((w["lea"], w["canteen"], MON))
        assert cell.state == "absent-pending" and cell.reason == "Absence signalée" and not cell.editable
        assert s.exec(select(Absence)).one().status == "pending"


def test_a_basket_frozen_by_a_payment_under_way_is_not_touched(w):
    """The bank must confirm the snapshot it was sent: the declaration waits for the payment's end."""
    week = period_containing("week", MON)
    with w["db"].write_session() as s:
        assert choices.apply_choices(s, NOW, w["demo"], w["martin"], week, {(w["lea"], w["canteen"], TUE)}, None).ok
        basket.current_basket(s, w["demo"], w["martin"]).status = "checkout"
    result = declare(w, "lea", [TUE])
    assert not result.ok and result.message == CHECKOUT_MESSAGE
    with w["db"].session() as s:
        assert s.exec(select(Absence)).all() == []
        assert s.exec(select(Reservation).where(Reservation.day == TUE)).one().status == ReservationStatus.PENDING


def test_valider_never_cancels_a_day_under_absence(w):
    """Unticking a day whose absence waits for the staff would credit it behind their back."""
    paid(w, "lea", MON, TUE)
    assert declare(w, "lea", [MON]).ok
    with w["db"].write_session() as s:
        result = choices.apply_choices(s, NOW, w["demo"], w["martin"], period_containing("week", MON), set(), None)
    assert result.cancelled == 1  # Tuesday only
    with w["db"].session() as s:
        monday = s.exec(select(Reservation).where(Reservation.day == MON, Reservation.child_id == w["lea"])).one()
        assert monday.status == ReservationStatus.PAID
    assert balance(w) == 385


def test_another_familys_child_or_an_unbooked_day_is_refused(w):
    paid(w, "emma", MON, family="durand")
    other = declare(w, "emma", [MON])  # Martin's login, Durand's child
    assert not other.ok and other.message == absences.MSG_FORBIDDEN
    unbooked = declare(w, "lea", [MON])
    assert not unbooked.ok and "Aucune réservation de Léa" in unbooked.message
    paid(w, "lea", MON)
    assert declare(w, "lea", [MON]).ok
    twice = declare(w, "lea", [MON])
    assert not twice.ok and twice.message == absences.MSG_ALREADY
    with w["db"].session() as s:
        assert len(s.exec(select(AbsenceDay)).all()) == 1


def test_another_communes_staff_cannot_see_or_decide(w):
    paid(w, "lea", MON)
    absence_id = declare(w, "lea", [MON]).absence_id
    with w["db"].session() as s:
        bernard_structure = s.exec(select(Structure).where(Structure.slug == "autreville")).one().id
    with w["db"].write_session() as s, pytest.raises(NotAllowed):
        staff.validate_absence(
            s, None, NOW, structure_id=bernard_structure, account_id=w["staff"], absence_id=absence_id
        )
    with w["db"].session() as s:
        assert s.get(Absence, absence_id).status == "pending"


# --- credits: the commune's rule, once and only once ------------------------------------------


def test_validation_credits_each_paid_day_once_and_mails_the_family(w):
    paid(w, "lea", MON, TUE)
    paid(w, "lea", MON, service="morning", price=150)
    absence_id = declare(w, "lea", [MON, TUE]).absence_id
    result = validate(w, absence_id, mailer=Mailer(w["settings"]))
    assert result.ok and result.credited_cents == 385 + 385 + 150
    assert balance(w) == 920
    again = validate(w, absence_id)  # a double click, a colleague, a replay
    assert not again.ok and again.message == staff.MSG_DONE
    with w["db"].write_session() as s:
        refused_after = staff.refuse_absence(
            s, None, NOW, structure_id=w["demo"], account_id=w["staff"], absence_id=absence_id, message="Non"
        )
    assert not refused_after.ok
    assert balance(w) == 920
    with w["db"].session() as s:
        assert len(s.exec(select(Credit)).all()) == 3
        assert {r.status for r in s.exec(select(Reservation))} == {ReservationStatus.CANCELLED}
    [path] = sorted(w["settings"].mail_dir.glob("*.eml"))
    mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    body = mail.get_body(("plain",)).get_content()
    assert mail["To"] == MARTIN_EMAIL and "Absence validée" in mail["Subject"] and "9,20" in body


def test_two_staff_validating_at_once_credit_once(w):
    """Two sessions read the absence pending; the second's compare-and-set finds it decided."""
    paid(w, "lea", MON)
    absence_id = declare(w, "lea", [MON]).absence_id
    with w["db"].session() as s:
        seen_pending = s.get(Absence, absence_id).status
    assert seen_pending == "pending"
    results = [validate(w, absence_id), validate(w, absence_id)]
    assert [r.ok for r in results] == [True, False] and balance(w) == 385


def test_two_staff_in_two_threads_at_the_same_instant_credit_once(w):
    """Both start together (a barrier); the database orders them, the compare-and-set refuses one."""
    import threading

    paid(w, "lea", MON, TUE)
    absence_id = declare(w, "lea", [MON, TUE]).absence_id
    barrier, results = threading.Barrier(2), []

    def staff_member() -> None:
        barrier.wait()
        results.append(validate(w, absence_id))

    threads = [threading.Thread(target=staff_member) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.ok for r in results) == [False, True]
    assert balance(w) == 770
    with w["db"].session() as s:
        assert len(s.exec(select(Credit)).all()) == 2


def test_a_day_closed_meanwhile_is_not_credited_twice(w):
    from cantine_portal.services.backoffice import closures

    paid(w, "lea", MON, TUE)
    absence_id = declare(w, "lea", [MON, TUE]).absence_id
    with w["db"].write_session() as s:
        closures.close_day(
            s, NOW, structure_id=w["demo"], account_id=w["staff"], day=MON, service_id=None, reason="Grève", mailer=None
        )
    assert balance(w) == 385  # the closure credited Monday
    assert validate(w, absence_id).credited_cents == 385  # Tuesday only
    assert balance(w) == 770


def test_refusal_keeps_the_days_paid_and_tells_why(w):
    paid(w, "lea", MON)
    absence_id = declare(w, "lea", [MON]).absence_id
    with w["db"].write_session() as s:
        empty = staff.refuse_absence(
            s, None, NOW, structure_id=w["demo"], account_id=w["staff"], absence_id=absence_id, message=" "
        )
        assert not empty.ok and "message" in empty.errors
        no = staff.refuse_absence(
            s,
            Mailer(w["settings"]),
            NOW,
            structure_id=w["demo"],
            account_id=w["staff"],
            absence_id=absence_id,
            message="Le certificat ne couvre pas ce jour.",
        )
    assert no.ok and balance(w) == 0
    assert not validate(w, absence_id).ok and balance(w) == 0
    with w["db"].session() as s:
        view = period_view.build_period_view(s, NOW, w["demo"], w["martin"], period_containing("week", MON))
        assert view.cell((w["lea"], w["canteen"], MON)).state == "absent-refused"
        [item] = absence_days.family_absences(s, w["demo"], w["martin"])
    assert item.status_text == "Absence refusée" and "ne couvre pas ce jour" in item.detail
    [path] = sorted(w["settings"].mail_dir.glob("*.eml"))
    mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert "Absence refusée" in mail["Subject"]
    assert "ne couvre pas ce jour" in mail.get_body(("plain",)).get_content()


def test_carence_the_first_days_of_an_illness_are_not_credited(w):
    carence(w, 2)
    paid(w, "lea", MON, TUE, THU, FRI)
    first = declare(w, "lea", [MON, TUE]).absence_id
    assert validate(w, first).credited_cents == 0  # days 1 and 2 of the illness
    # The illness goes on: Thursday and Friday are its 3rd and 4th days (Wednesday: no school).
    second = declare(w, "lea", [THU, FRI]).absence_id
    assert validate(w, second).credited_cents == 770
    with w["db"].session() as s:
        outcomes = {d.day: d.outcome for d in s.exec(select(AbsenceDay))}
        [newest, oldest] = absence_days.family_absences(s, w["demo"], w["martin"])
        view = period_view.build_period_view(s, NOW, w["demo"], w["martin"], period_containing("week", MON))
    assert outcomes == {MON: "carence", TUE: "carence", THU: "credited", FRI: "credited"}
    assert "2 jours de carence" in oldest.detail and "7,70" in newest.detail
    assert view.cell((w["lea"], w["canteen"], MON)).state == "absent-carence"
    assert view.cell((w["lea"], w["canteen"], THU)).state == "absent-credited"
    assert view.cell((w["lea"], w["canteen"], THU)).reason == "Absence validée (avoir)"


def test_carence_starts_again_after_a_day_at_school(w):
    carence(w, 1)
    paid(w, "lea", MON, TUE, THU)
    assert validate(w, declare(w, "lea", [MON]).absence_id).credited_cents == 0
    # Tuesday at school; Thursday is a new illness: its first day is carence again.
    assert validate(w, declare(w, "lea", [THU]).absence_id).credited_cents == 0
    paid(w, "lea", FRI, date(2026, 12, 14))
    assert validate(w, declare(w, "lea", [FRI, date(2026, 12, 14)]).absence_id).credited_cents == 770


def test_no_carence_credits_from_the_first_day(w):
    paid(w, "lea", MON)
    assert validate(w, declare(w, "lea", [MON]).absence_id).credited_cents == 385


# --- the kitchen's counts ----------------------------------------------------------------------


def test_the_kitchens_counts_drop_the_child_as_soon_as_declared(w):
    paid(w, "lea", MON)
    paid(w, "hugo", MON)

    def names() -> list[str]:
        with w["db"].session() as s:
            data = attendance.attendance(s, w["demo"], w["staff"], MON, w["canteen"])
            csv = attendance.attendance_csv(data).decode("utf-8-sig")
        assert all(row.child_name in csv for row in data.rows)
        return sorted(row.child_name for row in data.rows)

    assert names() == ["MARTIN Hugo", "MARTIN Léa"]
    absence_id = declare(w, "lea", [MON]).absence_id
    assert names() == ["MARTIN Hugo"]  # pending validation: already dropped
    with w["db"].session() as s:
        assert attendance.attendance(s, w["demo"], w["staff"], MON, w["canteen"]).absent_count == 1
        assert attendance.attendance(s, w["demo"], w["staff"], MON, w["morning"]).absent_count == 0
    with w["db"].session() as s:
        assert absence_days.absent_child_days(s, w["demo"], MON) == {(w["lea"], w["canteen"])}
        assert absence_days.absent_child_days(s, w["demo"], TUE) == frozenset()
    with w["db"].write_session() as s:
        staff.refuse_absence(
            s, None, NOW, structure_id=w["demo"], account_id=w["staff"], absence_id=absence_id, message="Non daté."
        )
    assert names() == ["MARTIN Hugo"]  # refused: the money stays, the child is still ill
