"""Issue 7 without a database: private storage (files under tmp_path) and download names."""

from __future__ import annotations

from pathlib import Path

import pytest

from cantine_portal.infra import storage
from cantine_portal.models import Document
from cantine_portal.services.content import documents

# --- storage -------------------------------------------------------------------------------


def test_storage_uses_random_names_under_the_private_folder(settings):
    first = storage.save_bytes(settings, "documents", b"%PDF-one")
    second = storage.save_bytes(settings, "documents", b"%PDF-one")
    assert first != second
    for relative in (first, second):
        assert relative.startswith("documents/") and relative.endswith(".pdf")
        assert len(Path(relative).stem) == 32  # 128 random bits, hex
        path = storage.resolve(settings, relative)
        assert settings.storage_dir.resolve() in path.parents
        assert "_upload" not in path.parts and "assets" not in path.parts
    assert storage.read_bytes(settings, first) == b"%PDF-one"


@pytest.mark.parametrize(
    "relative",
    [
        "../secret_key",
        "/etc/passwd",
        "documents/../../secret_key",
        "documents/../../../etc/passwd",
        "documents/..%2f..%2fsecret_key",
        "documents\\..\\secret",
        "",
        "documents/",
        "documents/abc.pdf",
        "Documents/" + "0" * 32 + ".pdf",
        "documents/" + "0" * 32 + ".pdf/../../x",
    ],
)
def test_storage_refuses_any_path_it_did_not_name(settings, relative):
    (settings.var_dir).mkdir(parents=True, exist_ok=True)
    (settings.var_dir / "secret_key").write_text("s3cret")
    with pytest.raises(storage.StorageError):
        storage.read_bytes(settings, relative)


@pytest.mark.parametrize("category", ["../x", "a/b", "", "UPPER", ".hidden"])
def test_storage_refuses_odd_categories(settings, category):
    with pytest.raises(storage.StorageError):
        storage.save_bytes(settings, category, b"x")


# --- documents -----------------------------------------------------------------------------


def test_download_names_are_plain_ascii():
    doc = Document(
        structure_id=1, title="Règlement « intérieur » 2026/2027", file_path="x", created_at=None, updated_at=None
    )
    assert documents.download_name(doc) == "Reglement-interieur-2026-2027.pdf"
