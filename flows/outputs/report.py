"""What a run did, for people who are not engineers: a self-contained HTML report and the
summaries the Prefect artifacts show.

Everything here is read back from the analyst views after the warehouse commit, so the report
shows exactly what the warehouse holds and never a NIK, KK or name (the views carry none).
Charts are inline SVG drawn here: the HTML file opens in a browser with no network access.
No Prefect here: the workspace (`tepat web`) shows this report and must start without it; the
run's task that writes the report and publishes the artifacts is `flows/outputs/run_report.py`.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from flows.outputs.files import REPORT_DIR, temp_path
from flows.warehouse.store import connect, read_frame
from schemas.codes import FILE_STATUS_LABELS, PROGRAM_LABELS, PROGRAMS, STATUS_LABELS, code_label
from transforms.ingest.sources import UNPRINTABLE
from transforms.validate.identity import mask_identity_numbers

LATEST_REPORT = "laporan_terbaru.html"
STATUS_COLOURS = {"accepted": "#2e7d32", "review": "#f9a825", "rejected": "#c62828"}
SERIES_COLOURS = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#558b2f", "#ad1457")
NO_QUOTA = "kuota tidak ditetapkan"
DISPLAY_TIMEZONE = "Asia/Makassar"  # WITA; `Settings.display_timezone` overrides it


@dataclass
class ReportData:
    """Everything the report and the artifacts show, read from the analyst views."""

    run: dict[str, object]
    regencies: pd.DataFrame  # v_regency_summary
    reasons: pd.DataFrame  # v_rejection_reasons
    budget: pd.DataFrame  # v_budget
    history: pd.DataFrame  # v_run_history, most recent runs
    problem_files: pd.DataFrame  # source_files not loaded
    billing: pd.DataFrame = field(default_factory=pd.DataFrame)  # v_billing_summary
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)  # billing findings per kind

    @property
    def programs(self) -> list[str]:
        return sorted(self.budget["program"].unique()) if len(self.budget) else []


def read_report_data(db: Path, run_id: str, history_runs: int = 30) -> ReportData:
    """Read this run's row and the warehouse state behind the report."""
    with connect(db, read_only=True) as con:
        run = read_frame(con, "SELECT * FROM v_run_history WHERE run_id = ?", [run_id])
        if run.empty:
            raise LookupError(f"run {run_id} is not in the warehouse")
        return report_data(con, run.iloc[0].to_dict(), history_runs)


def report_data(
    con: duckdb.DuckDBPyConnection,
    run: dict[str, object],
    history_runs: int = 30,
    regency_code: str | None = None,
) -> ReportData:
    """The warehouse state behind the report, for every regency or only one (the workspace's
    dashboard for a regency officer)."""
    where, params = ("WHERE regency_code = ?", [regency_code]) if regency_code else ("", [])
    return ReportData(
        run=run,
        regencies=read_frame(con, f"SELECT * FROM v_regency_summary {where}", params),
        reasons=read_frame(con, f"SELECT * FROM v_rejection_reasons {where}", params),
        budget=read_frame(con, f"SELECT * FROM v_budget {where}", params),
        history=read_frame(
            con,
            "SELECT * FROM (SELECT * FROM v_run_history ORDER BY started_at DESC LIMIT ?) "
            "ORDER BY started_at",
            [history_runs],
        ),
        problem_files=shown_names(
            read_frame(
                con,
                "SELECT file_name, status, reason_code, reason FROM source_files "
                f"WHERE status <> 'loaded' {'AND regency_code = ?' if regency_code else ''} "
                "ORDER BY status, file_name",
                params,
            )
        ),
        billing=read_frame(con, f"SELECT * FROM v_billing_summary {where} ORDER BY ALL", params),
        findings=read_frame(
            con,
            "SELECT period, program, finding, count(*) AS n_lines, sum(amount) AS amount "
            f"FROM billing_findings {where} GROUP BY ALL ORDER BY ALL",
            params,
        ),
    )


def shown_names(files: pd.DataFrame) -> pd.DataFrame:
    """File names and reasons as a report shows them: NIK-like numbers masked (a regency may
    name a file after a person), control characters made visible."""
    shown = files.copy()
    for column in ("file_name", "reason"):
        text = shown[column].astype("string")
        text = text.map(mask_identity_numbers, na_action="ignore")  # a few names: no hot path
        shown[column] = text.str.replace(UNPRINTABLE, "?", regex=True)
    return shown


# --- numbers in Indonesian ---------------------------------------------------------------------


def number(value: object) -> str:
    """1234567 -> `1.234.567` (Indonesian thousands separator)."""
    if value is None or pd.isna(value):
        return "-"
    return f"{round(float(value)):,}".replace(",", ".")


