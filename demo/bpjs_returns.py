"""Synthetic BPJS returns for the demo sample: registration results and a monthly bill, with truth.

Written by `generate_demo_data(..., bpjs_dir=...)` after the submissions: results for persons
the province would send (worded differently per BPJS branch), a month's bill for registered
persons with planted problems, and under `<bpjs_dir>/_truth/`:

- `results.csv`: `file_name`, `sheet`, `row_number`, `nik`, `true_person` ("" for a NIK of
  nobody), `expected_outcome`, `expected_reason_code` ("" when registered);
- `bill.csv`: `file_name`, `sheet`, `row_number`, `nik`, `true_person`, `amount`,
  `expected_finding` (BILLED_TWICE, REJECTED_BY_BPJS, NOT_ELIGIBLE, NOT_VERIFIED or "").

Billed and answered persons are "clean" (every row accepted, not covered, not a wage
worker), so under the default rules without quotas they are verified: every finding is planted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

TRUTH_DIR = "_truth"
PERIOD = ("OKTOBER", "2026", "2026-10")
PREMIUM = 42_000
# (outcome, reason_code) -> wordings per branch style: (status, remark)
WORDING: dict[tuple[str, str], list[list[tuple[str, str]]]] = {
    ("registered", ""): [
        [("BERHASIL", ""), ("TERDAFTAR", "Peserta aktif mulai 1 bulan berikutnya")],
        [("SUKSES", "Peserta berhasil didaftarkan"), ("OK", "")],
        [("Berhasil", "Aktif"), ("BERHASIL", "Data telah diproses")],
    ],
    ("rejected", "DUKCAPIL_MISMATCH"): [
        [
            ("GAGAL", "NIK TIDAK PADAN DENGAN DATA DUKCAPIL"),
            ("TIDAK BERHASIL", "NIK TIDAK DITEMUKAN"),
        ],
        [("GAGAL", "Data tidak padan Dukcapil"), ("Tidak Berhasil", "NIK tdk padan dgn Dukcapil")],
        [("TIDAK BERHASIL", "NIK belum padan"), ("GAGAL", "NIK tidak valid")],
    ],
    ("already_covered", "ALREADY_COVERED"): [
        [
            ("GAGAL", "SUDAH TERDAFTAR SEBAGAI PESERTA PBI APBN"),
            ("TIDAK BERHASIL", "SUDAH AKTIF DI SEGMEN PPU"),
        ],
        [
            ("DITOLAK", "Peserta sudah terdaftar di segmen PBPU Mandiri"),
            ("Gagal", "Sdh terdaftar PBI APBN"),
        ],
        [
            ("TIDAK BERHASIL", "Terdaftar sebagai peserta PBI APBD"),
            ("GAGAL", "Masih aktif PPU Badan Usaha"),
        ],
    ],
    ("rejected", "DECEASED"): [
        [("GAGAL", "PESERTA MENINGGAL DUNIA"), ("TIDAK BERHASIL", "Meninggal")],
        [("Gagal", "Wafat"), ("DITOLAK", "Peserta telah meninggal dunia")],
        [("GAGAL", "Status meninggal di Dukcapil"), ("TIDAK BERHASIL", "MENINGGAL DUNIA")],
    ],
    ("rejected", "DUPLICATE"): [
        [("GAGAL", "DATA GANDA"), ("TIDAK BERHASIL", "NIK GANDA")],
        [("Gagal", "Double data"), ("DITOLAK", "Duplikasi peserta")],
        [("GAGAL", "NIK ganda dalam satu pengajuan"), ("TIDAK BERHASIL", "Data dobel")],
    ],
    ("rejected", "DATA_MISMATCH"): [
        [("GAGAL", "NAMA TIDAK SESUAI"), ("TIDAK BERHASIL", "TANGGAL LAHIR TIDAK SESUAI")],
        [("Gagal", "Nama tdk sesuai KTP"), ("DITOLAK", "Data tidak sesuai KK")],
        [("GAGAL", "Tgl lahir berbeda"), ("TIDAK BERHASIL", "Jenis kelamin tidak sesuai")],
    ],
    ("rejected", "OTHER"): [
        [("GAGAL", "Tidak dapat diproses, hubungi kantor cabang"), ("DITOLAK", "")],
        [("TIDAK BERHASIL", ""), ("Gagal", "Error sistem e-Dabu")],
        [("GAGAL", "Batal"), ("TIDAK BERHASIL", "Ditolak verifikator")],
    ],
}
SHARES = {("registered", ""): 0.70, ("rejected", "DUKCAPIL_MISMATCH"): 0.08,
          ("already_covered", "ALREADY_COVERED"): 0.07, ("rejected", "DECEASED"): 0.03,
          ("rejected", "DUPLICATE"): 0.04, ("rejected", "DATA_MISMATCH"): 0.04,
          ("rejected", "OTHER"): 0.04}  # fmt: skip
# Per branch: file name, title, headers (NIK, name, card, status, remark; None = not written)
BRANCHES = [
    ("hasil_pendaftaran_pbpu_pemda_cabang_samarinda_oktober_2026.xlsx",
     "HASIL PENDAFTARAN PESERTA PBPU PEMDA - BPJS KESEHATAN KC SAMARINDA",
     ("NIK", "NAMA PESERTA", "NO KARTU", "STATUS", "KETERANGAN")),
    ("respon_pendaftaran_jkn_pemda_kc_balikpapan.csv",
     "", ("NO KTP", "NAMA", "NOKA", "HASIL", "ALASAN")),
    ("hasil_verifikasi_pbpu_pemda_kc_tenggarong_2026-10.xlsx",
     "REKAP HASIL VERIFIKASI PENDAFTARAN PBPU PEMDA", ("NIK", "NAMA", "NOMOR KARTU", None, "KETERANGAN")),
]  # fmt: skip


def _clean_persons(rows: pd.DataFrame, files: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """Persons the default rules verify for Kesehatan for sure: every row accepted, a kesehatan
    row, no NIK damage, not covered, not a wage worker."""
    program = rows["file_name"].map(files.set_index("file_name")["program"])
    per = (
        rows.assign(program=program)
        .groupby("true_person")
        .agg(
            all_accepted=("expected_status", lambda s: bool((s == "accepted").all())),
            kes=("program", lambda s: bool((s == "kesehatan").any())),
            nik_ok=("nik_read", lambda s: bool(s.nunique() == 1 and s.iloc[0] != "")),
        )
    )
    ok = per.loc[per["all_accepted"] & per["kes"] & per["nik_ok"]].index
    chosen = persons.loc[
        persons["true_person"].isin(ok)
        & ~persons["enrolled_kesehatan_covered"].astype(str).eq("True")
        & ~persons["occupation_group"].eq("wage_or_state")
    ]
    return chosen.reset_index(drop=True)


def _write_table(path: Path, title: str, headers: list[str], body: list[list[object]]) -> int:
    """An xlsx (title rows and a merged title) or csv (`;`); returns the first data row number."""
    if path.suffix == ".csv":
        frame = pd.DataFrame(body, columns=headers)
        frame.to_csv(path, sep=";", index=False, lineterminator="\n")
        return 2
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    sheet = workbook.add_worksheet("Hasil" if "HASIL" in title else "Tagihan")
    first = 1
    if title:
        sheet.merge_range(0, 0, 0, len(headers) - 1, title)
        first = 3
    for c, h in enumerate(headers):
        sheet.write_string(first - 1, c, h)
    for r, values in enumerate(body):
        for c, v in enumerate(values):
            if isinstance(v, str):
                sheet.write_string(first + r, c, v)
            elif v is not None:
                sheet.write_number(first + r, c, v)
    workbook.close()
    return first + 1


def write_bpjs_returns(
    rng: np.random.Generator, bpjs_dir: Path, rows: pd.DataFrame, files: pd.DataFrame,
    persons: pd.DataFrame, outsiders: pd.DataFrame,
) -> list[str]:  # fmt: skip
    """Results files (one per branch) and one bill, with their truth; returns the file paths."""
    bpjs_dir.mkdir(parents=True, exist_ok=True)
    truth_dir = bpjs_dir / TRUTH_DIR
    for earlier in ("results.csv", "bill.csv"):  # what an earlier call wrote, and only that
        if (truth_dir / earlier).exists():
            names = pd.read_csv(truth_dir / earlier, dtype=str)["file_name"].unique()
            for name in names:
                (bpjs_dir / name).unlink(missing_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    clean = _clean_persons(rows, files, persons)
    n = len(clean)
    kinds = list(SHARES)
    drawn = rng.choice(len(kinds), size=n, p=np.array(list(SHARES.values())))
    branch = rng.integers(0, len(BRANCHES), size=n)
    result_truth, written = [], []
    for b, (name, title, headers) in enumerate(BRANCHES):
        idx = np.flatnonzero(branch == b)
        body, truth = [], []
        for i in idx.tolist():
            outcome, reason = kinds[drawn[i]]
            status, remark = WORDING[(outcome, reason)][b][int(rng.integers(0, 2))]
            card = f"000{rng.integers(1e9, 9e9)}" if outcome == "registered" else ""
            cells = [clean.at[i, "nik"], clean.at[i, "nama"].upper(), card, status, remark]
            body.append([c for c, h in zip(cells, headers, strict=True) if h is not None])
            truth.append((clean.at[i, "nik"], clean.at[i, "true_person"], outcome, reason))
        for j in range(min(3, len(outsiders))):  # NIKs of nobody tepat knows: kept, person NULL
            status, remark = WORDING[("rejected", "DUKCAPIL_MISMATCH")][b][0]
            cells = [
                outsiders.at[j + 3 * b, "nik"],
                outsiders.at[j + 3 * b, "nama"],
                "",
                status,
                remark,
            ]
            body.append([c for c, h in zip(cells, headers, strict=True) if h is not None])
            truth.append((outsiders.at[j + 3 * b, "nik"], "", "rejected", "DUKCAPIL_MISMATCH"))
        first = _write_table(bpjs_dir / name, title, [h for h in headers if h], body)
        written.append(str(bpjs_dir / name))
        for k, (nik, person, outcome, reason) in enumerate(truth):
            result_truth.append({"file_name": name, "sheet": "" if name.endswith(".csv") else "Hasil",
                                 "row_number": first + k, "nik": nik, "true_person": person,
                                 "expected_outcome": outcome, "expected_reason_code": reason})  # fmt: skip
    pd.DataFrame(result_truth).to_csv(truth_dir / "results.csv", index=False, lineterminator="\n")

    # The bill: registered persons (clean), persons BPJS rejected or found covered, persons
    # tepat never verified, and some billed twice.
    outcome = np.array([kinds[d][0] for d in drawn], dtype=object)
    billed = np.flatnonzero(outcome == "registered").tolist()
    rejected = np.flatnonzero(outcome == "rejected")
    covered = np.flatnonzero(outcome == "already_covered")
    lines = [(i, "") for i in billed]
    lines += [
        (int(i), "REJECTED_BY_BPJS")
        for i in rng.choice(rejected, size=len(rejected) // 3, replace=False)
    ]
    lines += [
        (int(i), "NOT_ELIGIBLE") for i in rng.choice(covered, size=len(covered) // 3, replace=False)
    ]
    twice = rng.choice(billed, size=max(1, len(billed) // 40), replace=False) if billed else []
    body, truth = [], []
    for i, finding in lines:
        body.append((clean.at[i, "nik"], clean.at[i, "nama"], clean.at[i, "true_person"], finding))
    for i in twice:
        body.append(
            (
                clean.at[int(i), "nik"],
                clean.at[int(i), "nama"],
                clean.at[int(i), "true_person"],
                "BILLED_TWICE",
            )
        )
    for j in range(9, min(9 + max(2, len(billed) // 30), len(outsiders))):
        body.append((outsiders.at[j, "nik"], outsiders.at[j, "nama"], "", "NOT_VERIFIED"))
    name = f"tagihan_iuran_pbpu_pemda_{PERIOD[0].lower()}_{PERIOD[1]}.xlsx"
    title = (
        f"REKAP TAGIHAN IURAN PBPU PEMDA PROVINSI KALIMANTAN TIMUR BULAN {PERIOD[0]} {PERIOD[1]}"
    )
    rows_out = [[str(k + 1), nik, f"0001{k:09d}", nama.upper(), "III", PREMIUM]
                for k, (nik, nama, _, _) in enumerate(body)]  # fmt: skip
    first = _write_table(bpjs_dir / name, title, ["NO", "NIK", "NO KARTU", "NAMA PESERTA", "KELAS",
                                                  "IURAN (Rp)"], rows_out)  # fmt: skip
    written.append(str(bpjs_dir / name))
    pd.DataFrame(
        [
            {
                "file_name": name,
                "sheet": "Tagihan",
                "row_number": first + k,
                "nik": nik,
                "true_person": person,
                "amount": PREMIUM,
                "expected_finding": finding,
            }
            for k, (nik, _, person, finding) in enumerate(body)
        ]  # fmt: skip
    ).to_csv(truth_dir / "bill.csv", index=False, lineterminator="\n")
    return written
