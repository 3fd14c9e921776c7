"""The officers' workspace through FastAPI's TestClient: every route for every role, sessions,
CSRF, throttling, decisions under the logged-in officer, queued writes while a run holds the
warehouse, uploads with the run's verdict, downloads without path traversal."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.flows.web_support import AS_OF, PASSWORD, USERS, build_warehouse, copy_workspace, csrf_of

NIK_LIKE = re.compile(r"(?<![0-9])64[0-9]{14}(?![0-9])")
NAMES = ("Siti", "Budi", "Rina", "Joko", "Dewi", "Agus")
SMD_FEEDBACK = "umpan_balik/6472_samarinda/"
BPN_FEEDBACK = "umpan_balik/6471_balikpapan/"
ROW = {"file_name": "Samarinda/usulan kesehatan samarinda.csv", "sheet": "", "row_number": "4"}


@pytest.fixture(scope="module")
def built(prefect_harness, tmp_path_factory) -> Path:
    """The flow run once on two regencies' files, one account per role (shared, read mostly)."""
    root = tmp_path_factory.mktemp("web")
    build_warehouse(root)
    return root


@pytest.fixture(scope="module")
def app(built):
    from flows.web.app import create_app
    from tests.flows.web_support import settings_for

    return create_app(settings_for(built))


@pytest.fixture
def own(built, tmp_path):
    """A private copy of the workspace for a test that writes, and its app."""
    from flows.web.app import create_app

    settings = copy_workspace(built, tmp_path / "ws")
    return settings, create_app(settings)


def login(app, username: str) -> TestClient:
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/", answer.text
    return client


def token(client: TestClient) -> str:
    return csrf_of(client.get("/").text)


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def own_file(app, client: TestClient, prefix: str) -> str:
    listing = client.get("/unduhan").text
    found = re.search(rf'href="/unduhan/berkas/({re.escape(prefix)}[^"]+)"', listing)
    assert found, f"no {prefix} file listed"
    return found.group(1)


# --- access rules ------------------------------------------------------------------------------

PAGES = ["/", "/tinjauan/baris", "/tinjauan/pasangan", "/unggah", "/unduhan"]
ACTIONS = ["/tinjauan/baris/putuskan", "/tinjauan/pasangan/putuskan", "/tinjauan/pekerjaan",
           "/unggah", "/logout", "/jalankan"]  # fmt: skip
PAGE_ACCESS = {  # role -> status of each page
    "provinsi": [200, 200, 200, 403, 200],
    "kabupaten": [200, 200, 200, 200, 200],
    "analis": [200, 403, 403, 403, 200],
}


