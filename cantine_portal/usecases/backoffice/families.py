"""« Familles »: search, creation, CSV import, and one family's page (identity, guardians, children,
enrollments, invitations; money read-only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from cantine_portal.config import get_settings
from cantine_portal.models import row_id
from cantine_portal.services.backoffice import csv_import, csv_parsing
from cantine_portal.services.backoffice import families as rules
from cantine_portal.services.backoffice import family_members as member_rules
from cantine_portal.services.backoffice import family_summary as summary_rules
from cantine_portal.services.backoffice.families import FamilyRow
from cantine_portal.services.families import family as family_rules
from cantine_portal.usecases.backoffice.common import (
    Download,
    Outcome,
    ServiceChoice,
    StaffActor,
    change,
    mailer,
    read,
    write,
)
from cantine_portal.usecases.errors import Refused

__all__ = [
    "FamilyRow",
    "GUARDIAN_KEYS",
    "CSV_MAX_BYTES",
    "create_family",
    "families_page",
    "family_page",
    "import_families",
    "import_template",
    "invite_family",
    "save_child",
    "save_guardian",
    "update_family",
]
GUARDIAN_KEYS = family_rules.GUARDIAN_FIELDS
CSV_MAX_BYTES = csv_parsing.MAX_BYTES


@dataclass(frozen=True)
class GuardianView:
    id: int
    version: int
    values: dict[str, str]  # GUARDIAN_KEYS, as shown in the form
    has_login: bool  # this guardian's e-mail is a parent account's login


@dataclass(frozen=True)
class ChildView:
    id: int
    version: int
    values: dict[str, str]
    service_ids: frozenset[int]  # enrollments


@dataclass(frozen=True)
class FamilyPage:
    name: str
    reference: str
    accounts: list[str]
    guardians: list[GuardianView]
    children: list[ChildView]
    services: list[ServiceChoice]  # active ones, for enrollments
    diets: list[str]
    basket_lines: list[dict[str, str]]
    reservations: list[dict[str, str]]
    credit_balance: str
    credits: list[dict[str, str]]
    payments: list[dict[str, str]]
    receipts: list[dict[str, str]]


@dataclass(frozen=True)
class ImportOutcome:
    ok: bool
    message: str
    errors: list[str] = field(default_factory=list)  # one French sentence per bad line
    page: list[FamilyRow] | None = None  # the list read again after a successful import


def _rows(actor: StaffActor, query: str) -> Callable[[Session], list[FamilyRow]]:
    return lambda s: rules.search_families(s, actor.structure_id, actor.account_id, query)


def families_page(actor: StaffActor, *, query: str) -> list[FamilyRow]:
    """Families whose name, reference, guardian or child contains every word of ``query``."""
    return read(_rows(actor, query))


def create_family(
    actor: StaffActor, *, now: datetime, name: str, reference: str, guardian: dict[str, str], invite: bool, query: str
) -> Outcome[list[FamilyRow]]:
    """A family, its first guardian and parent account; ``invite`` e-mails the first-connection link."""
    base_url = get_settings().base_url
    return change(
        lambda s: rules.create_family(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            name=name,
            reference=reference,
            guardian=guardian,
            mailer=mailer(),
            base_url=base_url,
            invite=invite,
            ip=actor.ip,
        ),
        _rows(actor, query),
    )


def import_families(actor: StaffActor, *, now: datetime, data: bytes, query: str) -> ImportOutcome:
    """Every family of the CSV file in one transaction, or none (each bad line reported)."""
    base_url = get_settings().base_url
    result = write(
        lambda s: csv_import.import_families(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            data=data,
            mailer=mailer(),
            base_url=base_url,
            ip=actor.ip,
        )
    )
    page = read(_rows(actor, query)) if result.ok else None
    return ImportOutcome(result.ok, result.message, [str(e) for e in result.errors], page)


def import_template() -> Download:
    return Download(csv_parsing.template_csv(), "modele-import-familles.csv", "text/csv")


def _chosen(family_id: int | None) -> int:
    """The family the page is about: none chosen is refused, as the services refuse an unknown one."""
    if family_id is None:
        raise Refused()
    return family_id


def _page(actor: StaffActor, family_id: int) -> Callable[[Session], FamilyPage]:
    def work(session: Session) -> FamilyPage:
        summary = summary_rules.family_summary(session, actor.structure_id, actor.account_id, family_id)
        active = [s for s in summary.services if s.active]
        guardians = [
            GuardianView(
                row_id(g),
                g.version,
                {k: str(getattr(g, k) or "") for k in GUARDIAN_KEYS},
                g.id in summary.guardian_logins,
            )
            for g in summary.guardians
        ]
        children = [
            ChildView(
                row_id(c),
                c.version,
                family_rules.child_form_values(c),
                frozenset(summary.enrollments.get(row_id(c), set())),
            )
            for c in summary.children
        ]
        return FamilyPage(
            summary.name,
            summary.reference,
            summary.accounts,
            guardians,
            children,
            [ServiceChoice(row_id(s), s.name) for s in active],
            family_rules.diet_choices(session, actor.structure_id),
            summary.basket_lines,
            summary.reservations,
            summary.credit_balance,
            summary.credits,
            summary.payments,
            summary.receipts,
        )

    return work


def family_page(actor: StaffActor, *, family_id: int | None) -> FamilyPage:
    return read(_page(actor, _chosen(family_id)))


def update_family(
    actor: StaffActor, *, now: datetime, family_id: int | None, name: str, reference: str
) -> Outcome[FamilyPage]:
    chosen = _chosen(family_id)
    return change(
        lambda s: rules.update_family(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            family_id=chosen,
            name=name,
            reference=reference,
            ip=actor.ip,
        ),
        _page(actor, chosen),
    )


def save_guardian(
    actor: StaffActor,
    *,
    now: datetime,
    family_id: int | None,
    guardian_id: int | None,
    expected_version: int | None,
    values: dict[str, str],
) -> Outcome[FamilyPage]:
    """Create (``guardian_id`` None) or update a guardian; a stale ``expected_version`` is a conflict."""
    chosen = _chosen(family_id)
    return change(
        lambda s: member_rules.save_guardian(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            family_id=chosen,
            guardian_id=guardian_id,
            expected_version=expected_version,
            values=values,
            ip=actor.ip,
        ),
        _page(actor, chosen),
    )


def save_child(
    actor: StaffActor,
    *,
    now: datetime,
    family_id: int | None,
    child_id: int | None,
    expected_version: int | None,
    values: dict[str, str],
    service_ids: set[int],
) -> Outcome[FamilyPage]:
    """Create or update a child and its enrollments; a stale ``expected_version`` is a conflict."""
    chosen = _chosen(family_id)
    return change(
        lambda s: member_rules.save_child(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            family_id=chosen,
            child_id=child_id,
            expected_version=expected_version,
            values=values,
            service_ids=service_ids,
            ip=actor.ip,
        ),
        _page(actor, chosen),
    )


def invite_family(actor: StaffActor, *, now: datetime, family_id: int | None) -> Outcome[FamilyPage]:
    """(Re)send the first-connection e-mail to the family's parent accounts."""
    chosen = _chosen(family_id)
    base_url = get_settings().base_url
    return change(
        lambda s: rules.invite_family(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            family_id=chosen,
            mailer=mailer(),
            base_url=base_url,
        ),
        _page(actor, chosen),
    )
