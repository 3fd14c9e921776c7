"""The HTML report as a regency officer sees it: Indonesian labels, WITA times, quota said, and
in a real browser (Debian's Chromium, headless) at 1024 px no table wider than the window."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from flows.outputs.report import NO_QUOTA, ReportData, render_html
from schemas.codes import CODE_DESCRIPTIONS, FILE_REASON_LABELS

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = Path(__file__).parent / "output"  # kept for a person to look at (git-ignored)
REGENCIES = {"6401": "Kab. Paser", "6402": "Kab. Kutai Barat", "6403": "Kab. Kutai Kartanegara",
             "6404": "Kab. Kutai Timur", "6405": "Kab. Berau", "6409": "Kab. Penajam Paser Utara",
             "6411": "Kab. Mahakam Ulu", "6471": "Kota Balikpapan", "6472": "Kota Samarinda",
             "6474": "Kota Bontang"}  # fmt: skip
CODES = ["NIK_FORMAT", "NIK_DOB_MISMATCH", "KK_REGION", "DOB_INVALID", "NIK_CONFLICT"]


def report_data() -> ReportData:
    """A province's worth of report data: ten regencies, two programs (one without a quota),
    rejection and review reasons, runs, and a file not loaded with a long name."""
    run = {
        "run_id": "20261127T060000-abc123",
        "started_at": pd.Timestamp("2026-11-26 22:00", tz="UTC"),  # 06:00 WITA
        "duration_seconds": 42.0, "as_of": date(2026, 11, 27), "n_files_seen": 22,
        "n_files_loaded": 21, "n_files_rejected": 1, "n_files_duplicate": 0,
        "n_accepted": 860, "n_review": 39, "n_rejected": 101, "n_persons": 850,
        "recomputed": True, "n_verified_kesehatan": 400, "n_verified_ketenagakerjaan": 300,
    }  # fmt: skip
    regencies = pd.DataFrame(
        [
            {"regency_code": code, "regency_name": name, "program": program, "n_files": 1,
             "n_files_loaded": 1, "n_accepted": 40 + i, "n_review": 2, "n_rejected": 5,
             "n_verified": 30 + i, "n_within_quota": 20, "premium_monthly_total": 42_000 * 20}
            for i, (code, name) in enumerate(REGENCIES.items())
            for program in ("kesehatan", "ketenagakerjaan")
        ]
    )  # fmt: skip
    reasons = pd.DataFrame(
        [
            {"regency_code": code, "code": c, "severity": "review" if "MISMATCH" in c or
             c in ("KK_REGION", "NIK_CONFLICT") else "error", "n_rows": 3}
            for code in REGENCIES for c in CODES
        ]
    )  # fmt: skip
    budget = pd.DataFrame(
        [
            {"program": program, "regency_code": code, "regency_name": name,
             "premium_monthly": premium, "quota": quota, "n_verified": 30, "n_within_quota": 20,
             "cost_monthly": premium * 20, "cost_yearly": premium * 240}
            for code, name in REGENCIES.items()
            for program, premium, quota in (("kesehatan", 42_000, 20.0),
                                            ("ketenagakerjaan", 16_800, None))
        ]
    )  # fmt: skip
    history = pd.DataFrame([run, {**run, "started_at": pd.Timestamp("2026-11-27 22:00", tz="UTC")}])
    problem_files = pd.DataFrame(
        [{"file_name": "kutai_kartanegara/usulan_pbi_pemda_tahap_2_kecamatan_tenggarong_"
          "seberang_revisi_final_FINAL_2026.xlsx", "status": "rejected",
          "reason_code": "HEADER_NOT_FOUND", "reason": "Baris judul kolom (NIK, NAMA, ...) "
          "tidak ditemukan pada 20 baris pertama lembar mana pun."}]
    )  # fmt: skip
    return ReportData(run, regencies, reasons, budget, history, problem_files)


def test_labels_not_bare_codes_quota_said_and_times_in_wita():
    page = render_html(report_data(), generated_at=pd.Timestamp("2026-11-26 22:05", tz="UTC"))
    text = re.sub(r"<[^>]+>", " ", page)
    for code in [*CODES, "HEADER_NOT_FOUND"]:
        assert code not in text, code  # the label is shown, not the code
    assert CODE_DESCRIPTIONS["NIK_DOB_MISMATCH"] in text
    assert FILE_REASON_LABELS["HEADER_NOT_FOUND"] in text
    assert NO_QUOTA in text.lower()  # ketenagakerjaan has no quota
    assert "27-11-2026 06:00 WITA" in text and "27-11-2026 06:05 WITA" in text


def test_a_configured_time_zone_is_used_and_written():
    page = render_html(report_data(), timezone="Asia/Jakarta")
    assert "27-11-2026 05:00 WIB" in page


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                    "(apt-get install chromium); .ci/run installs it")  # fmt: skip
def test_in_a_real_browser_at_1024_px_no_table_is_wider_than_the_window(tmp_path):
    page = render_html(report_data())
    measure = (
        "<script>document.body.setAttribute('data-widths', JSON.stringify({"
        "page: document.documentElement.scrollWidth,"
        "tables: [...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().right),"
        "charts: [...document.querySelectorAll('svg')].map(t => t.getBoundingClientRect().right)"
        "}));</script>"
    )
    html = tmp_path / "laporan.html"
    html.write_text(page.replace("</body>", measure + "</body>"), encoding="utf-8")
    OUTPUT.mkdir(exist_ok=True)
    screenshot = OUTPUT / "laporan_1024.png"
    screenshot.unlink(missing_ok=True)
    flags = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1024,4000",
    ]  # fmt: skip
    dom = subprocess.run(
        [*flags, "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=180
    )
    found = re.search(r"data-widths=\"([^\"]+)\"", dom.stdout)
    assert found, dom.stderr[-2000:]
    widths = json.loads(found.group(1).replace("&quot;", '"'))
    assert widths["tables"] and widths["charts"]
    assert widths["page"] <= 1024, widths  # no horizontal scrolling
    assert max(widths["tables"] + widths["charts"]) <= 1024, widths
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
    subprocess.run(
        [*flags, f"--screenshot={screenshot}", (tmp_path / "laporan.html").as_uri()],
        capture_output=True, timeout=180,
    )  # fmt: skip
    assert screenshot.exists() and screenshot.stat().st_size > 10_000
    print(f"screenshot of the report at 1024 px: {screenshot}")
