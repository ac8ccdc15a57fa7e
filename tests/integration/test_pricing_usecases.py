"""Use cases of prices by QF (issue 17): the grid editor, « Quotients familiaux », the claim and
the parent's attestation. Each refuses another commune's staff and ids with ``Refused`` (nothing
written), and the download of an attestation or a claim goes through the same checks."""

from __future__ import annotations

import email
import struct
import zlib
from datetime import date
from email import policy

import pytest
from sqlmodel import select

from cantine_portal.models import Account, Family, FamilyQuotient, QuotientDocument, Service, Structure
from cantine_portal.services.accounts.staff import create_staff
from cantine_portal.services.demo import DURAND_EMAIL, STAFF_EMAIL
from cantine_portal.usecases import pricing as parent_cases
from cantine_portal.usecases.actors import ParentActor
from cantine_portal.usecases.backoffice import pricing as cases
from cantine_portal.usecases.backoffice.common import StaffActor
from cantine_portal.usecases.errors import Refused


def _png() -> bytes:
    """A real 1×1 PNG (what a phone would send, only smaller)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def ids(demo_session, database, settings, now, monkeypatch):
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    with database.write_session() as s:
        create_staff(s, now, "autreville", "agent@autreville.fr", "Mairie-Bretonne-2026!x")
    with database.session() as s:
        demo = s.exec(select(Structure).where(Structure.slug == "demo")).one().id
        other = s.exec(select(Structure).where(Structure.slug == "autreville")).one().id
        staff = s.exec(select(Account.id).where(Account.email == STAFF_EMAIL)).one()
        durand = s.exec(select(Account).where(Account.email == DURAND_EMAIL)).one()
        canteen = s.exec(select(Service).where(Service.structure_id == demo).order_by(Service.id)).first()
        bernard = s.exec(select(Family).where(Family.structure_id == other)).first()
        return {
            "staff": StaffActor(demo, staff),
            "other": StaffActor(other, s.exec(select(Account.id).where(Account.email == "agent@autreville.fr")).one()),
            "durand": ParentActor(demo, durand.family_id, durand.id),
            "canteen": canteen.id,
            "durand_family": durand.family_id,
            "bernard_family": bernard.id,
        }


def _values(**over: str) -> dict[str, str]:
    values = {
        "min_0": "0",
        "max_0": "500",
        "price_0": "1",
        "min_1": "501",
        "max_1": "900",
        "price_1": "2,50",
        "min_2": "901",
        "max_2": "",
        "price_2": "3,85",
        "no_qf": "3,85",
        "outside": "4,60",
        "sibling_percent": "10",
        "sibling_from_rank": "3",
        "valid_from": "2026-12-01",
        "preview_qf": "640",
    }
    return {**values, **over}


def test_grid_editor_previews_a_typed_qf_says_the_verdict_and_saves_from_a_date(ids, now, database):
    page = cases.grids_page(ids["staff"], now=now)
    assert page.services[page.service_index].id == ids["canteen"] and page.history  # the demo grid
    assert page.values["price_0"] == "1,00" and page.values["min_0"] == "0"
    checked = cases.check_grid(ids["staff"], now=now, values=_values())
    assert checked.ok and checked.preview.startswith("Une famille au QF de 640\u00a0€ paie 2,50\u00a0€ le repas")
    assert "remplit les conditions" in checked.verdict
    two = cases.check_grid(ids["staff"], now=now, values=_values(min_2="", max_1="", price_2=""))
    assert two.ok and "au moins 3 tranches" in two.verdict
    gap = cases.check_grid(ids["staff"], now=now, values=_values(min_1="600"))
    assert not gap.ok and "Trou entre les tranches" in gap.errors["min_1"]
    bad_qf = cases.check_grid(ids["staff"], now=now, values=_values(preview_qf="beaucoup"))
    assert not bad_qf.ok and "preview_qf" in bad_qf.errors
    saved = cases.save_grid(
        ids["staff"], now=now, service_id=ids["canteen"], service_index=page.service_index, values=_values()
    )
    assert saved.ok and saved.page is not None
    assert saved.page.history[0].valid_from == "01/12/2026" and len(saved.page.history) == len(page.history) + 1
    assert saved.page.values["sibling_from_rank"] == "3"


def test_grid_editor_refuses_another_commune(ids, now, database):
    with pytest.raises(Refused):
        cases.save_grid(ids["other"], now=now, service_id=ids["canteen"], service_index=0, values=_values())
    with pytest.raises(Refused):
        cases.save_grid(ids["staff"], now=now, service_id=987654, service_index=0, values=_values())
    with pytest.raises(Refused):
        cases.check_grid(StaffActor(ids["staff"].structure_id, ids["durand"].account_id), now=now, values=_values())
    assert cases.grids_page(ids["other"], now=now).history == []  # Bernard's commune has no grid


def test_staff_enters_and_imports_qfs_and_forged_ids_are_refused(ids, now, database):
    page = cases.quotients_page(ids["staff"], now=now)
    assert {f.name: f.qf_today for f in page.families}["Durand"] == "640\u00a0€"
    entry = cases.QuotientInput("420", "caf", "2026-11-01", "2027-10-31")
    for actor, family in (
        (ids["other"], ids["durand_family"]),
        (ids["staff"], ids["bernard_family"]),
        (ids["staff"], 0),
    ):
        with pytest.raises(Refused):
            cases.add_quotient(actor, now=now, family_id=family, data=entry)
    wrong = cases.add_quotient(
        ids["staff"],
        now=now,
        family_id=ids["durand_family"],
        data=cases.QuotientInput("x", "caf", "2026-11-01", "2026-10-01"),
    )
    assert not wrong.ok and {"qf", "valid_to"} <= set(wrong.errors) and wrong.page is None
    done = cases.add_quotient(ids["staff"], now=now, family_id=ids["durand_family"], data=entry)
    assert done.ok and done.page is not None
    assert {f.name: f.qf_today for f in done.page.families}["Durand"] == "420\u00a0€"
    bad = (
        b"reference_famille;quotient_familial;source;valable_du;valable_au\nF-MARTIN;900;caf;01/01/2027;"
        b"31/12/2027\nF-INCONNU;800;caf;01/01/2027;31/12/2027\n"
    )
    result = cases.import_quotients(ids["staff"], now=now, data=bad)
    assert not result.ok and result.messages == ["Ligne 3 : aucune famille de référence « F-INCONNU »"]
    with database.session() as s:
        assert len(s.exec(select(FamilyQuotient)).all()) == 3  # Martin, Durand, the 420 € above: nothing imported
    good = cases.import_quotients(ids["staff"], now=now, data=bad.split(b"F-INCONNU")[0])
    assert good.ok and good.page is not None
    with pytest.raises(Refused):  # autreville's agent: F-MARTIN is not one of theirs, and the page is refused
        cases.quotients_page(StaffActor(ids["staff"].structure_id, ids["other"].account_id), now=now)


def test_parent_sends_an_attestation_staff_see_it_refuse_it_by_email_or_accept_it(ids, now, database, settings):
    section = parent_cases.quotient_section(ids["durand"], now=now)
    assert "640\u00a0€" in section.current and any("Tranche 2" in t for t in section.tariffs)
    refused_file = parent_cases.send_attestation(ids["durand"], now=now, data=b"hello", filename="a.txt")
    assert not refused_file.ok and "ni un PDF" in refused_file.message
    for _ in range(2):
        sent = parent_cases.send_attestation(ids["durand"], now=now, data=_png(), filename="caf.png")
        assert sent.ok and len(sent.status.pending) >= 1
    page = cases.quotients_page(ids["staff"], now=now)
    first, second = (a.document_id for a in page.attestations)
    assert [a.family_name for a in page.attestations] == ["Durand", "Durand"]
    download = cases.attestation_file(ids["staff"], document_id=first)
    assert download is not None and download.data == _png() and download.media_type == "image/png"
    for call in (
        lambda: cases.attestation_file(ids["other"], document_id=first),
        lambda: cases.refuse_attestation(ids["other"], now=now, document_id=first, message="Non"),
        lambda: cases.accept_attestation(
            ids["other"], now=now, document_id=first, data=cases.QuotientInput("300", "caf", "2026-11-01", "2027-10-31")
        ),
    ):
        with pytest.raises(Refused):
            call()
    empty = cases.refuse_attestation(ids["staff"], now=now, document_id=first, message=" ")
    assert not empty.ok and "message" in empty.errors
    no = cases.refuse_attestation(ids["staff"], now=now, document_id=first, message="Attestation illisible.")
    assert no.ok and no.page is not None and len(no.page.attestations) == 1
    [path] = sorted(settings.mail_dir.glob("*.eml"))
    mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert mail["To"] == DURAND_EMAIL and "Attestation illisible." in mail.get_body(("plain",)).get_content()
    yes = cases.accept_attestation(
        ids["staff"], now=now, document_id=second, data=cases.QuotientInput("300", "caf", "2026-11-01", "2027-10-31")
    )
    assert yes.ok and yes.page is not None and yes.page.attestations == []
    section = parent_cases.quotient_section(ids["durand"], now=now)
    assert "300\u00a0€" in section.current and any("Tranche 1" in t and "1,00" in t for t in section.tariffs)
    assert any("Attestation illisible." in r for r in section.refused) and section.pending == ()
    with database.session() as s:
        assert s.get(QuotientDocument, second).status == "accepted"


def test_outside_flag_and_expiring_list(ids, now, database):
    done = cases.set_outside_commune(ids["staff"], now=now, family_id=ids["durand_family"], outside=True)
    assert done.ok and done.page is not None
    assert {f.name: f.outside for f in done.page.families}["Durand"] == "1"
    with pytest.raises(Refused):
        cases.set_outside_commune(ids["other"], now=now, family_id=ids["durand_family"], outside=False)
    cases.add_quotient(
        ids["staff"],
        now=now,
        family_id=ids["durand_family"],
        data=cases.QuotientInput("700", "impots", "2026-01-01", "2026-12-15"),
    )
    page = cases.quotients_page(ids["staff"], now=now)
    assert all(row.family_name != "Durand" for row in page.expiring)  # the demo's later QF takes over
    with database.write_session() as s:
        for q in s.exec(select(FamilyQuotient).where(FamilyQuotient.family_id == ids["durand_family"])):
            q.valid_to = min(q.valid_to, date(2026, 12, 15))
            s.add(q)
    page = cases.quotients_page(ids["staff"], now=now)
    assert [(r.family_name, r.valid_to) for r in page.expiring] == [("Durand", "15/12/2026")]


def test_claim_page_and_downloads_refuse_other_communes_and_forged_periods(ids, now, database):
    periods = cases.claim_periods(now)
    assert (periods[0].year, periods[0].part) == (2026, 3) and (periods[1].year, periods[1].part) == (2026, 2)
    services, claim = cases.claim_page(ids["staff"], service_index=0, period="2026-3", egalim=True)
    assert services[0].id == ids["canteen"] and claim is not None and claim.aid_per_meal_cents == 400
    csv_file = cases.claim_export(
        ids["staff"], now=now, service_id=ids["canteen"], period="2026-3", egalim=False, kind="csv"
    )
    assert csv_file.filename == "aide-cantine-1-euro-2026-3.csv" and b"Total" in csv_file.data
    pdf = cases.claim_export(
        ids["staff"], now=now, service_id=ids["canteen"], period="2026-3", egalim=False, kind="pdf"
    )
    assert pdf.data.startswith(b"%PDF") and pdf.media_type == "application/pdf"
    for call in (
        lambda: cases.claim_page(ids["staff"], service_index=0, period="2026-9", egalim=False),
        lambda: cases.claim_export(
            ids["other"], now=now, service_id=ids["canteen"], period="2026-3", egalim=False, kind="csv"
        ),
    ):
        with pytest.raises(Refused):
            call()
