"""Issue 20 item 1: each guardian their own login — invitations, two guardians booking at once,
removing an access, leaving, who did what, and who receives the tickets."""

from __future__ import annotations

import email
import threading
from datetime import date, timedelta
from email import policy

import pytest
from sqlmodel import select

from cantine_portal.models import Account, Basket, Guardian, LoginSession, Payment, Reservation, Structure
from cantine_portal.services.accounts import login as login_rules
from cantine_portal.services.accounts import password_links, sessions
from cantine_portal.services.booking.basket import basket_summary
from cantine_portal.services.demo import DURAND_EMAIL, MARTIN_EMAIL, STAFF_EMAIL
from cantine_portal.services.families import guardians as guardian_rules
from cantine_portal.services.families import logins as rules
from cantine_portal.services.payments import receipts
from cantine_portal.usecases import booking, identity, logins
from cantine_portal.usecases.actors import ParentActor
from cantine_portal.usecases.backoffice import families, family_logins
from cantine_portal.usecases.backoffice.common import StaffActor
from cantine_portal.usecases.errors import Refused

JULIEN_EMAIL = "julien.martin@example.fr"
PASSWORD = "Un-Mot-De-Passe-2026!"


@pytest.fixture
def active(database, settings, demo_session, monkeypatch):
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    return database


def _mails(settings) -> list[email.message.EmailMessage]:
    paths = sorted(settings.mail_dir.glob("*.eml")) if settings.mail_dir.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]