def test_every_page_and_action_but_login_needs_a_session(app):
    client = TestClient(app)
    for url in PAGES + ["/unduhan/berkas/laporan/laporan_terbaru.html"]:
        answer = client.get(url, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login", url
    for url in ACTIONS:
        assert client.post(url, follow_redirects=False).status_code == 303, url
    assert client.get("/tinjauan/baris", headers={"HX-Request": "true"}).status_code == 401
    assert client.get("/login").status_code == 200


@pytest.mark.parametrize("username", list(USERS))
def test_pages_per_role(app, username):
    client = login(app, username)
    role = USERS[username][0]
    assert [client.get(url).status_code for url in PAGES] == PAGE_ACCESS[role]


@pytest.mark.parametrize("username", ["smd", "ana"])
def test_only_the_province_decides(app, username):
    client = login(app, username)
    csrf = token(client)
    forms = {
        "/tinjauan/baris/putuskan": {**ROW, "keputusan": "accept", "alasan": "x"},
        "/tinjauan/pasangan/putuskan": {
            "person_a": 1,
            "person_b": 2,
            "keputusan": "merge",
            "alasan": "x",
        },  # fmt: skip
        "/tinjauan/pekerjaan": {"ejaan": "Ojol", "pekerjaan": "Wiraswasta", "alasan": "x"},
        "/jalankan": {},
    }
    for url, form in forms.items():
        assert client.post(url, data={**form, "csrf_token": csrf}).status_code == 403, url


@pytest.mark.parametrize("username", ["prov", "ana"])
def test_only_a_regency_uploads(app, username):
    client = login(app, username)
    answer = client.post(
        "/unggah", data={"csrf_token": token(client)},
        files={"berkas": ("usulan kesehatan.csv", b"NIK;NAMA\n", "text/csv")},
    )  # fmt: skip
    assert answer.status_code == 403


def test_a_regency_sees_only_its_own_rows_and_pairs(app):
    smd, bpn = login(app, "smd"), login(app, "bpn")
    rows = smd.get("/tinjauan/baris?kabupaten=6471").text  # the filter cannot widen the scope
    assert "usulan kesehatan samarinda.csv" in rows and "balikpapan" not in rows.lower()
    assert "Putuskan" not in rows and 'name="keputusan"' not in rows  # sees, does not decide
    rows = bpn.get("/tinjauan/baris").text
    assert "Agus Salim" in rows and "Samarinda/" not in rows
    assert "Siti Amina" in smd.get("/tinjauan/pasangan").text
    assert "Siti" not in bpn.get("/tinjauan/pasangan").text


def test_the_province_sees_evidence_and_every_regency(app):
    prov = login(app, "prov")
    rows = prov.get("/tinjauan/baris").text
    assert "Balikpapan/" in rows and "Samarinda/" in rows and "(3 data)" in rows
    # NIK_DOB_MISMATCH: the birth date column beside the date inside the NIK
    assert "02-07-1990" in rows and "menurut NIK: 01-07-1990" in rows
    assert "Petakan ejaan" in rows  # an occupation the Dukcapil list does not know
    pairs = prov.get("/tinjauan/pasangan").text
    assert "Siti Aminah" in pairs and "Siti Amina" in pairs and 'class="differ"' in pairs
    assert prov.get("/tinjauan/baris?halaman=999999999").status_code == 200  # past the end


def test_a_card_offers_an_occupation_mapping_from_what_the_run_stored(own):
    """The flag comes from the run's stored occupation and the officers' mappings, not from
    matching the written spelling again: where they differ, the page shows the run's decision."""
    settings, app = own
    with duckdb.connect(str(settings.db)) as con:
        # a run recognised this spelling (an older list or matcher): no mapping is offered
        con.execute(
            "UPDATE submission_rows SET pekerjaan_raw = 'Tukang Becak', pekerjaan = 'Tukang Batu', "
            "occupation_group = 'informal' WHERE nama = 'Rina Wati'"
        )
        # a run did not recognise this one (a newer matcher would): a mapping is offered
        con.execute(
            "UPDATE submission_rows SET pekerjaan = pekerjaan_raw, occupation_group = 'unknown' "
            "WHERE nama = 'Agus Salim'"
        )
    prov = login(app, "prov")
    rows = prov.get("/tinjauan/baris").text
    assert 'name="ejaan" value="Nelayan"' in rows
    assert 'name="ejaan" value="Tukang Becak"' not in rows
    assert 'name="ejaan" value="Serabutan"' in rows
    mapped = prov.post(
        "/tinjauan/pekerjaan",
        data={"ejaan": "SERABUTAN", "pekerjaan": "Buruh Harian Lepas", "alasan": "dicek",
              "csrf_token": token(prov)},
    )  # fmt: skip
    assert mapped.status_code == 200, mapped.text
    rows = prov.get("/tinjauan/baris").text  # mapped: the next run applies it, not asked again
    assert 'name="ejaan" value="Serabutan"' not in rows and "Budi Santoso" in rows


def test_analysts_see_aggregates_never_identities(app):
    client = login(app, "ana")
    for url in ("/", "/unduhan"):
        page = client.get(url).text
        assert not NIK_LIKE.search(page), url
        assert not any(name in page for name in NAMES), url
    assert "Baris per status" in client.get("/").text


def test_dashboard_per_role(app):
    smd = login(app, "smd").get("/").text
    assert "Kota Samarinda" in smd and "Balikpapan" not in smd
    prov = login(app, "prov").get("/").text
    assert "Samarinda" in prov and "Balikpapan" in prov


# --- sessions, CSRF, throttling ------------------------------------------------------------------


def test_forms_need_the_sessions_csrf_token(app):
    client = TestClient(app)
    client.get("/login")
    bad = client.post("/login", data={"username": "prov", "password": PASSWORD,
                                      "csrf_token": "forged"})  # fmt: skip
    assert bad.status_code == 403
    prov = login(app, "prov")
    answer = prov.post(
        "/tinjauan/baris/putuskan",
        data={**ROW, "keputusan": "accept", "alasan": "x", "csrf_token": "forged"},
    )
    assert answer.status_code == 403
    assert prov.post("/logout", data={"csrf_token": "forged"}).status_code == 403


def test_session_cookie_is_signed_httponly_lax_and_expires(built, monkeypatch):
    from itsdangerous.timed import TimestampSigner

    from flows.web.app import SESSION_COOKIE, create_app
    from tests.flows.web_support import settings_for

    settings = settings_for(built).model_copy(
        update={"web_session_hours": 1 / 3600, "web_https_only": True}
    )
    clock = [int(time.time())]  # the signer's clock, moved by hand: no race with a busy machine
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: clock[0])
    client = TestClient(create_app(settings), base_url="https://testserver")
    csrf = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"username": "prov", "password": PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    assert "max-age=1" in cookie
    assert client.get("/", follow_redirects=False).status_code == 200
    clock[0] += 3  # past max_age: the signature's timestamp is too old
    assert client.get("/", follow_redirects=False).status_code == 303
    forged = TestClient(create_app(settings_for(built)))
    forged.cookies.set(SESSION_COOKIE, "eyJ1c2VyIjp7InVzZXJuYW1lIjoicHJvdiJ9fQ==.x.y")
    assert forged.get("/", follow_redirects=False).status_code == 303