def rupiah(value: object) -> str:
    return "Rp " + number(value)


def _int(value: object) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


# --- per-regency table (artifact and HTML) -----------------------------------------------------


def top_reasons(reasons: pd.DataFrame, regency_code: str, limit: int = 3) -> str:
    """`NIK bukan 16 digit angka (12), No KK kosong (3)`: the commonest row rejection reasons
    of a regency, by their Indonesian labels."""
    errors = reasons.loc[reasons["regency_code"].eq(regency_code) & reasons["severity"].eq("error")]
    ranked = errors.groupby("code")["n_rows"].sum().sort_values(ascending=False, kind="stable")
    return ", ".join(f"{code_label(code)} ({n})" for code, n in ranked.head(limit).items()) or "-"


def regency_rows(data: ReportData) -> list[dict[str, object]]:
    """One row per regency: files, rows per status, top rejection reasons, verified, quota, cost."""
    summary = data.regencies
    rows = []
    for code, group in summary.groupby("regency_code", sort=True):
        row: dict[str, object] = {
            "Kabupaten/Kota": str(group["regency_name"].iloc[0] or code),
            "Kode": code,
            "Berkas dimuat": f"{int(group['n_files_loaded'].sum())}/{int(group['n_files'].sum())}",
            "Baris diterima": int(group["n_accepted"].sum()),
            "Baris ditinjau": int(group["n_review"].sum()),
            "Baris ditolak": int(group["n_rejected"].sum()),
            "Alasan penolakan teratas": top_reasons(data.reasons, code),
        }
        for program in data.programs:
            one = group.loc[group["program"].eq(program)]
            label = PROGRAM_LABELS.get(program, program)
            row[f"Terverifikasi {label}"] = int(one["n_verified"].sum())
            row[f"Dalam kuota {label}"] = (
                int(one["n_within_quota"].sum()) if _has_quota(data, program) else NO_QUOTA
            )
        row["Biaya premi per bulan"] = rupiah(group["premium_monthly_total"].fillna(0).sum())
        rows.append(row)
    return rows


def local_time(value: object, timezone: str, fmt: str = "%d-%m-%Y %H:%M %Z") -> str:
    """A warehouse time (naive = this machine's local time) in `timezone`, by default with its
    zone written: `27-11-2026 06:00 WITA`."""
    if value is None or pd.isna(value):
        return "-"
    moment = pd.Timestamp(value).to_pydatetime()
    return moment.astimezone(ZoneInfo(timezone)).strftime(fmt)


def _has_quota(data: ReportData, program: str) -> bool:
    """Is a quota set for the program (else everyone verified is within it)?"""
    rows = data.budget.loc[data.budget["program"].eq(program)]
    return bool(rows["quota"].notna().any()) if "quota" in rows else False


def _run_counts_lines(
    run: dict[str, object], timezone: str = DISPLAY_TIMEZONE
) -> list[tuple[str, str]]:
    lines = [
        ("Run", str(run["run_id"])),
        ("Mulai", local_time(run["started_at"], timezone)),
        ("Durasi", f"{float(run['duration_seconds'] or 0):.1f} detik"),
        ("Tanggal acuan", str(run["as_of"])[:10]),
        (
            "Berkas",
            f"{_int(run['n_files_seen'])} ditemukan, {_int(run['n_files_loaded'])} dimuat, "
            f"{_int(run['n_files_rejected'])} ditolak, {_int(run['n_files_duplicate'])} duplikat",
        ),
        (
            "Baris baru",
            f"{_int(run['n_accepted'])} diterima, {_int(run['n_review'])} perlu ditinjau, "
            f"{_int(run['n_rejected'])} ditolak",
        ),
        ("Orang (seluruh gudang data)", number(run["n_persons"])),
    ]
    if not bool(run.get("recomputed", True)):
        lines.insert(1, ("Hasil", "Tidak ada yang baru: hasil run sebelumnya tetap berlaku"))
    return lines


def summary_markdown(data: ReportData) -> str:
    """The run summary artifact (Markdown, Indonesian, no identities)."""
    lines = [f"# Ringkasan run {data.run['run_id']}", ""]
    lines += [f"- **{label}**: {value}" for label, value in _run_counts_lines(data.run)]
    if len(data.budget):
        lines += [
            "",
            "| Program | Terverifikasi | Dalam kuota | Biaya per bulan | Biaya per tahun |",
        ]
        lines.append("|---|---:|---:|---:|---:|")
        for program, group in data.budget.groupby("program", sort=True):
            lines.append(
                f"| {PROGRAM_LABELS.get(program, program)} | {number(group['n_verified'].sum())} "
                f"| {number(group['n_within_quota'].sum())} | {rupiah(group['cost_monthly'].sum())} "
                f"| {rupiah(group['cost_yearly'].sum())} |"
            )
    if len(data.problem_files):
        lines += ["", f"**Berkas tidak dimuat: {len(data.problem_files)}** (lihat laporan HTML)."]
    return "\n".join(lines)


