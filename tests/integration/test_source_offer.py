"""AGPL-3.0-or-later (issue 16 item 2): the licence is declared, and every user is offered the
portal's source (§13) from the footer's « Code source »."""

from __future__ import annotations

import io
import tarfile
import tomllib

from starlette.testclient import TestClient

from cantine_portal.config import PROJECT_ROOT
from cantine_portal.infra.source_archive import build_archive
from tests.conftest import settings_for


def test_the_licence_is_agpl_3_or_later_everywhere_it_is_declared():
    assert tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["license"] == "AGPL-3.0-or-later"
    assert (PROJECT_ROOT / "LICENSE").read_text().lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "AGPL-3.0-or-later" in readme and "/api/code-source" in readme


def test_code_source_hands_out_the_running_files(tmp_path, monkeypatch):
    from cantine_portal.api.routes import build_api

    monkeypatch.setattr("cantine_portal.config._active", settings_for(tmp_path))
    response = TestClient(build_api()).get("/api/code-source")
    assert response.status_code == 200 and response.headers["content-type"] == "application/gzip"
    assert 'filename="cantine_portal-source.tar.gz"' in response.headers["content-disposition"]
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
        names = set(archive.getnames())
        licence = archive.extractfile("cantine_portal-source/LICENSE").read().decode()
        route = archive.extractfile("cantine_portal-source/cantine_portal/api/source_routes.py").read()
    assert "GNU AFFERO" in licence
    assert route == (PROJECT_ROOT / "cantine_portal/api/source_routes.py").read_bytes()  # what runs
    assert {"cantine_portal-source/pyproject.toml", "cantine_portal-source/cantine_portal/cantine_portal.py"} <= names
    assert not [n for n in names if n.endswith(".pyc") or "/var/" in n or "__pycache__" in n or n.endswith(".db")]


def test_the_archive_is_the_same_bytes_for_the_same_files(tmp_path):
    (tmp_path / "LICENSE").write_text("GNU AFFERO GENERAL PUBLIC LICENSE")
    (tmp_path / "cantine_portal").mkdir()
    (tmp_path / "cantine_portal" / "a.py").write_text("x = 1\n")
    (tmp_path / "cantine_portal" / "__pycache__").mkdir()
    (tmp_path / "cantine_portal" / "__pycache__" / "a.cpython-313.pyc").write_bytes(b"\0")
    first = build_archive(tmp_path)
    assert first == build_archive(tmp_path)
    with tarfile.open(fileobj=io.BytesIO(first), mode="r:gz") as archive:
        assert archive.getnames() == ["cantine_portal-source/LICENSE", "cantine_portal-source/cantine_portal/a.py"]


def test_a_deployment_that_publishes_its_source_elsewhere_links_there(tmp_path, monkeypatch):
    from cantine_portal.api.routes import build_api

    settings = settings_for(tmp_path, CANTINE_SOURCE_URL="https://forge.example.fr/commune/cantine_portal")
    monkeypatch.setattr("cantine_portal.config._active", settings)
    response = TestClient(build_api(), follow_redirects=False).get("/api/code-source")
    assert response.status_code == 302
    assert response.headers["location"] == "https://forge.example.fr/commune/cantine_portal"
