"""Back-office « Quotients familiaux »: enter a family's QF, import them by CSV, decide on the
attestations parents sent (quotient_attestations.py), see those expiring within a month, set the outside-commune flag.

A QF is never edited in place: a new record from a date wins over older ones on the days both
cover (services/pricing/tariffs.qf_on), so the history stays readable. Paid days keep their price;
the family's pending basket days are re-priced with a message the next time it opens Réservations.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from cantine_portal.french import format_numeric_date, format_whole_euros
from cantine_portal.models import (
    Family,
    FamilyQuotient,
    QuotientSource,
    row_id,
)
from cantine_portal.services.backoffice.access import check_staff, owned
from cantine_portal.services.shared import audit

SOURCES = {"caf": QuotientSource.CAF, "impots": QuotientSource.TAX, "decision": QuotientSource.STAFF}
MAX_QF = 100_000
IMPORT_HEADER = ["reference_famille", "quotient_familial", "source", "valable_du", "valable_au"]


@dataclass
class QuotientResult:
    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class QuotientInput:
    qf: str
    source: str
    valid_from: str  # ISO (date input) or jj/mm/aaaa (CSV)
    valid_to: str


def _day(text: str) -> date | None:
    text = text.strip()
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def check_input(data: QuotientInput) -> tuple[tuple[int, str, date, date] | None, dict[str, str]]:
    """The QF typed or imported, or French errors by field (qf, source, valid_from, valid_to)."""
    errors: dict[str, str] = {}
    cleaned = data.qf.strip().replace(" ", "").replace("\u202f", "").removesuffix("€")
    if not cleaned.isdigit() or int(cleaned) > MAX_QF:
        errors["qf"] = "Le quotient familial : un nombre entier d'euros (ex. 640)."
    source = SOURCES.get(data.source.strip().lower())
    if source is None:
        errors["source"] = "Source : caf, impots ou decision."
    start, end = _day(data.valid_from), _day(data.valid_to)
    if start is None:
        errors["valid_from"] = "Date de début de validité invalide (jj/mm/aaaa)."
    if end is None:
        errors["valid_to"] = "Date de fin de validité invalide (jj/mm/aaaa)."
    elif start is not None and end < start:
        errors["valid_to"] = "La fin de validité doit suivre le début."
    elif start is not None and (end - start).days > 2 * 366:
        errors["valid_to"] = "Un quotient familial vaut au plus deux ans : vérifiez les dates."
    if errors or source is None or start is None or end is None:
        return None, errors
    return (int(cleaned), str(source), start, end), {}


def add_quotient(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    family_id: int,
    data: QuotientInput,
    document_id: int | None = None,
    ip: str = "",
) -> QuotientResult:
    """Record a family's QF (entered by the staff, or from an accepted attestation)."""
    check_staff(session, structure_id, account_id)
    family = owned(session, Family, family_id, structure_id)
    checked, errors = check_input(data)
    if checked is None:
        return QuotientResult(
            False, "Le quotient familial n'a pas été enregistré : corrigez les champs signalés.", errors
        )
    qf, source, start, end = checked
    session.add(
        FamilyQuotient(
            structure_id=structure_id,
            family_id=family_id,
            qf_euros=qf,
            source=source,
            valid_from=start,
            valid_to=end,
            created_at=now,
            account_id=account_id,
            document_id=document_id,
        )
    )
    audit.record(
        session,
        now,
        "admin.quotient_added",
        structure_id=structure_id,
        account_id=account_id,
        target=f"family:{family_id}",
        ip=ip,
        qf_euros=qf,
        source=source,
        valid_from=start,
        valid_to=end,
    )
    return QuotientResult(
        True,
        f"Quotient familial de la famille {family.name} : {format_whole_euros(qf)} du "
        f"{format_numeric_date(start)} au {format_numeric_date(end)}.",
    )