# --- inline SVG charts -------------------------------------------------------------------------


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def bar_chart(
    categories: list[str],
    series: list[tuple[str, list[float], str]],
    stacked: bool = False,
    money: bool = False,
    width: int = 760,
) -> str:
    """Horizontal bars, one group per category; stacked or side by side; with a legend."""
    if not categories or not series:
        return '<p class="empty">Tidak ada data.</p>'
    longest = max((len(c) for c in categories), default=0)
    label_width = max(120, min(380, 6 * longest + 12))  # labels are Indonesian sentences
    fits = (label_width - 12) // 6  # characters a label may show; the rest on hover
    value_width, bar_height = 110, 16
    per_group = bar_height * (1 if stacked else len(series)) + 10
    legend = 24
    height = legend + per_group * len(categories) + 6
    totals = [sum(s[1][i] for s in series) for i in range(len(categories))]
    peak = max(totals if stacked else [v for s in series for v in s[1]] or [0]) or 1
    scale = (width - label_width - value_width) / peak
    fmt = rupiah if money else number
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img">'
    ]
    x = label_width
    for name, _, colour in series:
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="14" class="legend">{_esc(name)}</text>')
        x += 24 + 7 * len(name)
    for i, category in enumerate(categories):
        top = legend + i * per_group
        shown = category if len(category) <= fits else category[: fits - 1].rstrip() + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{top + bar_height - 3}" text-anchor="end">'
            f"<title>{_esc(category)}</title>{_esc(shown)}</text>"
        )
        offset = label_width
        for j, (name, values, colour) in enumerate(series):
            length = values[i] * scale
            y = top if stacked else top + j * bar_height
            x0 = offset if stacked else label_width
            parts.append(
                f'<rect x="{x0:.1f}" y="{y}" width="{length:.1f}" height="{bar_height - 2}" '
                f'fill="{colour}"><title>{_esc(category)} - {_esc(name)}: {fmt(values[i])}'
                "</title></rect>"
            )
            if stacked:
                offset += length
            else:
                parts.append(
                    f'<text x="{x0 + length + 4:.1f}" y="{y + bar_height - 4}" class="value">'
                    f"{fmt(values[i])}</text>"
                )
        if stacked:
            parts.append(
                f'<text x="{offset + 4:.1f}" y="{top + bar_height - 4}" class="value">'
                f"{fmt(totals[i])}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    labels: list[str], series: list[tuple[str, list[float], str]], width: int = 760
) -> str:
    """Lines over runs (x: run start, y: counts), with a legend and point values on hover."""
    if not labels or not series:
        return '<p class="empty">Tidak ada data.</p>'
    height, left, right, top, bottom = 260, 70, 40, 28, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((v for _, values, _ in series for v in values), default=0) or 1
    step = plot_w / max(len(labels) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + (i * step if len(labels) > 1 else plot_w / 2), top + plot_h * (1 - v / peak)

    parts = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#888"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#888"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{number(peak)}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    x = left
    for name, _, colour in series:
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="16" class="legend">{_esc(name)}</text>')
        x += 24 + 7 * len(name)
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            px, _ = xy(i, 0)
            anchor = "end" if i == len(labels) - 1 and len(labels) > 1 else "middle"
            parts.append(
                f'<text x="{px:.1f}" y="{top + plot_h + 16}" text-anchor="{anchor}" '
                f'class="tick">{_esc(label)}</text>'
            )
    for name, values, colour in series:
        points = " ".join(
            f"{px:.1f},{py:.1f}" for px, py in (xy(i, v) for i, v in enumerate(values))
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        for i, v in enumerate(values):
            px, py = xy(i, v)
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}">'
                f"<title>{_esc(labels[i])} - {_esc(name)}: {number(v)}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: list[dict[str, object]]) -> str:
    if not rows:
        return '<p class="empty">Tidak ada data.</p>'
    head = "".join(f"<th>{_esc(c)}</th>" for c in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{_esc(v)}</td>" for v in row.values()) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# --- the HTML report ---------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 980px; color: #222;
       padding: 0 8px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; width: 100%;
        max-width: 980px; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
svg.chart { max-width: 100%; height: auto; }
th { background: #f3f3f3; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; }
dt { font-weight: bold; } .chart text { font-size: 11px; fill: #222; }
.chart .value, .chart .tick { fill: #555; } .note { color: #555; font-size: 0.85em; }
.empty { color: #777; font-style: italic; }
"""


def _status_chart(data: ReportData) -> str:
    by_regency = data.regencies.groupby(["regency_code", "regency_name"], dropna=False)[
        ["n_accepted", "n_review", "n_rejected"]
    ].sum()
    labels = [str(name or code) for code, name in by_regency.index]
    series = [
        (STATUS_LABELS[s], by_regency[f"n_{s}"].astype(float).tolist(), STATUS_COLOURS[s])
        for s in ("accepted", "review", "rejected")
    ]
    return bar_chart(labels, series, stacked=True)


def _reasons_chart(data: ReportData, severity: str, limit: int = 12) -> str:
    chosen = data.reasons.loc[data.reasons["severity"].eq(severity)]
    ranked = chosen.groupby("code")["n_rows"].sum().sort_values(ascending=False, kind="stable")
    ranked = ranked.head(limit)
    colour = STATUS_COLOURS["rejected" if severity == "error" else "review"]
    return bar_chart(
        [code_label(str(c)) for c in ranked.index],
        [("Baris", ranked.astype(float).tolist(), colour)],
    )


def _quota_chart(data: ReportData, program: str) -> str:
    rows = data.budget.loc[data.budget["program"].eq(program)]
    series = [("Terverifikasi", rows["n_verified"].astype(float).tolist(), SERIES_COLOURS[0])]
    names = rows["regency_name"].astype(str).tolist()
    if not _has_quota(data, program):  # one bar: "within quota" would repeat it
        note = f'<p class="note">{NO_QUOTA.capitalize()}: semua yang terverifikasi diusulkan.</p>'
        return note + bar_chart(names, series)
    series += [
        ("Dalam kuota", rows["n_within_quota"].astype(float).tolist(), STATUS_COLOURS["accepted"]),
        ("Kuota", rows["quota"].fillna(0).astype(float).tolist(), "#9e9e9e"),
    ]
    return bar_chart(names, series)


def _cost_chart(data: ReportData) -> str:
    pivot = data.budget.pivot_table(
        index=["regency_code", "regency_name"],
        columns="program",
        values="cost_monthly",
        aggfunc="sum",
        sort=True,
    ).fillna(0)
    series = [
        (PROGRAM_LABELS.get(p, p), pivot[p].astype(float).tolist(), SERIES_COLOURS[i])
        for i, p in enumerate(pivot.columns)
    ]
    return bar_chart([str(name) for _, name in pivot.index], series, stacked=True, money=True)


def _trend_chart(data: ReportData, timezone: str = DISPLAY_TIMEZONE) -> str:
    history = data.history
    labels = [local_time(t, timezone, "%d/%m %H:%M") for t in history["started_at"]]
    series = [("Orang", history["n_persons"].fillna(0).astype(float).tolist(), SERIES_COLOURS[0])]
    for i, program in enumerate(PROGRAMS):
        column = f"n_verified_{program}"
        if column in history:
            series.append(
                (
                    f"Terverifikasi {PROGRAM_LABELS[program]}",
                    history[column].fillna(0).astype(float).tolist(),
                    SERIES_COLOURS[i + 1],
                )
            )
    return line_chart(labels, series)


def render_html(
    data: ReportData, generated_at: datetime | None = None, timezone: str = DISPLAY_TIMEZONE
) -> str:
    """The whole report as one HTML page: inline CSS and SVG, nothing fetched from anywhere;
    labels in Bahasa Indonesia, times in `timezone` (WITA by default) with the zone written."""
    run = data.run
    generated = local_time(generated_at or datetime.now(), timezone)
    return (
        '<!DOCTYPE html>\n<html lang="id">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Laporan run tepat {_esc(run['run_id'])}</title>\n<style>{STYLE}</style>\n"
        "</head>\n<body>\n"
        f"<h1>Laporan verifikasi calon penerima subsidi iuran BPJS &mdash; run "
        f"{_esc(run['run_id'])}</h1>\n"
        + BODY_START
        + report_body(data, timezone)
        + BODY_END
        + f'\n<p class="note">Dibuat oleh tepat pada {generated}. Laporan ini tidak memuat NIK, '
        "nomor KK, nama, atau alamat.</p>\n</body>\n</html>\n"
    )


BODY_START, BODY_END = "<!-- isi laporan -->\n", "\n<!-- akhir isi laporan -->"


def body_of_report(path: Path) -> str | None:
    """The facts, charts and tables of a report file written by `render_html` (None if absent)."""
    try:
        page = path.read_text(encoding="utf-8")
    except OSError:
        return None
    start, end = page.find(BODY_START), page.rfind(BODY_END)
    return page[start + len(BODY_START) : end] if 0 <= start < end else None


def report_body(data: ReportData, timezone: str = DISPLAY_TIMEZONE) -> str:
    """The report's facts, charts and tables (HTML, no identities), also the workspace's dashboard."""
    run = data.run
    facts = "".join(
        f"<dt>{_esc(label)}</dt><dd>{_esc(value)}</dd>"
        for label, value in _run_counts_lines(run, timezone)
    )
    budget_rows = [
        {
            "Program": PROGRAM_LABELS.get(program, program),
            "Premi per orang per bulan": rupiah(group["premium_monthly"].iloc[0]),
            "Terverifikasi": number(group["n_verified"].sum()),
            "Dalam kuota": number(group["n_within_quota"].sum()),
            "Biaya per bulan": rupiah(group["cost_monthly"].sum()),
            "Biaya per tahun": rupiah(group["cost_yearly"].sum()),
        }
        for program, group in data.budget.groupby("program", sort=True)
    ]
    sections = [
        "<h2>Baris per status per kabupaten/kota</h2>",
        '<p class="note">Semua baris di gudang data (termasuk run sebelumnya).</p>',
        _status_chart(data),
        "<h2>Alasan penolakan baris</h2>",
        _reasons_chart(data, "error"),
        "<h2>Alasan baris ditahan untuk ditinjau</h2>",
        _reasons_chart(data, "review"),
    ]
    for program in data.programs:
        sections += [
            f"<h2>Terverifikasi dan kuota: {_esc(PROGRAM_LABELS.get(program, program))}</h2>",
            _quota_chart(data, program),
        ]
    sections += [
        "<h2>Biaya premi per bulan</h2>",
        _cost_chart(data),
        _table(budget_rows),
        *_billing_section(data),
        f"<h2>Tren antar run (waktu {_esc(local_time(datetime.now(), timezone, '%Z'))})</h2>",
        _trend_chart(data, timezone),
        "<h2>Per kabupaten/kota</h2>",
        _table(regency_rows(data)),
        "<h2>Berkas yang tidak dimuat</h2>",
        _table(
            [
                {"Berkas": r.file_name, "Status": FILE_STATUS_LABELS.get(r.status, r.status),
                 "Masalah": code_label(r.reason_code) if r.reason_code else "",
                 "Alasan": r.reason or ""}
                for r in data.problem_files.itertuples()
            ]
        ),
    ]  # fmt: skip
    return f"<dl>{facts}</dl>\n" + "\n".join(sections)


def _billing_section(data: ReportData) -> list[str]:
    """Tagihan BPJS: per month and program, lines billed, lines with findings and their Rupiah;
    then the findings by kind."""
    if data.billing.empty:
        return []
    from flows.warehouse.billing import FINDING_LABELS

    per_month = data.billing.groupby(["period", "program"], sort=True).sum(numeric_only=True)
    rows = [
        {
            "Bulan": period,
            "Program": PROGRAM_LABELS.get(program, program),
            "Baris ditagih": number(r["n_lines"]),
            "Iuran ditagih (Rp)": rupiah(r["amount_billed"]),
            "Baris dengan temuan": number(r["n_lines_with_findings"]),
            "Iuran dengan temuan (Rp)": rupiah(r["amount_with_findings"]),
        }
        for (period, program), r in per_month.iterrows()
    ]
    kinds = [
        {
            "Bulan": r.period,
            "Program": PROGRAM_LABELS.get(r.program, r.program),
            "Temuan": f"{FINDING_LABELS.get(r.finding, r.finding)} ({r.finding})",
            "Baris": number(r.n_lines),
            "Iuran": rupiah(r.amount),
        }
        for r in data.findings.itertuples()
    ]
    return [
        "<h2>Tagihan iuran BPJS</h2>",
        '<p class="note">Setiap baris tagihan diperiksa terhadap daftar terverifikasi dan hasil '
        "pendaftaran BPJS.</p>",
        _table(rows),
        _table(kinds),
    ]


def write_html_report(export_dir: Path, run_id: str, page: str) -> Path:
    """`<export-dir>/laporan/laporan_<run_id>.html` and the stable `laporan_terbaru.html`."""
    folder = export_dir / REPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"laporan_{run_id}.html"
    for target in (path, folder / LATEST_REPORT):
        temp = temp_path(target)
        temp.write_text(page, encoding="utf-8")
        os.replace(temp, target)
    return path