def test_logins_are_throttled_and_audited(own):
    settings, app = own
    client = TestClient(app)
    csrf = csrf_of(client.get("/login").text)
    for _ in range(settings.web_login_max_failures):
        wrong = client.post("/login", data={"username": "smd", "password": "salah-sekali-1",
                                            "csrf_token": csrf})  # fmt: skip
        assert wrong.status_code == 401 and "salah" in wrong.text
    right = client.post(
        "/login", data={"username": "smd", "password": PASSWORD, "csrf_token": csrf}
    )
    assert right.status_code == 429  # even the right password waits now
    login(app, "bpn")  # another account is not affected
    audit = query(settings.db, 'SELECT username, action FROM audit_log ORDER BY "at"')
    assert audit.count(("smd", "login_gagal")) == settings.web_login_max_failures
    assert ("bpn", "login") in audit
    unknown = client.post("/login", data={"username": "nobody", "password": "x" * 12,
                                          "csrf_token": csrf})  # fmt: skip
    assert unknown.status_code == 401


# --- decisions -----------------------------------------------------------------------------------


def test_decisions_are_recorded_under_the_logged_in_officer(own):
    settings, app = own
    prov = login(app, "prov")
    csrf = token(prov)
    hx = {"HX-Request": "true"}
    answer = prov.post(
        "/tinjauan/baris/putuskan",
        data={**ROW, "keputusan": "accept", "alasan": "dicek dengan KTP", "csrf_token": csrf,
              "officer": "someone else"},
        headers=hx,
    )  # fmt: skip
    assert answer.status_code == 200 and "tercatat" in answer.text and "<html" not in answer.text
    assert query(settings.db, "SELECT officer, decision, note FROM row_reviews") == [
        ("prov", "accept", "dicek dengan KTP")
    ]
    assert "baris 4" not in prov.get("/tinjauan/baris").text  # decided: waits for the next run
    pair = prov.post(
        "/tinjauan/pasangan/putuskan",
        data={"person_a": 4, "person_b": 5, "keputusan": "distinct", "alasan": "beda ibu",
              "csrf_token": csrf},
    )  # fmt: skip
    assert pair.status_code == 200, pair.text
    assert query(settings.db, "SELECT officer, decision, note FROM pair_reviews") == [
        ("prov", "distinct", "beda ibu")
    ]
    mapped = prov.post(
        "/tinjauan/pekerjaan",
        data={"ejaan": "Tukang Ojek Online", "pekerjaan": "Wiraswasta", "alasan": "ojol",
              "csrf_token": csrf},
    )  # fmt: skip
    assert mapped.status_code == 200, mapped.text
    assert query(
        settings.db, "SELECT spelling_key, occupation, occupation_group, decided_by, reason "
        "FROM occupation_mappings"
    ) == [("TUKANG OJEK ONLINE", "Wiraswasta", "informal", "prov", "ojol")]  # fmt: skip
    refused = prov.post(
        "/tinjauan/baris/putuskan",
        data={**ROW, "row_number": "99", "keputusan": "reject", "alasan": "x",
              "csrf_token": csrf},
    )  # fmt: skip
    assert refused.status_code == 422 and "tidak ditemukan" in refused.text
    incomplete = prov.post(
        "/tinjauan/baris/putuskan",
        data={**ROW, "keputusan": "accept", "alasan": " ", "csrf_token": csrf},
    )
    assert incomplete.status_code == 422
    actions = query(
        settings.db, "SELECT username, action FROM audit_log WHERE action NOT LIKE 'login%' "
        'ORDER BY "at"'
    )  # fmt: skip
    assert actions == [("prov", "keputusan_baris"), ("prov", "keputusan_pasangan"),
                       ("prov", "pemetaan_pekerjaan"), ("prov", "keputusan_baris_gagal")]  # fmt: skip


