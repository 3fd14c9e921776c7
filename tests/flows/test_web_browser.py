"""The workspace in a real browser: Debian's Chromium driven by Playwright against uvicorn.

Logs in as each role, reviews a row, decides a pair, uploads a file and reads its verdict,
downloads a workbook, and meets 403/404 on forbidden paths. A screenshot of every page is kept
in tests/flows/output/web/ for a person to look at (git-ignored).
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from tests.flows.web_support import PASSWORD, build_warehouse, copy_workspace

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
SHOTS = Path(__file__).resolve().parent / "output" / "web"
UPLOAD = (
    "NIK;NO KK;NAMA;TGL LAHIR;JENIS KELAMIN;PEKERJAAN\n"
    "6472016001950002;6472010101200007;Lina Marlina;20-01-1995;P;Petani\n"
    "12345;6472010101200007;Tono;01-01-1990;L;Petani\n"
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(prefect_harness, tmp_path_factory):
    """uvicorn on a free local port, serving a private copy of a built workspace."""
    import uvicorn

    from flows.web.app import create_app

    root = tmp_path_factory.mktemp("browser")
    build_warehouse(root / "built")
    settings = copy_workspace(root / "built", root / "ws")
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", settings, root
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _login(browser, base: str, username: str, **context):
    page = browser.new_context(accept_downloads=True, **context).new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_each_role_in_the_browser(server, browser):
    base, settings, root = server
    login_page = browser.new_page()
    login_page.goto(f"{base}/login")
    _shot(login_page, "login")

    # the province: dashboard, review a row, decide a pair, downloads
    prov = _login(browser, base, "prov")
    assert "Ringkasan gudang data" in prov.content()
    _shot(prov, "prov_ringkasan")
    prov.goto(f"{base}/tinjauan/baris")
    _shot(prov, "prov_tinjauan_baris")
    card = prov.locator("article", has_text="Rina Wati")
    assert "menurut NIK: 01-07-1990" in card.inner_text()
    card.locator("input[name=alasan]").first.fill("dicek dengan KK")
    card.locator("button[value=accept]").click()
    result = prov.locator("article.result")
    result.wait_for()
    assert "tercatat" in result.inner_text()
    _shot(prov, "prov_tinjauan_baris_diputus")
    prov.goto(f"{base}/tinjauan/pasangan")
    _shot(prov, "prov_tinjauan_pasangan")
    pair = prov.locator("article", has_text="Siti Amina")
    pair.locator("input[name=alasan]").fill("orang yang sama, salah ketik NIK")
    pair.locator("button[value=merge]").click()
    prov.locator("article.result").wait_for()
    assert "tercatat" in prov.locator("article.result").inner_text()
    _shot(prov, "prov_tinjauan_pasangan_diputus")
    prov.goto(f"{base}/unduhan")
    _shot(prov, "prov_unduhan")
    assert prov.locator("a", has_text="bpjs/").count() > 0
    forbidden = prov.goto(f"{base}/unggah")
    assert forbidden.status == 403
    _shot(prov, "prov_unggah_403")

    # a regency on a phone: its rows, an upload with the verdict, its own download only
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    smd = _login(browser, base, "smd", **phone)
    _shot(smd, "smd_ringkasan_ponsel")
    smd.goto(f"{base}/tinjauan/baris")
    assert "Balikpapan" not in smd.content()
    _shot(smd, "smd_tinjauan_baris_ponsel")
    smd.goto(f"{base}/unggah")
    upload = root / "usulan kesehatan susulan.csv"
    upload.write_text(UPLOAD, encoding="utf-8")
    smd.set_input_files("input[name=berkas]", str(upload))
    smd.click("main button[type=submit]")
    verdict = smd.locator("#hasil section.verdict")
    verdict.wait_for()
    assert "Berkas akan dimuat" in verdict.inner_text() and "NIK_FORMAT" in verdict.inner_text()
    assert (settings.raw_dir / "Samarinda" / "usulan kesehatan susulan.csv").exists()
    _shot(smd, "smd_unggah_hasil_ponsel")
    smd.goto(f"{base}/unduhan")
    _shot(smd, "smd_unduhan_ponsel")
    link = smd.locator("a", has_text="umpan_balik/6472_samarinda/").first
    with smd.expect_download() as download:
        link.click()
    saved = root / "unduhan.xlsx"
    download.value.save_as(saved)
    assert saved.read_bytes()[:2] == b"PK"
    for path in ("/unduhan/berkas/../w.duckdb", "/tinjauan/pasangan/../../unggah/../x"):
        assert smd.goto(f"{base}{path}").status in (403, 404), path
    bpn_file = next((settings.export_dir / "umpan_balik" / "6471_balikpapan").glob("*.xlsx"))
    other = smd.goto(f"{base}/unduhan/berkas/{bpn_file.relative_to(settings.export_dir)}")
    assert other.status == 404
    _shot(smd, "smd_berkas_lain_404")

    # an analyst: aggregates only; review pages are refused
    ana = _login(browser, base, "ana")
    _shot(ana, "analis_ringkasan")
    assert ana.goto(f"{base}/tinjauan/baris").status == 403
    _shot(ana, "analis_tinjauan_403")
    ana.goto(f"{base}/unduhan")
    _shot(ana, "analis_unduhan")
    ana.click("button:has-text('Keluar')")
    ana.wait_for_url(f"{base}/login")
