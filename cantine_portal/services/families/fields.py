"""The editable fields of guardians and children, shared by the parents' and the staff's pages.

Field names are ``Literal`` types and clean values ``TypedDict``s so that building a row from
validated values (``Guardian(**clean)``) and reading ``clean[name]`` are checked by mypy.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, TypedDict

HEALTH_FIELDS = frozenset({"pai", "pai_notes"})

GuardianField = Literal[
    "civility",
    "last_name",
    "first_name",
    "relationship",
    "email",
    "mobile",
    "phone_home",
    "phone_work",
    "address_line",
    "postal_code",
    "city",
    "employer",
]
ChildField = Literal["last_name", "first_name", "birth_date", "school", "class_name", "diet", "pai", "pai_notes"]
GUARDIAN_FIELDS: tuple[GuardianField, ...] = (
    "civility",
    "last_name",
    "first_name",
    "relationship",
    "email",
    "mobile",
    "phone_home",
    "phone_work",
    "address_line",
    "postal_code",
    "city",
    "employer",
)
PHONE_FIELDS: tuple[GuardianField, ...] = ("mobile", "phone_home", "phone_work")
CHILD_FIELDS: tuple[ChildField, ...] = (
    "last_name",
    "first_name",
    "birth_date",
    "school",
    "class_name",
    "diet",
    "pai",
    "pai_notes",
)


class GuardianValues(TypedDict):
    """A guardian's editable columns, as ``validate_guardian`` cleans them (keys = GUARDIAN_FIELDS)."""

    civility: str
    last_name: str
    first_name: str
    relationship: str
    email: str
    mobile: str
    phone_home: str
    phone_work: str
    address_line: str
    postal_code: str
    city: str
    employer: str


class ChildValues(TypedDict):
    """A child's editable columns, as ``validate_child`` cleans them (keys = CHILD_FIELDS)."""

    last_name: str
    first_name: str
    birth_date: date | None
    school: str
    class_name: str
    diet: str
    pai: bool
    pai_notes: str