@pytest.mark.slow
def test_a_decision_while_a_run_writes_is_queued_never_lost_and_applied_by_the_next_run(own):
    from flows.pipeline import pipeline
    from flows.review.queue import pending
    from flows.runtime.lock import run_lock

    settings, app = own
    prov = login(app, "prov")
    csrf = token(prov)
    with run_lock(settings.db, purpose="a run in progress"):
        answer = prov.post(
            "/tinjauan/baris/putuskan",
            data={**ROW, "keputusan": "accept", "alasan": "KK pindahan", "csrf_token": csrf},
        )
        assert answer.status_code == 202 and "antrean" in answer.text
        assert "/tinjauan/baris" in prov.get("/").text  # pages still answer during the run
        assert "1 tindakan menunggu" in prov.get("/").text
        assert query(settings.db, "SELECT * FROM row_reviews") == []
    assert pending(settings.db) == 1
    summary = pipeline(
        raw_dir=settings.raw_dir, reference_dir=settings.raw_dir.parent / "ref", db=settings.db,
        export_dir=settings.export_dir, as_of=AS_OF,
    )  # fmt: skip
    assert any("Antrean ruang kerja: 1 tindakan diterapkan" in note for note in summary.notes)
    assert pending(settings.db) == 0
    assert query(settings.db, "SELECT officer FROM row_reviews") == [("prov",)]
    assert query(
        settings.db, "SELECT status FROM submission_rows WHERE file_name = "
        "'Samarinda/usulan kesehatan samarinda.csv' AND row_number = 4"
    ) == [("accepted",)]  # fmt: skip