def _token(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().split("jeton=", 1)[1].split()[0]


def _claire(session) -> ParentActor:
    account = session.exec(select(Account).where(Account.email == MARTIN_EMAIL)).one()
    return ParentActor(account.structure_id, account.family_id, account.id, "127.0.0.1")


def _julien_guardian(session) -> Guardian:
    return session.exec(select(Guardian).where(Guardian.email == JULIEN_EMAIL)).one()


def _staff(session) -> StaffActor:
    account = session.exec(select(Account).where(Account.email == STAFF_EMAIL)).one()
    return StaffActor(account.structure_id, account.id, "127.0.0.1")


def _structure(session, slug: str) -> Structure:
    return session.exec(select(Structure).where(Structure.slug == slug)).one()


def _invite_julien(active, settings, now) -> str:
    """Claire invites Julien from Famille; returns the link's token from the e-mail he receives."""
    with active.session() as s:
        claire, julien = _claire(s), _julien_guardian(s)
    outcome = logins.invite(claire, julien.id, now=now)
    assert outcome.ok, outcome.message
    mail = _mails(settings)[-1]
    assert mail["To"] == JULIEN_EMAIL and "Claire Martin vous invite" in mail.get_body(("plain",)).get_content()
    return _token(mail)


def _julien_with_password(active, settings, mailer_now) -> ParentActor:
    token = _invite_julien(active, settings, mailer_now)
    with active.write_session() as s:
        from cantine_portal.infra.mail import Mailer

        result = password_links.set_password_with_token(
            s, mailer_now, _structure(s, "demo"), token, PASSWORD, Mailer(settings)
        )
        assert result.ok, result.message
    with active.session() as s:
        account = s.exec(select(Account).where(Account.email == JULIEN_EMAIL)).one()
        return ParentActor(account.structure_id, account.family_id, account.id, "127.0.0.2")


# --- invitations -----------------------------------------------------------------------------------


def test_invited_guardian_creates_a_password_once_and_logs_in_to_the_same_family(active, settings, now):
    with active.session() as s:
        claire = _claire(s)
    before = logins.access_view(claire, now=now)
    assert [g.status for g in before.guardians] == ["active", "none"] and not before.can_leave
    token = _invite_julien(active, settings, now)
    view = logins.access_view(claire, now=now)
    assert view.guardians[1].status == "invited" and "Invitation envoyée le" in view.guardians[1].status_text
    from cantine_portal.infra.mail import Mailer

    with active.write_session() as s:
        demo = _structure(s, "demo")
        assert password_links.set_password_with_token(s, now, demo, token, PASSWORD, Mailer(settings)).ok
    with active.write_session() as s:  # used once: the same link is refused afterwards
        again = password_links.set_password_with_token(
            s, now, _structure(s, "demo"), token, "Encore-Autre-2026!", Mailer(settings)
        )
        assert not again.ok and again.message == password_links.MSG_LINK_INVALID
    with active.write_session() as s:
        result = login_rules.authenticate(s, now, _structure(s, "demo"), JULIEN_EMAIL, PASSWORD)
        assert result.ok and result.account.family_id == claire.family_id
        assert result.account.guardian_id == _julien_guardian(s).id
    assert logins.access_view(claire, now=now).can_leave


def test_an_invitation_expires_and_serves_only_its_commune(active, settings, now):
    token = _invite_julien(active, settings, now)
    with active.session() as s:
        demo, autreville = _structure(s, "demo"), _structure(s, "autreville")
        assert password_links.valid_token(s, now + timedelta(hours=23, minutes=59), demo, token) is not None
        assert password_links.valid_token(s, now + timedelta(hours=24, minutes=1), demo, token) is None
        assert password_links.valid_token(s, now, autreville, token) is None
    with active.session() as s:
        expired = rules.guardian_access(s, now + timedelta(hours=25), demo.id, _claire(s).family_id, None)
    assert expired[1].status_text == "Invitation expirée ou non envoyée : renvoyez-la" and expired[1].can_invite


def test_an_email_already_used_by_another_account_of_the_commune_is_refused(active, settings, now):
    with active.write_session() as s:
        julien = _julien_guardian(s)
        julien_id = julien.id
        julien.email = DURAND_EMAIL.upper()
        s.add(julien)
    with active.session() as s:
        claire = _claire(s)
    sent = len(_mails(settings))
    outcome = logins.invite(claire, julien_id, now=now)
    assert not outcome.ok and outcome.message == rules.MSG_EMAIL_TAKEN
    assert len(_mails(settings)) == sent
    with active.session() as s:
        assert s.exec(select(Account).where(Account.guardian_id == julien_id)).first() is None


def test_a_guardian_of_another_family_cannot_be_invited(active, settings, now):
    with active.session() as s:
        claire = _claire(s)
        durand = s.exec(select(Guardian).where(Guardian.email == DURAND_EMAIL)).one()
    outcome = logins.invite(claire, durand.id, now=now)
    assert not outcome.ok and outcome.message == logins.MSG_REFUSED


# --- two guardians, one basket ------------------------------------------------------------------------


def test_two_guardians_booking_at_once_share_one_basket_and_lose_nothing(active, settings, now):
    julien = _julien_with_password(active, settings, now)
    with active.session() as s:
        claire = _claire(s)
    page = booking.open_reservations(claire, now=now)
    period, offset = page.view.period.key, page.offset
    first, second = _two_free_cells(page)
    barrier = threading.Barrier(2)
    results: dict[str, booking.SaveResult] = {}

    def valider(name: str, actor: ParentActor, cell) -> None:
        barrier.wait()
        results[name] = booking.save_choices(actor, period, offset, {cell}, page.view.basket_version, now=now)

    threads = [
        threading.Thread(target=valider, args=("claire", claire, first)),
        threading.Thread(target=valider, args=("julien", julien, second)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    oks = [name for name, r in results.items() if r.ok]
    assert len(oks) == 1, {n: r.message for n, r in results.items()}
    loser = "julien" if oks == ["claire"] else "claire"
    assert results[loser].message  # a French sentence, the page reloads what the other saved
    # The loser's page shows the other's day; they tick theirs again and Valider keeps both.
    fresh = booking.period_page(julien if loser == "julien" else claire, offset, now=now)
    ticked = {c for c in _cells(fresh) if c[3]}
    mine = second if loser == "julien" else first
    retry = booking.save_choices(
        julien if loser == "julien" else claire,
        period,
        offset,
        {c[:3] for c in ticked} | {mine},
        fresh.view.basket_version,
        now=now,
    )
    assert retry.ok, retry.message
    with active.session() as s:
        baskets = s.exec(select(Basket).where(Basket.family_id == claire.family_id)).all()
        rows = s.exec(select(Reservation).where(Reservation.family_id == claire.family_id)).all()
    assert len(baskets) == 1
    assert {(r.child_id, r.service_id, r.day): r.booked_by_account_id for r in rows} == {
        first: claire.account_id,
        second: julien.account_id,
    }
    with active.session() as s:  # « réservé par … » in the shared basket, two logins in the family
        lines = basket_summary(s, now, claire.structure_id, claire.family_id).lines
    assert {(line.child_id, line.day): line.booked_by for line in lines} == {
        (first[0], first[2]): "Claire",
        (second[0], second[2]): "Julien",
    }
    assert {line.day_text.rsplit(" — ", 1)[1] for line in lines} == {"réservé par Claire", "réservé par Julien"}


def test_reservations_name_the_other_guardian_in_the_cells_accessible_name(active, settings, now):
    """Réservations (issue 20): a day the OTHER guardian booked says « réservé par Prénom » in its
    checkbox's accessible name (aria-label) and tooltip; a day one booked oneself says nothing more."""
    julien = _julien_with_password(active, settings, now)
    with active.session() as s:
        claire = _claire(s)
    page = booking.open_reservations(claire, now=now)
    first, second = _two_free_cells(page)
    for actor, cell in ((claire, first), (julien, second)):
        fresh = booking.period_page(actor, page.offset, now=now)
        saved = booking.save_choices(
            actor,
            page.view.period.key,
            page.offset,
            {c[:3] for c in _cells(fresh) if c[3]} | {cell},
            fresh.view.basket_version,
            now=now,
        )
        assert saved.ok, saved.message

    def shown(actor) -> dict[tuple[int, int, date], tuple[str, str]]:
        view = booking.period_page(actor, page.offset, now=now).view
        return {c.key: (c.label, c.reason) for c in view.cells() if c.key in (first, second)}

    for_claire, for_julien = shown(claire), shown(julien)
    assert for_claire[second][0].endswith(" — réservé par Julien")
    assert for_claire[second][1].endswith(" — réservé par Julien")
    assert "réservé par" not in for_claire[first][0] + for_claire[first][1]
    assert for_julien[first][0].endswith(" — réservé par Claire")
    assert "réservé par" not in for_julien[second][0] + for_julien[second][1]


def _cells(page) -> list[tuple[int, int, date, bool]]:
    """(child id, service id, day, ticked) of every bookable cell of a period page."""
    return [
        (cell.child_id, cell.service_id, cell.day, cell.checked)
        for child in page.view.children
        for row in child.services
        for cell in row.cells
        if cell.editable
    ]


def _two_free_cells(page) -> tuple[tuple[int, int, date], tuple[int, int, date]]:
    free = [c[:3] for c in _cells(page) if not c[3]]
    return free[0], free[-1]


# --- removing an access, leaving ------------------------------------------------------------------------


def test_a_removed_guardian_is_refused_at_once_and_the_other_keeps_their_access(active, settings, now):
    julien = _julien_with_password(active, settings, now)
    with active.write_session() as s:
        claire = _claire(s)
        claire_token = sessions.open_session(s, now, s.get(Account, claire.account_id))
        julien_token = sessions.open_session(s, now, s.get(Account, julien.account_id))
    structure_id = claire.structure_id
    assert identity.parent_by_session(structure_id, julien_token, now) is not None
    with active.session() as s:
        staff = _staff(s)
    outcome = family_logins.remove_access(staff, family_id=claire.family_id, account_id=julien.account_id, now=now)
    assert outcome.ok and "retiré" in outcome.message
    later = now + timedelta(seconds=1)
    assert identity.parent_by_session(structure_id, julien_token, later) is None
    assert identity.parent_access_removed(structure_id, julien_token)
    assert login_rules.login_error_message({"erreur": "acces"}) == login_rules.MSG_ACCESS_REMOVED
    assert identity.parent_by_session(structure_id, claire_token, later) is not None
    assert not identity.parent_access_removed(structure_id, claire_token)
    with active.write_session() as s:  # nor can the password open a new session
        assert not login_rules.authenticate(s, later, _structure(s, "demo"), JULIEN_EMAIL, PASSWORD).ok
        assert all(
            row.revoked_at is not None
            for row in s.exec(select(LoginSession).where(LoginSession.account_id == julien.account_id))
        )
    rows = family_logins.family_logins(staff, family_id=claire.family_id, now=later)
    assert [g.status for g in rows.guardians] == ["active", "removed"]
    assert (f"Agent ({STAFF_EMAIL})", "Accès retiré") in [(a.who, a.what) for a in rows.activity]
    assert ("Julien Martin", "Connexion refusée") in [(a.who, a.what) for a in rows.activity]
    # Claire cannot bring him back herself; the staff can (a new first-connection link).
    assert logins.invite(claire, rows.guardians[1].guardian_id, now=later).message == rules.MSG_REMOVED_BY_STAFF
    again = family_logins.invite_guardian(
        staff, family_id=claire.family_id, guardian_id=rows.guardians[1].guardian_id, now=later
    )
    assert again.ok and again.page.guardians[1].status == "invited"


def test_the_last_guardian_cannot_leave_and_the_other_one_can(active, settings, now):
    with active.session() as s:
        claire = _claire(s)
    alone = logins.leave(claire, now=now)
    assert not alone.ok and alone.message == rules.MSG_LAST_LOGIN
    julien = _julien_with_password(active, settings, now)
    with active.write_session() as s:
        julien_token = sessions.open_session(s, now, s.get(Account, julien.account_id))
    left = logins.leave(julien, now=now)
    assert left.ok and left.message == rules.MSG_LEFT
    assert identity.parent_by_session(julien.structure_id, julien_token, now) is None
    assert not logins.leave(claire, now=now).ok  # Claire is the last one again
    with active.session() as s:
        assert s.get(Account, claire.account_id).active


def test_a_refused_forged_family_cannot_read_the_access_list(active, now):
    with active.session() as s:
        claire = _claire(s)
        durand = s.exec(select(Account).where(Account.email == DURAND_EMAIL)).one()
    with pytest.raises(Refused):
        logins.access_view(ParentActor(claire.structure_id + 1000, durand.family_id, claire.account_id), now=now)


# --- e-mails -------------------------------------------------------------------------------------------


def test_tickets_go_to_the_payer_and_to_the_other_guardian_only_when_asked(active, settings, now):
    julien = _julien_with_password(active, settings, now)
    with active.session() as s:
        claire = _claire(s)
        assert rules.ticket_addresses(s, claire.family_id, julien.account_id) == [JULIEN_EMAIL]
        assert rules.ticket_addresses(s, claire.family_id, None) == [MARTIN_EMAIL]
    view = logins.set_mail_choices(claire, all_payments=True, notices=False, now=now)
    assert view.mail_all_payments and not view.mail_notices
    with active.session() as s:
        assert rules.ticket_addresses(s, claire.family_id, julien.account_id) == [JULIEN_EMAIL, MARTIN_EMAIL]
        assert [a.email for a in rules.notice_accounts(s, claire.family_id)] == [JULIEN_EMAIL]


def test_the_payment_remembers_who_pressed_payer(active, settings, now):
    julien = _julien_with_password(active, settings, now)
    page = booking.open_reservations(julien, now=now)
    cell = _two_free_cells(page)[0]
    assert booking.save_choices(julien, page.view.period.key, page.offset, {cell}, page.view.basket_version, now=now).ok
    fresh = booking.period_page(julien, page.offset, now=now)
    booking.pay_basket(julien, page.offset, fresh.view.basket_version, now=now)
    with active.session() as s:
        payment = s.exec(select(Payment).where(Payment.family_id == julien.family_id)).one()
    assert payment.account_id == julien.account_id
    with active.write_session() as s:  # his name and address on the receipt, not Claire's
        data = receipts.receipt_data(s, receipts.issue_receipt(s, now, s.get(Payment, payment.id)))
    assert (data.payer_name, data.payer_email) == ("Julien Martin", JULIEN_EMAIL)
    with active.session() as s:
        staff = _staff(s)
    whats = [(a.who, a.what) for a in family_logins.family_logins(staff, family_id=julien.family_id, now=now).activity]
    assert ("Julien Martin", "Paiement commencé") in whats
    assert ("Julien Martin", "Réservations modifiées (Valider)") in whats
    page = families.family_page(staff, family_id=julien.family_id)
    assert [p["by"] for p in page.payments] == ["Julien Martin"]
    assert {line["by"] for line in page.basket_lines + page.reservations} == {"Julien Martin"}


# --- one guardian's login e-mail is theirs -------------------------------------------------------------


def _julien_tab(claire: ParentActor):
    from cantine_portal.usecases import family

    return family, family.family_tabs(claire).tabs[1]


def test_a_guardian_cannot_move_the_other_guardian_login_to_another_address(active, settings, now):
    _julien_with_password(active, settings, now)
    with active.session() as s:
        claire = _claire(s)
    family, tab = _julien_tab(claire)
    saved = family.save_guardian(
        claire, tab.guardian_id, tab.version, {**tab.values, "email": "claire.perso@example.fr"}, "x", now=now
    )
    assert not saved.ok and saved.errors["email"] == guardian_rules.MSG_OTHER_LOGIN
    with active.session() as s:
        assert s.exec(select(Account).where(Account.email == JULIEN_EMAIL)).one().active
    # His phone number is still the family's to keep up to date.
    saved = family.save_guardian(
        claire, tab.guardian_id, tab.version, {**tab.values, "mobile": "0611223344"}, "", now=now
    )
    assert saved.ok


def test_correcting_an_invited_address_kills_the_link_sent_to_the_wrong_one(active, settings, now):
    from cantine_portal.infra.mail import Mailer
    from cantine_portal.services.demo import MARTIN_PASSWORD

    token = _invite_julien(active, settings, now)
    with active.session() as s:
        claire = _claire(s)
    family, tab = _julien_tab(claire)
    saved = family.save_guardian(
        claire, tab.guardian_id, tab.version, {**tab.values, "email": "julien.m@example.fr"}, MARTIN_PASSWORD, now=now
    )
    assert saved.ok, saved.errors
    with active.write_session() as s:
        used = password_links.set_password_with_token(s, now, _structure(s, "demo"), token, PASSWORD, Mailer(settings))
    assert not used.ok and used.message == password_links.MSG_LINK_INVALID
    assert logins.invite(claire, tab.guardian_id, now=now).ok
    assert _mails(settings)[-1]["To"] == "julien.m@example.fr"


def test_the_staff_cannot_reach_another_commune_family_logins(active, now):
    from cantine_portal.services.demo import BERNARD_EMAIL

    with active.session() as s:
        staff = _staff(s)
        bernard = s.exec(select(Account).where(Account.email == BERNARD_EMAIL)).one()
        bernard_guardian = s.exec(select(Guardian).where(Guardian.family_id == bernard.family_id)).first()
        claire = _claire(s)
    with pytest.raises(Refused):
        family_logins.family_logins(staff, family_id=bernard.family_id, now=now)
    with pytest.raises(Refused):
        family_logins.remove_access(staff, family_id=bernard.family_id, account_id=bernard.id, now=now)
    with pytest.raises(Refused):  # a login of another family, through Martin's page
        family_logins.remove_access(staff, family_id=claire.family_id, account_id=bernard.id, now=now)
    with pytest.raises(Refused):
        family_logins.invite_guardian(staff, family_id=claire.family_id, guardian_id=bernard_guardian.id, now=now)
    with active.session() as s:
        assert s.get(Account, bernard.id).active


def test_a_family_with_one_login_reads_no_booked_by_in_its_basket(active, now):
    with active.session() as s:
        claire = _claire(s)
    page = booking.open_reservations(claire, now=now)
    cell = _two_free_cells(page)[0]
    assert booking.save_choices(claire, page.view.period.key, page.offset, {cell}, page.view.basket_version, now=now).ok
    with active.session() as s:
        lines = basket_summary(s, now, claire.structure_id, claire.family_id).lines
        row = s.exec(select(Reservation).where(Reservation.family_id == claire.family_id)).one()
    assert row.booked_by_account_id == claire.account_id  # recorded all the same
    assert [line.booked_by for line in lines] == [""]  # but « réservé par » would tell nothing here
    assert "réservé par" not in lines[0].day_text
