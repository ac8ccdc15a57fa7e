"""What the commune publishes and what families send it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from cantine_portal.models.base import utc_field


class Document(SQLModel, table=True):
    """A published PDF (menus, activités, règlement…)."""

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    title: str = Field(max_length=200)
    category: str = Field(default="Informations", max_length=60)
    # Path relative to the storage folder, under a random name.
    file_path: str = Field(max_length=255)
    original_name: str = Field(default="", max_length=255)
    size_bytes: int = Field(default=0)
    sha256: str = Field(default="", max_length=64)
    published: bool = Field(default=False)
    published_at: datetime | None = utc_field(nullable=True)
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class ContactMessage(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    account_id: int = Field(foreign_key="account.id")
    child_id: int | None = Field(default=None, foreign_key="child.id")
    subject: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    attachment_path: str | None = Field(default=None, max_length=255)
    attachment_name: str | None = Field(default=None, max_length=255)
    created_at: datetime = utc_field(index=True)
    handled_at: datetime | None = utc_field(nullable=True)
    handled_by: int | None = Field(default=None, foreign_key="account.id")
