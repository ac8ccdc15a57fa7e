"""Back-office Messages (reply by e-mail) and Paiements (totals, CSV)."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import pytest
from sqlmodel import select

from cantine_portal.infra.mail import Mailer
from cantine_portal.models import Account, Basket, ContactMessage, Payment, Structure
from cantine_portal.services.backoffice import messages as admin_messages
from cantine_portal.services.backoffice import payments as admin_payments
from cantine_portal.services.backoffice.access import NotAllowed
from cantine_portal.services.demo import MARTIN_EMAIL, STAFF_EMAIL


@pytest.fixture
def ids(demo_session):
    demo = demo_session.exec(select(Structure).where(Structure.slug == "demo")).one()
    staff = demo_session.exec(select(Account).where(Account.email == STAFF_EMAIL)).one()
    martin = demo_session.exec(select(Account).where(Account.email == MARTIN_EMAIL)).one()
    return {"demo": demo.id, "staff": staff.id, "martin": martin.id, "family": martin.family_id}


def test_reply_goes_to_the_family_from_the_commune_and_is_kept(database, ids, now, settings):
    with database.write_session() as s:
        message = ContactMessage(
            structure_id=ids["demo"],
            family_id=ids["family"],
            account_id=ids["martin"],
            subject="Allergie",
            body="Bonjour, Léa…",
            created_at=now,
        )
        s.add(message)
        s.flush()
        message_id = message.id
    with database.write_session() as s:
        empty = admin_messages.reply(
            s,
            now,
            structure_id=ids["demo"],
            account_id=ids["staff"],
            message_id=message_id,
            text="  ",
            mailer=Mailer(settings),
        )
        assert not empty.ok and "reply" in empty.errors
        sent = admin_messages.reply(
            s,
            now,
            structure_id=ids["demo"],
            account_id=ids["staff"],
            message_id=message_id,
            text="Bien reçu, merci.",
            mailer=Mailer(settings),
        )
        assert sent.ok
        with pytest.raises(NotAllowed):
            admin_messages.reply(
                s,
                now,
                structure_id=ids["demo"],
                account_id=ids["martin"],
                message_id=message_id,
                text="x",
                mailer=Mailer(settings),
            )
    [path] = sorted(settings.mail_dir.glob("*.eml"))
    mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert mail["To"] == MARTIN_EMAIL and mail["Reply-To"] == "enfance@ville-demo.fr"
    assert mail["From"].addresses[0].display_name == "Ville de Démo" and mail["Subject"] == "Re: Allergie"
    with database.session() as s:
        [row] = admin_messages.list_messages(s, ids["demo"], ids["staff"], "all")
        assert row.handled and "Bien reçu, merci." in row.replies[0]
        assert admin_messages.list_messages(s, ids["demo"], ids["staff"], "open") == []


def test_payments_totals_count_succeeded_payments_by_paris_day_and_month(database, ids, now):
    with database.write_session() as s:
        basket = Basket(structure_id=ids["demo"], family_id=ids["family"], created_at=now, updated_at=now)
        s.add(basket)
        s.flush()
        late = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # 27 November in Paris
        for ref, cents, status, done in [
            ("P-1", 770, "succeeded", now),
            ("P-2", 385, "succeeded", late),
            ("P-3", 1000, "failed", now),
        ]:
            s.add(
                Payment(
                    structure_id=ids["demo"],
                    family_id=ids["family"],
                    basket_id=basket.id,
                    reference=ref,
                    provider="simulated",
                    provider_session_id=ref,
                    amount_cents=cents,
                    status=status,
                    created_at=now,
                    completed_at=done,
                )
            )
    with database.session() as s:
        report = admin_payments.payments_report(s, ids["demo"], ids["staff"])
        assert len(report.rows) == 3
        assert [(t.label, t.count) for t in report.by_day] == [("27/11/2026", 1), ("26/11/2026", 1)]
        assert [(t.label, t.count, t.amount_label) for t in report.by_month] == [("Novembre 2026", 2, "11,55\u00a0€")]
        exported = admin_payments.payments_csv(report).decode("utf-8-sig")
        assert exported.splitlines()[0].startswith("Date;Famille;Référence")
        assert ";7,70;0,00;" in exported and ";Échoué;10,00;" in exported
        assert admin_payments.payments_report(s, ids["demo"], ids["staff"], "2026-10").rows == []