def test_a_page_waits_bounded_while_another_process_holds_the_warehouse(own):
    settings, app = own
    prov = login(app, "prov")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('open', flush=True); time.sleep(60)", str(settings.db)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        busy = prov.get("/tinjauan/baris")
        assert busy.status_code == 503 and "Run sedang menulis" in busy.text
        csrf = csrf_of(busy.text)
        queued = prov.post(
            "/tinjauan/baris/putuskan",
            data={**ROW, "keputusan": "reject", "alasan": "ganda", "csrf_token": csrf},
        )
        assert queued.status_code == 202
    finally:
        holder.kill()
        holder.wait()
    assert prov.get("/tinjauan/baris").status_code == 200
    login(app, "smd")  # the next write applies the queue first
    assert query(settings.db, "SELECT officer, decision FROM row_reviews") == [("prov", "reject")]


def test_a_queue_entry_is_applied_once(own):
    from flows.review.queue import apply_queue, enqueue, queue_path

    settings, _ = own
    entry = enqueue(settings.db, "prov", "unduh", "x.xlsx", "bpjs")
    line = queue_path(settings.db).read_text()
    assert apply_queue(settings.db)[entry].ok
    queue_path(settings.db).write_text(line)  # as if the process died before emptying the file
    assert apply_queue(settings.db) == {}
    assert query(settings.db, "SELECT count(*) FROM audit_log WHERE action = 'unduh'") == [(1,)]
    assert oct(queue_path(settings.db).stat().st_mode & 0o777) == "0o600"


# --- uploads -------------------------------------------------------------------------------------

CSV = (
    "NIK;NO KK;NAMA;TGL LAHIR;JENIS KELAMIN;PEKERJAAN\n"
    "6472016001950002;6472010101200007;Lina Marlina;20-01-1995;P;Petani\n"
    "12345;6472010101200007;Tono;01-01-1990;L;Petani\n"
)


def upload(client: TestClient, name: str, content: bytes):
    return client.post(
        "/unggah",
        data={"csrf_token": token(client)},
        files={"berkas": (name, content, "text/csv")},
        headers={"HX-Request": "true"},
    )


def test_an_upload_lands_in_the_regencys_folder_with_the_runs_verdict(own):
    settings, app = own
    smd = login(app, "smd")
    before = query(settings.db, "SELECT count(*) FROM submission_rows")
    answer = upload(smd, "../../Balikpapan/usulan kesehatan susulan.csv", CSV.encode())
    assert answer.status_code == 200, answer.text
    stored = settings.raw_dir / "Samarinda" / "usulan kesehatan susulan.csv"
    assert stored.read_text(encoding="utf-8") == CSV
    assert "Berkas akan dimuat" in answer.text and "Kota Samarinda" in answer.text
    assert re.search(r"<td>1</td><td>0</td><td>1</td>", answer.text)  # accepted, review, rejected
    assert "NIK_FORMAT" in answer.text
    assert query(settings.db, "SELECT count(*) FROM submission_rows") == before  # nothing loaded
    again = upload(smd, "usulan kesehatan susulan.csv", CSV.encode())
    assert (settings.raw_dir / "Samarinda" / "usulan kesehatan susulan (2).csv").exists()
    assert "Berkas akan dimuat" in again.text  # a copy of a file not yet loaded
    existing = (settings.raw_dir / "Samarinda" / "usulan kesehatan samarinda.csv").read_bytes()
    duplicate = upload(smd, "salinan kesehatan.csv", existing)
    assert "isinya sama persis" in duplicate.text
    unreadable = upload(smd, "usulan kesehatan rusak.xlsx", b"not a workbook")
    assert "tidak akan dimuat" in unreadable.text
    assert upload(smd, "program.exe", b"MZ").status_code == 415
    assert upload(smd, ".hidden", b"x").status_code == 415
    actions = query(settings.db, "SELECT object FROM audit_log WHERE action = 'unggah'")
    assert ("Samarinda/usulan kesehatan susulan.csv",) in actions
    assert sorted(p.name for p in (settings.raw_dir / "Samarinda").iterdir() if
                  p.name.startswith(".")) == []  # fmt: skip