def import_quotients(
    session: Session, now: datetime, *, structure_id: int, account_id: int, data: bytes, ip: str = ""
) -> tuple[bool, list[str]]:
    """CSV ``reference_famille;quotient_familial;source;valable_du;valable_au``: all or nothing,
    every bad line reported with its number (as the families' import)."""
    check_staff(session, structure_id, account_id)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False, ["Le fichier doit être enregistré en UTF-8 (CSV UTF-8 dans Excel)."]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    if not rows or [h.strip().lower() for h in rows[0]] != IMPORT_HEADER:
        return False, ["Ligne 1 : l'en-tête doit être « " + ";".join(IMPORT_HEADER) + " »."]
    families = {
        f.reference.strip().upper(): f
        for f in session.exec(select(Family).where(Family.structure_id == structure_id))
        if f.reference.strip()
    }
    problems: list[str] = []
    ready: list[tuple[Family, QuotientInput]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(IMPORT_HEADER):
            problems.append(f"Ligne {number} : {len(IMPORT_HEADER)} colonnes attendues, {len(row)} trouvées.")
            continue
        family = families.get(row[0].strip().upper())
        entry = QuotientInput(row[1], row[2], row[3], row[4])
        _checked, errors = check_input(entry)
        if family is None:
            errors = {"family": f"aucune famille de référence « {row[0].strip()} »", **errors}
        if errors:
            problems.append(f"Ligne {number} : " + " ; ".join(errors.values()))
        elif family is not None:
            ready.append((family, entry))
    if problems:
        return False, problems
    for family, entry in ready:
        add_quotient(
            session, now, structure_id=structure_id, account_id=account_id, family_id=row_id(family), data=entry, ip=ip
        )
    return True, [f"{len(ready)} quotient(s) familial(aux) importé(s)."]


@dataclass(frozen=True)
class ExpiringRow:
    family_id: int
    family_name: str
    qf_label: str
    valid_to: str


def expiring(session: Session, structure_id: int, account_id: int, today: date, days: int = 31) -> list[ExpiringRow]:
    """QFs ending within ``days`` with no newer record taking over after them: families to remind."""
    check_staff(session, structure_id, account_id)
    rows = session.exec(
        select(FamilyQuotient, Family)
        .join(Family, col(Family.id) == col(FamilyQuotient.family_id))
        .where(FamilyQuotient.structure_id == structure_id)
        .order_by(col(FamilyQuotient.valid_to))
    ).all()
    last_end: dict[int, date] = {}
    names: dict[int, tuple[str, int]] = {}
    for quotient, family in rows:
        last_end[quotient.family_id] = max(last_end.get(quotient.family_id, quotient.valid_to), quotient.valid_to)
        if quotient.valid_to == last_end[quotient.family_id]:
            names[quotient.family_id] = (family.name, quotient.qf_euros)
    limit = today + timedelta(days=days)
    return sorted(
        (
            ExpiringRow(fid, names[fid][0], format_whole_euros(names[fid][1]), format_numeric_date(end))
            for fid, end in last_end.items()
            if today <= end <= limit
        ),
        key=lambda r: r.valid_to,
    )


def set_outside_commune(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    family_id: int,
    outside: bool | None,
    ip: str = "",
) -> QuotientResult:
    """The staff's decision on the outside-commune price (None: from the guardians' address)."""
    check_staff(session, structure_id, account_id)
    family = owned(session, Family, family_id, structure_id)
    before = family.outside_commune
    family.outside_commune = outside
    session.add(family)
    audit.record(
        session,
        now,
        "admin.family_outside_commune",
        structure_id=structure_id,
        account_id=account_id,
        target=f"family:{family_id}",
        ip=ip,
        before=before,
        after=outside,
    )
    words = {None: "selon l'adresse des responsables", True: "tarif extérieur", False: "tarif de la commune"}
    return QuotientResult(True, f"Famille {family.name} : {words[outside]}.")


@dataclass(frozen=True)
class FamilyQuotientRow:
    """One family of the page: its QF today (or why none) and the outside-commune decision."""

    family_id: int
    name: str
    reference: str
    qf_today: str
    outside: str  # "" (from the address), "1" (outside), "0" (resident)


def family_rows(session: Session, structure_id: int, account_id: int, today: date) -> list[FamilyQuotientRow]:
    """Every family of the commune, by name, with the QF in force today (the newest record wins)."""
    check_staff(session, structure_id, account_id)
    families = session.exec(
        select(Family).where(Family.structure_id == structure_id).order_by(col(Family.name), col(Family.id))
    ).all()
    today_qf: dict[int, int] = {}
    for q in session.exec(
        select(FamilyQuotient)
        .where(
            FamilyQuotient.structure_id == structure_id,
            FamilyQuotient.valid_from <= today,
            FamilyQuotient.valid_to >= today,
        )
        .order_by(col(FamilyQuotient.id))
    ):
        today_qf[q.family_id] = q.qf_euros
    flags = {None: "", True: "1", False: "0"}
    return [
        FamilyQuotientRow(
            row_id(f),
            f.name,
            f.reference,
            format_whole_euros(today_qf[row_id(f)]) if row_id(f) in today_qf else "Aucun",
            flags[f.outside_commune],
        )
        for f in families
    ]
