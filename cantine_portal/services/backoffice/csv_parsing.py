"""Read and check a families CSV file (docs/csv-import.md) without writing anything.

Every bad line is reported with its number (line 1 is the header), so that ``csv_import`` can
refuse the whole file; also the downloadable template.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from cantine_portal.infra.csv_export import csv_bytes
from cantine_portal.models import Account, Family, Service, row_id
from cantine_portal.services.families import children as child_rules
from cantine_portal.services.families import guardians as guardian_rules
from cantine_portal.services.families.fields import ChildValues, GuardianValues
from cantine_portal.services.shared.validation import normalize_email

COLUMNS = (
    "famille",
    "civilite",
    "nom_responsable",
    "prenom_responsable",
    "email",
    "mobile",
    "adresse",
    "code_postal",
    "ville",
    "nom_enfant",
    "prenom_enfant",
    "date_naissance",
    "ecole",
    "classe",
    "prestations",
)
REQUIRED_COLUMNS = ("famille", "nom_responsable", "prenom_responsable", "email")
MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 5000
EXAMPLE_LINES = (
    (
        "D-0001",
        "Mme",
        "Petit",
        "Camille",
        "camille.petit@example.fr",
        "06 11 22 33 44",
        "4 rue des Écoles",
        "44000",
        "Démo-sur-Loire",
        "Petit",
        "Jules",
        "12/05/2018",
        "École Jules Ferry",
        "CE2",
        "Restauration scolaire|Garderie du soir",
    ),
    (
        "D-0001",
        "Mme",
        "Petit",
        "Camille",
        "camille.petit@example.fr",
        "06 11 22 33 44",
        "4 rue des Écoles",
        "44000",
        "Démo-sur-Loire",
        "Petit",
        "Rose",
        "03/09/2020",
        "École Jules Ferry",
        "CP",
        "Restauration scolaire",
    ),
)


@dataclass
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"Ligne {self.line} : {self.message}" if self.line else self.message


@dataclass
class _Guardian:
    values: GuardianValues
    line: int


@dataclass
class _Child:
    values: ChildValues
    services: list[int]
    line: int


@dataclass
class _Family:
    key: str
    first_line: int
    guardians: dict[str, _Guardian] = field(default_factory=dict)
    children: list[_Child] = field(default_factory=list)


ParsedFamily = _Family  # what parse() returns, as the writer (csv_import.py) names it


def template_csv() -> bytes:
    """The downloadable template: header and two example lines, UTF-8 with BOM (Excel)."""
    return csv_bytes(COLUMNS, EXAMPLE_LINES)


def _decode(data: bytes) -> str:
    """UTF-8 (BOM tolerated); Excel's French "CSV (point-virgule)" is Windows-1252, tolerated too."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _parse_birth(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


_GUARDIAN_COLUMNS = {
    "civility": "civilite",
    "last_name": "nom_responsable",
    "first_name": "prenom_responsable",
    "email": "email",
    "mobile": "mobile",
    "address_line": "adresse",
    "postal_code": "code_postal",
    "city": "ville",
}
_CHILD_COLUMNS = {
    "last_name": "nom_enfant",
    "first_name": "prenom_enfant",
    "birth_date": "date_naissance",
    "school": "ecole",
    "class_name": "classe",
}


@dataclass
class _Parsing:
    """What checking one line needs to know: the commune's data and the lines accepted so far."""

    today: date
    header: list[str]
    services: dict[str, int]  # lower-cased active service name -> id
    taken_emails: set[str]
    taken_refs: set[str]
    diets: list[str] = field(default_factory=list)
    families: dict[str, _Family] = field(default_factory=dict)
    email_family: dict[str, str] = field(default_factory=dict)


def _read_rows(data: bytes) -> tuple[list[list[str]], LineError | None]:
    """The CSV rows, or the one error that makes the whole file unreadable (size, empty, header, length)."""
    if len(data) > MAX_BYTES:
        return [], LineError(0, "Le fichier dépasse 2 Mo : découpez-le en plusieurs fichiers.")
    rows = list(csv.reader(io.StringIO(_decode(data), newline=""), delimiter=";"))
    if not rows or not any(cell.strip() for cell in rows[0]):
        return [], LineError(0, "Le fichier est vide.")
    if error := _header_error([cell.strip().lower() for cell in rows[0]]):
        return [], error
    if len(rows) - 1 > MAX_LINES:
        return [], LineError(0, f"Le fichier dépasse {MAX_LINES} lignes : découpez-le.")
    return rows, None


def _header_error(header: list[str]) -> LineError | None:
    """A comma-separated file, or missing / unknown columns, explained so an agent can fix it in Excel."""
    if len(header) == 1 and "," in header[0]:
        return LineError(
            1,
            "Les colonnes doivent être séparées par des points-virgules (;), pas des "
            "virgules. Dans Excel : « Enregistrer sous » → « CSV (séparateur : point-virgule) ».",
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c and c not in COLUMNS]
    if not missing and not unknown:
        return None
    parts = []
    if missing:
        parts.append("colonne(s) manquante(s) : " + ", ".join(missing))
    if unknown:
        parts.append("colonne(s) inconnue(s) : " + ", ".join(unknown))
    return LineError(1, "En-tête incorrect, " + " ; ".join(parts) + ". Partez du modèle à télécharger.")