def test_a_regency_without_a_folder_gets_one(own):
    from flows.web.auth import add_user
    from flows.web.upload import regency_folder, safe_name

    settings, app = own
    add_user(settings.db, "kubar", "kabupaten", "6407", PASSWORD)
    assert upload(login(app, "kubar"), "usulan kesehatan.csv", CSV.encode()).status_code == 200
    assert (settings.raw_dir / "6407 Kutai Barat" / "usulan kesehatan.csv").exists()
    assert regency_folder(settings.raw_dir, "6472") == settings.raw_dir / "Samarinda"
    assert safe_name("C:\\Users\\x\\~$usulan.xlsx") == "usulan.xlsx"
    assert safe_name("usulan") is None and safe_name("..") is None


# --- downloads -----------------------------------------------------------------------------------


def test_downloads_per_role_and_no_path_traversal(own):
    settings, app = own
    smd, bpn, prov, ana = (login(app, u) for u in ("smd", "bpn", "prov", "ana"))
    mine = own_file(app, smd, SMD_FEEDBACK)
    theirs = own_file(app, bpn, BPN_FEEDBACK)
    assert "bpjs/" not in smd.get("/unduhan").text  # regencies get feedback only
    got = smd.get(f"/unduhan/berkas/{mine}")
    assert got.status_code == 200 and got.content[:2] == b"PK"
    assert smd.get(f"/unduhan/berkas/{theirs}").status_code == 404
    assert bpn.get(f"/unduhan/berkas/{theirs}").status_code == 200
    bpjs = own_file(app, prov, "bpjs/")
    assert prov.get(f"/unduhan/berkas/{bpjs}").status_code == 200
    assert prov.get(f"/unduhan/berkas/{theirs}").status_code == 200
    assert smd.get(f"/unduhan/berkas/{bpjs}").status_code == 404
    assert ana.get(f"/unduhan/berkas/{bpjs}").status_code == 404
    assert ana.get("/unduhan/berkas/laporan/laporan_terbaru.html").status_code == 200
    assert smd.get("/unduhan/berkas/laporan/laporan_terbaru.html").status_code == 404
    for sneaky in ("../w.duckdb", "..%2Fw.duckdb", "%2e%2e/%2e%2e/etc/passwd",
                   f"{SMD_FEEDBACK}../../../w.duckdb", "/etc/passwd", "//etc/passwd"):  # fmt: skip
        for client in (smd, prov):
            assert client.get(f"/unduhan/berkas/{sneaky}").status_code in (403, 404), sneaky
    audit = query(settings.db, "SELECT username, object FROM audit_log WHERE action = 'unduh'")
    assert ("smd", mine.replace("%20", " ")) in audit or ("smd", mine) in audit
    assert not any(user == "smd" and obj.startswith(BPN_FEEDBACK) for user, obj in audit)


# --- accounts ------------------------------------------------------------------------------------