def _start_parsing(session: Session, structure_id: int, header: list[str], today: date) -> _Parsing:
    """Load once what every line is checked against: active services, existing e-mails and references."""
    services = {
        s.name.strip().lower(): row_id(s)
        for s in session.exec(
            select(Service).where(Service.structure_id == structure_id, col(Service.active).is_(True))
        )
    }
    taken_emails = set(session.exec(select(Account.email).where(Account.structure_id == structure_id)))
    taken_refs = {
        r.strip().lower()
        for r in session.exec(select(Family.reference).where(Family.structure_id == structure_id))
        if r and r.strip()
    }
    return _Parsing(today, header, services, taken_emails, taken_refs)


def _family_key_problems(key: str, ctx: _Parsing) -> list[str]:
    if not key:
        return ["la colonne « famille » est vide"]
    if len(key) > 40:
        return ["« famille » fait plus de 40 caractères"]
    if key.lower() in ctx.taken_refs:
        return [f"le dossier « {key} » existe déjà dans le portail"]
    return []


def _check_guardian(row: dict[str, str], key: str, ctx: _Parsing, problems: list[str]) -> tuple[GuardianValues, str]:
    """The cleaned guardian and normalised e-mail; appends the problems (e-mail unique per family/portal)."""
    clean, errors = guardian_rules.validate_guardian(
        {field_name: row[column] for field_name, column in _GUARDIAN_COLUMNS.items()}
    )
    for name, message in errors.items():
        problems.append(f"{_GUARDIAN_COLUMNS.get(name, name)} : {message.rstrip('.')}")
    email = normalize_email(row["email"])
    if not email and "email" not in errors:
        problems.append("email : l'adresse du responsable est obligatoire (elle sert d'identifiant)")
    elif email and not errors.get("email"):
        if email in ctx.taken_emails:
            problems.append(f"email : {email} a déjà un compte dans le portail")
        elif key and ctx.email_family.get(email, key) != key:
            problems.append(
                f"email : {email} figure déjà dans une autre famille du fichier (« {ctx.email_family[email]} »)"
            )
    return clean, email


def _check_child(row: dict[str, str], number: int, ctx: _Parsing, problems: list[str]) -> _Child | None:
    """The line's child if it has one (any child column filled); appends the problems."""
    if not (row["nom_enfant"] or row["prenom_enfant"] or row["date_naissance"] or row["prestations"]):
        return None
    birth_iso = ""
    if row["date_naissance"]:
        try:
            birth_iso = _parse_birth(row["date_naissance"]).isoformat()
        except ValueError:
            problems.append(f"date_naissance : « {row['date_naissance']} » n'est pas une date JJ/MM/AAAA")
    values = {field_name: row[column] for field_name, column in _CHILD_COLUMNS.items()}
    clean, errors = child_rules.validate_child({**values, "birth_date": birth_iso}, ctx.diets, "", ctx.today)
    for name, message in errors.items():
        problems.append(f"{_CHILD_COLUMNS.get(name, name)} : {message.rstrip('.')}")
    return _Child(clean, _service_ids(row["prestations"], ctx, problems), number)


def _service_ids(text: str, ctx: _Parsing, problems: list[str]) -> list[int]:
    """ "Restauration scolaire|Garderie du soir" -> sorted ids of active services; unknown names are problems."""
    service_ids = []
    for name in (n.strip() for n in text.split("|")):
        if not name:
            continue
        if name.lower() not in ctx.services:
            problems.append(
                f"prestations : « {name} » ne correspond à aucune prestation active "
                f"(prestations : {', '.join(s for s in ctx.services) or 'aucune'})"
            )
        else:
            service_ids.append(ctx.services[name.lower()])
    return sorted(set(service_ids))


def _parse_line(number: int, cells: list[str], ctx: _Parsing) -> LineError | None:
    """Check one line; if it is clean, add its guardian and child to ``ctx.families``."""
    if len(cells) > len(ctx.header):
        return LineError(
            number, f"{len(cells)} colonnes au lieu de {len(ctx.header)} (un point-virgule en trop dans une valeur ?)."
        )
    by_header = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(ctx.header)}
    row = {name: by_header.get(name, "") for name in COLUMNS}
    key = row["famille"]
    problems = _family_key_problems(key, ctx)
    clean_guardian, email = _check_guardian(row, key, ctx, problems)
    child = _check_child(row, number, ctx, problems)
    if problems:
        return LineError(number, " ; ".join(problems) + ".")
    family = ctx.families.setdefault(key, _Family(key, number))
    ctx.email_family.setdefault(email, key)
    if email not in family.guardians:
        clean_guardian["email"] = email
        family.guardians[email] = _Guardian(clean_guardian, number)
    if child is not None:
        family.children.append(child)
    return None


def parse(session: Session, structure_id: int, data: bytes, today: date) -> tuple[list[_Family], list[LineError]]:
    """Read and check everything; nothing is written here."""
    rows, error = _read_rows(data)
    if error is not None:
        return [], [error]
    ctx = _start_parsing(session, structure_id, [cell.strip().lower() for cell in rows[0]], today)
    errors: list[LineError] = []
    for number, cells in enumerate(rows[1:], start=2):
        if any(cell.strip() for cell in cells) and (error := _parse_line(number, cells, ctx)):
            errors.append(error)
    if not errors and not ctx.families:
        errors.append(LineError(0, "Aucune famille à importer : le fichier ne contient que l'en-tête."))
    return list(ctx.families.values()), errors