def test_user_add_on_the_command_line(tmp_path):
    from flows.cli import app as cli
    from flows.outputs.analyst_copy import write_analyst_copy

    db = tmp_path / "w.duckdb"
    runner = CliRunner()

    def add(*args: str, password: str = PASSWORD):
        return runner.invoke(cli, ["user", "add", *args, "--db", str(db)], input=password + "\n")

    added = add("rina.smd", "--role", "kabupaten", "--regency", "6472")
    assert added.exit_code == 0 and "6472" in added.output
    assert add("rina.smd", "--role", "kabupaten", "--regency", "6472").exit_code == 1
    for args in (("x", "--role", "provinsi"), ("budi", "--role", "kabupaten"),
                 ("budi", "--role", "raja"), ("budi", "--role", "analis", "--regency", "6472")):  # fmt: skip
        refused = add(*args)
        assert refused.exit_code == 1 and "gagal" in refused.output, args
    assert add("budi", "--role", "provinsi", password="pendek").exit_code == 1
    assert add("Budi.Prov", "--role", "provinsi").exit_code == 0
    stored = query(db, "SELECT username, role, regency_code, password_hash FROM users ORDER BY 1")
    assert [row[:3] for row in stored] == [
        ("budi.prov", "provinsi", None), ("rina.smd", "kabupaten", "6472"),
    ]  # fmt: skip
    assert all(row[3].startswith("$argon2id$") and PASSWORD not in row[3] for row in stored)
    copy = write_analyst_copy(db, tmp_path / "analis.duckdb", tmp_path / "key")
    assert "password_hash" not in {c for _, c in [(p.table, p.column) for p in copy.plans
                                                  if p.kind != "remove"]}  # fmt: skip


WITHOUT_PREFECT = """
import sys
from pathlib import Path

from typer.testing import CliRunner

from flows.cli import app as cli
from flows.settings import Settings
from flows.web.app import create_app

root = Path(sys.argv[1])
added = CliRunner().invoke(
    cli, ["user", "add", "rina.prov", "--role", "provinsi", "--db", str(root / "w.duckdb")],
    input=sys.argv[2] + "\\n",
)
assert added.exit_code == 0, added.output
create_app(Settings(db=root / "w.duckdb", raw_dir=root / "raw", export_dir=root / "exports"))
print(sorted(m for m in sys.modules if m == "prefect" or m.startswith("prefect.")))
"""


def test_the_workspace_and_user_add_start_without_prefect(tmp_path):
    """`tepat web` and `tepat user add` do not import Prefect (it takes seconds to load): the
    app is built and an account added in a fresh interpreter, and no prefect module is loaded."""
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PREFECT, str(tmp_path), PASSWORD],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_static_files_are_served_locally(app):
    client = TestClient(app)
    script = client.get("/static/htmx.min.js")
    assert script.status_code == 200 and "htmx" in script.text[:200]
    page = client.get("/login")
    assert "http" not in re.sub(r'href="/[^"]*"|src="/[^"]*"', "", page.text.split("<body>")[0])
    assert page.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_the_province_asks_the_deployment_for_a_run_now(own):
    settings, app = own
    prov = login(app, "prov")
    answer = prov.post("/jalankan", data={"csrf_token": token(prov)})
    # the test session's Prefect API has no `tepat serve` deployment: a clear refusal
    assert answer.status_code == 503 and "pipeline-terjadwal/tepat-harian" in answer.text
    assert "run terjadwal berikutnya" in answer.text
    assert query(settings.db, "SELECT action FROM audit_log WHERE action LIKE 'jalankan%'") == [
        ("jalankan_run_gagal",)
    ]


def test_a_run_waits_briefly_while_the_workspace_reads(tmp_path):
    from flows.warehouse.store import connect

    db = tmp_path / "w.duckdb"
    with connect(db):
        pass
    reader = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], "
         "read_only=True); print('open', flush=True); time.sleep(0.3); c.close()", str(db)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert reader.stdout.readline().strip() == "open"
        with connect(db) as con:  # a run's write connection: waits for the reader to close
            assert con.execute("SELECT count(*) FROM users").fetchone() == (0,)
    finally:
        reader.wait()


def test_the_provinces_dashboard_is_the_report_the_run_wrote(built, app):
    from flows.outputs.report import body_of_report, read_report_data, report_body

    db = built / "w.duckdb"
    (run_id,) = query(db, "SELECT run_id FROM runs")[0]
    written = body_of_report(built / "exports" / "laporan" / f"laporan_{run_id}.html")
    assert written == report_body(read_report_data(db, run_id))
    assert body_of_report(built / "none.html") is None
    assert written.split("<h2>")[1] in login(app, "prov").get("/").text
