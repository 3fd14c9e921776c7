"""Synthetic regency submissions with an exact ground truth (`tepat demo-data`).

`generate_demo_data` writes, under `out_dir`, one folder per Kaltim regency holding its
submission files (xlsx written with xlsxwriter, and in "mixed" mode some csv and a few small
old .xls and LibreOffice .ods), laid out the way regency offices send them (title rows,
varying header spellings, blank rows, `JUMLAH` totals and signature blocks, identity numbers
damaged by Excel, dates in many formats, duplicates, invalid rows, families whose KK, address
and desil are merged down over their members, one sheet per kecamatan or a `KEC. ...` section
title and a subtotal around each kecamatan's rows instead of a kecamatan column), and under
`out_dir/_truth/` what the pipeline should
find (the pipeline skips folders starting with `_`):

- `rows.csv`: one line per data row written: `file_name` (relative to `out_dir`,
  `/`-separated), `sheet` ("" for csv), `row_number` (1-based as a person sees it; csv:
  line number), `true_person`, `expected_status` (accepted | review | rejected),
  `expected_codes` (error and review codes, sorted, `;`-joined), `warning_codes` (same),
  `hard_case` (nik_typo | nik_swap | nik_missing_dup | twin | father_son |
  same_name_other_regency | ""), `nik_true`, `nik_read` (the 16 digits the pipeline
  should read from the cell after cleaning, "" if none: differs from `nik_true` for typos
  and Excel damage), `dup_kind` (why the row is an extra submission of its person:
  same_file | other_program | other_regency | revised | ""), `remark_kind` (what the
  KETERANGAN cell says: deceased | moved | duplicate | covered | neutral | ""),
  `name_variant` (how a typo-NIK duplicate writes the name: abbreviation | bin_binti | nur |
  old_spelling | "").
- `files.csv`: `file_name`, `regency_code`, `program`, `n_rows`, `n_skipped` (blank,
  section, subtotal and footer rows after the header), `format` (xlsx | xls | ods | csv), `n_sheets`, `encoding` and
  `delimiter` (csv), `revision_of` (the file a "revisi" file re-sends, else "").
- `persons.csv`: the true values of every person with a row: `true_person`, `nik`,
  `no_kk`, `nama` (without titles), `tanggal_lahir` (ISO), `jenis_kelamin` (L/P),
  `regency_code` (domicile), `pekerjaan` (canonical label of schemas/occupations.toml, written
  in one of its spellings; or the raw unknown spelling), `occupation_group` (unknown and
  state_or_private rows are held for review under the shipped rules),
  `desil` (empty: not in DTSEN), `disabilitas`, `jumlah_tanggungan`,
  `penghasilan` (empty: never stated), `enrolled_kesehatan_covered` (active in a segment
  other than PBPU), `enrolled_ketenagakerjaan_active` (both False without reference lists).
  Scoring inputs (occupation, desil, disability, dependents, income) are written with
  the same value in every row of a person (spelled differently), so they are exact.

Everything is drawn from one numpy Generator tree seeded by `seed`: the same arguments
write byte-identical files. Expected codes are not "intended" codes: they are computed
from the values actually written, by the NIK/KK/date rules of the contract
(`_expected_codes`), so an accidental consequence (a numeric NIK that really ends in 0,
a typo that lands in the NIK's date digits) is in the truth too.
"""

from __future__ import annotations

import csv
import io
import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from demo import vocab as V
from schemas.codes import PROGRAMS
from schemas.reference import KALTIM_DISTRICT_CODES, PROVINCE_CODES, REGENCIES

TRUTH_DIR = "_truth"

# Row codes, in sorted order (expected_codes is the sorted, ';'-joined list).
CODE_NAMES: tuple[str, ...] = (
    "DOB_INVALID",
    "DOB_MISSING",
    "KK_FORMAT",
    "KK_MISSING",
    "KK_REGION",
    "NAME_MISSING",
    "NIK_DATE",
    "NIK_DOB_MISMATCH",
    "NIK_FORMAT",
    "NIK_MISSING",
    "NIK_PROVINCE",
    "NIK_SERIAL",
    "NIK_SEX_MISMATCH",
    "NIK_TRUNCATED",
    "OCCUPATION_AMBIGUOUS",
    "OCCUPATION_UNKNOWN",
    "REMARK_COVERED",
    "REMARK_DECEASED",
    "REMARK_DUPLICATE",
    "REMARK_MOVED",
    "SEX_INVALID",
)
ERROR_CODES = frozenset(
    {
        "DOB_INVALID",
        "DOB_MISSING",
        "KK_FORMAT",
        "KK_MISSING",
        "NAME_MISSING",
        "NIK_DATE",
        "NIK_FORMAT",
        "NIK_MISSING",
        "NIK_PROVINCE",
        "NIK_SERIAL",
        "SEX_INVALID",
    }
)
REVIEW_CODES = frozenset(
    {
        "KK_REGION", "NIK_DOB_MISMATCH", "NIK_SEX_MISMATCH", "OCCUPATION_AMBIGUOUS",
        "OCCUPATION_UNKNOWN", "REMARK_COVERED", "REMARK_DECEASED", "REMARK_DUPLICATE",
        "REMARK_MOVED",
    }
)  # fmt: skip
# The shipped program rules test occupation in both programs: an occupation not recognised,
# or one that may be a civil servant's (Guru, Bidan...), holds the row for review.
# NIK_TRUNCATED is an error (scientific notation) or review (numeric cell ending in 0).
# Warnings (no effect on status), as the pipeline reports them (schemas/codes.py).
WARNING_NAMES: tuple[str, ...] = (
    "KK_TRUNCATED",
    "NIK_KECAMATAN_UNKNOWN",
    "SEX_DERIVED",
)
# Remarks (KETERANGAN column) by kind, and the row code each kind gives ("neutral": none).
REMARK_KIND_CODES = {
    "deceased": "REMARK_DECEASED",
    "moved": "REMARK_MOVED",
    "duplicate": "REMARK_DUPLICATE",
    "covered": "REMARK_COVERED",
}
REMARK_KIND_P = {"neutral": 0.06, "deceased": 0.012, "moved": 0.012, "duplicate": 0.008,
                 "covered": 0.018}  # fmt: skip

HARD_LABELS = {1: "nik_typo", 2: "nik_swap", 3: "nik_missing_dup"}
DUP_LABELS = {0: "", 1: "same_file", 2: "other_program", 3: "other_regency", 4: "revised"}

# Row defects (at most one per row; see `_inject_defects`).
D_NONE = 0
D_NIK_MISSING = 1
D_NIK_FORMAT = 2
D_NIK_PROVINCE = 3
D_NIK_DATE = 4
D_NIK_SERIAL = 5
D_NIK_SCI = 6
D_NIK_DAMAGED = 7
D_KK_MISSING = 8
D_KK_FORMAT = 9
D_NAME_MISSING = 10
D_DOB_MISSING = 11
D_DOB_INVALID = 12
D_SEX_BLANK = 13
D_SEX_INVALID = 14
D_DOB_MISMATCH = 15
D_SEX_MISMATCH = 16
# Probability of each defect for an ordinary row (scientific notation: csv rows only;
# damaged numeric NIK: rows of files whose NIKs are numeric cells only).
DEFECT_P: dict[int, float] = {
    D_NIK_MISSING: 0.010,
    D_NIK_FORMAT: 0.012,
    D_NIK_PROVINCE: 0.004,
    D_NIK_DATE: 0.006,
    D_NIK_SERIAL: 0.003,
    D_KK_MISSING: 0.008,
    D_KK_FORMAT: 0.006,
    D_NAME_MISSING: 0.004,
    D_DOB_MISSING: 0.006,
    D_DOB_INVALID: 0.005,
    D_SEX_BLANK: 0.010,
    D_SEX_INVALID: 0.003,
    D_DOB_MISMATCH: 0.010,
    D_SEX_MISMATCH: 0.005,
}
P_SCI_CSV = 0.012
P_DAMAGED_NUMERIC = 0.03
NIK_DEFECTS = (
    D_NIK_MISSING,
    D_NIK_FORMAT,
    D_NIK_PROVINCE,
    D_NIK_DATE,
    D_NIK_SERIAL,
    D_NIK_SCI,
    D_NIK_DAMAGED,
    D_SEX_INVALID,
)

EXCEL_EPOCH = date(1899, 12, 30)
FLOAT_EXACT = 2**53


@dataclass(frozen=True)
class GroundTruthSummary:
    """What `generate_demo_data` wrote; `str()` gives a short report for the command line."""

    out_dir: Path
    truth_dir: Path
    n_rows: int
    n_files: int
    n_persons: int
    status_counts: dict[str, int]
    code_counts: dict[str, int]
    files: tuple[str, ...]
    reference_files: tuple[str, ...] = ()
    seconds: float = 0.0
    extra: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        status = ", ".join(f"{k} {v}" for k, v in self.status_counts.items())
        codes = ", ".join(f"{k} {v}" for k, v in sorted(self.code_counts.items()))
        lines = [
            f"{self.n_rows} rows in {self.n_files} files under {self.out_dir} "
            f"({self.n_persons} persons; {self.seconds:.1f} s)",
            f"expected status: {status}",
            f"expected codes: {codes or '-'}",
            f"ground truth: {self.truth_dir}",
        ]
        if self.reference_files:
            lines.append("reference lists: " + ", ".join(self.reference_files))
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def _choice(rng: np.random.Generator, items, size=None, p=None):
    """rng.choice over a tuple of python objects, returning python objects (object array)."""
    arr = np.empty(len(items), dtype=object)
    arr[:] = list(items)
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
    return rng.choice(arr, size=size, p=p)


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    if total <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    quota = weights / weights.sum() * total
    base = np.floor(quota).astype(np.int64)
    rest = total - int(base.sum())
    order = np.lexsort((np.arange(len(weights)), -(quota - base)))
    base[order[:rest]] += 1
    return base


def _unique_serials(prefix: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Serials unique within each prefix: the group's first base, then consecutive."""
    n = len(prefix)
    out = np.empty(n, dtype=np.int64)
    if n == 0:
        return out
    order = np.lexsort((np.arange(n), prefix))
    sp = prefix[order]
    start = np.r_[True, sp[1:] != sp[:-1]]
    grp = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    rank = np.arange(n) - first[grp]
    out[order] = base[order][first][grp] + rank
    if out.max() > 9999:  # pragma: no cover - needs >1000 people per kecamatan and day
        raise RuntimeError("serial overflow")
    return out


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = days.astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = (d.astype("datetime64[M]").astype(np.int64) % 12) + 1
    dd = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, dd


def _days_in_month(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    dim = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    mm = np.clip(m, 1, 12) - 1
    return dim[mm] + ((mm == 1) & leap)


def _as_of_days(as_of: date) -> int:
    return int(np.datetime64(as_of, "D").astype(np.int64))


# ---------------------------------------------------------------------------
# Population
# ---------------------------------------------------------------------------


@dataclass
class Population:
    """One entry per person (numpy arrays of equal length)."""

    hh: np.ndarray
    member: np.ndarray
    role: np.ndarray  # 0 head, 1 spouse, 2 child, 3 parent of head
    hh_size: np.ndarray
    regency: np.ndarray  # index into V.REGENCY_CODES (domicile)
    kec: np.ndarray  # domicile kecamatan code (int)
    sex: np.ndarray  # 0 = L, 1 = P
    dob: np.ndarray  # int days since 1970-01-01
    nik: np.ndarray  # str (U16)
    kk: np.ndarray  # str (U16)
    old_code: np.ndarray  # NIK carries a former Kaltim district code (warning)
    name: np.ndarray  # object
    title: np.ndarray  # object: "", "H.", ", S.PD", ...
    occ_label: np.ndarray  # object
    occ_group: np.ndarray  # object
    income: np.ndarray  # float, nan = unknown
    desil: np.ndarray  # int, 0 = not in DTSEN
    disab: np.ndarray  # bool
    deps: np.ndarray  # int
    address: np.ndarray  # object
    rtrw: np.ndarray  # object
    desa: np.ndarray  # object
    birthplace: np.ndarray  # object
    phone: np.ndarray  # object ("" = none)
    submitted: np.ndarray  # bool
    special: np.ndarray  # object: "", "twin", "father_son", "same_name_other_regency"

    def __len__(self) -> int:
        return len(self.hh)


def _desa_table(rng: np.random.Generator) -> dict[tuple[str, int], tuple[str, ...]]:
    table = {}
    names = list(V.DESA_NAMES)
    for code in V.REGENCY_CODES:
        for kec in REGENCIES[code].kecamatan:
            k = int(rng.integers(3, 8))
            idx = rng.choice(len(names), size=k, replace=False)
            table[(code, int(kec))] = tuple(names[i] for i in sorted(idx))
    return table


def _kec_weights(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for code in V.REGENCY_CODES:
        kecs = np.array([int(k) for k in REGENCIES[code].kecamatan], dtype=np.int64)
        w = rng.gamma(2.0, 1.0, size=len(kecs))
        out[code] = (kecs, w / w.sum())
    return out


def _ages(rng, n_hh_size, role, member, hh_index, hh_single) -> np.ndarray:
    n = len(role)
    head_age_hh = np.clip(rng.normal(46, 13, size=len(n_hh_size)), 20, 90)
    # single-person households: young adults, middle-aged, elderly
    mix = rng.random(len(n_hh_size))
    single_age = np.where(
        mix < 0.4,
        rng.uniform(18, 30, len(mix)),
        np.where(mix < 0.6, rng.uniform(30, 60, len(mix)), rng.uniform(60, 94, len(mix))),
    )
    head_age_hh = np.where(hh_single, single_age, head_age_hh)
    head_age = head_age_hh[hh_index]
    age = np.empty(n, dtype=float)
    age[:] = head_age
    spouse = role == 1
    age[spouse] = np.clip(head_age[spouse] + rng.normal(-3, 4, spouse.sum()), 18, 95)
    child = role == 2
    ca = head_age[child] - rng.integers(20, 39, child.sum())
    ca = np.where(ca < 0, rng.integers(0, 4, child.sum()), ca)
    age[child] = ca
    parent = role == 3
    age[parent] = np.clip(head_age[parent] + rng.integers(20, 32, parent.sum()), 40, 95)
    return np.clip(np.floor(age), 0, 95).astype(np.int64)


def _build_names(rng, sex: np.ndarray) -> np.ndarray:
    n = len(sex)
    out = np.empty(n, dtype=object)
    pattern = rng.random(n)
    female = sex == 1

    def pick(pool, k):
        return rng.integers(0, len(pool), k)

    for is_f in (False, True):
        mask = female == is_f
        k = int(mask.sum())
        if not k:
            continue
        first_pool = V.FEMALE_FIRST if is_f else V.MALE_FIRST
        single_pool = V.FEMALE_SINGLE if is_f else V.MALE_SINGLE
        last_pool = V.FEMALE_LAST if is_f else V.MALE_LAST
        mid_pool = V.FEMALE_MIDDLE if is_f else V.MALE_MIDDLE
        f = pick(first_pool, k)
        s = pick(single_pool, k)
        la = pick(last_pool, k)
        mi = pick(mid_pool, k)
        pt = pattern[mask]
        names = []
        for j in range(k):
            if pt[j] < 0.15:
                names.append(single_pool[s[j]])
            elif pt[j] < 0.82:
                names.append(f"{first_pool[f[j]]} {last_pool[la[j]]}")
            else:
                names.append(f"{first_pool[f[j]]} {mid_pool[mi[j]]} {last_pool[la[j]]}")
        fixed = []
        for nm in names:  # avoid "SITI SITI AMINAH" and the like
            toks = nm.split()
            dedup = [t for i, t in enumerate(toks) if i == 0 or t != toks[i - 1]]
            fixed.append(" ".join(dedup))
        out[mask] = fixed
    return out


def build_population(
    rng: np.random.Generator,
    counts: dict[str, int],
    n_submitted: dict[str, int],
    as_of: date,
    nik_serial_offset: int = 0,
) -> Population:
    """Households per regency until `counts[code]` persons; the first `n_submitted` are candidates.
    NIK serials start after `nik_serial_offset` (`generate_demo_data`)."""
    sizes_all, reg_all, sub_all = [], [], []
    size_p = np.array([0.12, 0.18, 0.22, 0.21, 0.14, 0.08, 0.05])
    for ri, code in enumerate(V.REGENCY_CODES):
        need = counts[code]
        if need <= 0:
            continue
        sizes = rng.choice(np.arange(1, 8), size=need // 2 + 10, p=size_p)
        cs = np.cumsum(sizes)
        k = int(np.searchsorted(cs, need))
        sizes = sizes[: k + 1].copy()
        sizes[-1] -= int(cs[k] - need)
        sizes = sizes[sizes > 0]
        sizes_all.append(sizes)
        reg_all.append(np.full(len(sizes), ri))
        sub = np.zeros(int(sizes.sum()), dtype=bool)
        sub[: n_submitted[code]] = True
        sub_all.append(sub)
    hh_sizes = np.concatenate(sizes_all)
    hh_reg = np.concatenate(reg_all)
    submitted = np.concatenate(sub_all)
    n_hh = len(hh_sizes)
    n = int(hh_sizes.sum())
    hh = np.repeat(np.arange(n_hh), hh_sizes)
    starts = np.r_[0, np.cumsum(hh_sizes)[:-1]]
    member = np.arange(n) - np.repeat(starts, hh_sizes)
    size_p = hh_sizes[hh]

    u = rng.random(n)
    role = np.where(member == 0, 0, np.where((member == 1) & (u < 0.85), 1, 2))
    role = np.where((member >= 2) & (u < 0.07), 3, role)
    regency = hh_reg[hh]

    # sex: head mostly male, spouse opposite, others random
    head_female_hh = rng.random(n_hh) < np.where(hh_sizes == 1, 0.45, 0.13)
    sex = (rng.random(n) < 0.5).astype(np.int64)
    sex = np.where(role == 0, head_female_hh[hh].astype(np.int64), sex)
    sex = np.where(role == 1, 1 - head_female_hh[hh].astype(np.int64), sex)

    age = _ages(rng, hh_sizes, role, member, hh, hh_sizes == 1)
    asd = _as_of_days(as_of)
    dob = asd - (np.floor(age * 365.2425).astype(np.int64) + rng.integers(1, 365, n))

    # domicile kecamatan per household
    kw = _kec_weights(rng)
    kec_hh = np.zeros(n_hh, dtype=np.int64)
    for ri, code in enumerate(V.REGENCY_CODES):
        m = hh_reg == ri
        if m.any():
            kecs, w = kw[code]
            kec_hh[m] = rng.choice(kecs, size=int(m.sum()), p=w)
    kec = kec_hh[hh]

    special = np.full(n, "", dtype=object)

    # twins: first two children of a household, same birth date and sex
    child_idx = np.flatnonzero(role == 2)
    if len(child_idx) > 1:
        ch_hh = hh[child_idx]
        first_pos = np.r_[True, ch_hh[1:] != ch_hh[:-1]]
        cand = np.flatnonzero(first_pos[:-1] & (ch_hh[1:] == ch_hh[:-1]))
        pick = cand[rng.random(len(cand)) < 0.03]
        a, b = child_idx[pick], child_idx[pick + 1]
        dob[b] = dob[a]
        sex[b] = sex[a]
        special[a] = "twin"
        special[b] = "twin"

    names = _build_names(rng, sex)

    # father and son with the same name (same KK, different birth dates)
    head_of_hh = np.full(n_hh, -1)
    head_of_hh[hh[role == 0]] = np.flatnonzero(role == 0)
    son = np.flatnonzero((role == 2) & (sex == 0) & (special == ""))
    if len(son):
        son_hh = hh[son]
        first_son = son[np.r_[True, son_hh[1:] != son_hh[:-1]]]
        fathers = head_of_hh[hh[first_son]]
        ok = (fathers >= 0) & (sex[fathers] == 0) & (special[fathers] == "")
        ok &= rng.random(len(first_son)) < 0.02
        s_idx, f_idx = first_son[ok], fathers[ok]
        names[s_idx] = names[f_idx]
        special[s_idx] = "father_son"
        special[f_idx] = "father_son"

    # same name (and for half of them the same birth date) in another regency
    sub_idx = np.flatnonzero(submitted & (special == ""))
    n_pairs = _half_up(0.0025 * len(sub_idx))
    if n_pairs and len(sub_idx) > 2:
        a = rng.choice(sub_idx, size=n_pairs, replace=False)
        b = rng.choice(sub_idx, size=n_pairs, replace=False)
        ok = (regency[a] != regency[b]) & (sex[a] == sex[b]) & (a != b)
        ok &= (special[a] == "") & (special[b] == "")
        _, first = np.unique(np.r_[a[ok], b[ok]], return_index=True)
        keep = np.zeros(2 * int(ok.sum()), dtype=bool)
        keep[first] = True
        k = int(ok.sum())
        ok_idx = np.flatnonzero(ok)[keep[:k] & keep[k:]]
        a, b = a[ok_idx], b[ok_idx]
        same_dob = rng.random(len(a)) < 0.5
        # adult pairs only, so the birth dates stay plausible in both households
        adult = (asd - dob[a] > 18 * 366) & (asd - dob[b] > 18 * 366)
        a, b, same_dob = a[adult], b[adult], same_dob[adult]
        names[b] = names[a]
        dob[b[same_dob]] = dob[a[same_dob]]
        special[a] = "same_name_other_regency"
        special[b] = "same_name_other_regency"

    age = np.floor((asd - dob) / 365.2425).astype(np.int64)
    y, mo, d = _ymd(dob)

    # NIK region: mostly issued in the regency of domicile
    u = rng.random(n)
    adult = age >= 17
    p_prov = np.where(adult, 0.065, 0.01)
    p_kalt = np.where(adult, 0.035, 0.01)
    p_old = np.where(adult & (age >= 30), 0.006, 0.0)
    origin = np.where(u < p_prov, 2, np.where(u < p_prov + p_kalt, 1, 0))
    origin = np.where((origin == 0) & (rng.random(n) < p_old), 3, origin)
    reg_code_int = np.array([int(c) for c in V.REGENCY_CODES])
    region6 = reg_code_int[regency] * 100 + np.where(rng.random(n) < 0.8, kec, 0)
    # local but another kecamatan of the regency
    local_other = region6 % 100 == 0
    for ri, code in enumerate(V.REGENCY_CODES):
        m = local_other & (regency == ri)
        if m.any():
            kecs = np.array([int(k) for k in REGENCIES[code].kecamatan])
            region6[m] = int(code) * 100 + rng.choice(kecs, size=int(m.sum()))
    # other Kaltim regency
    all_districts = np.array(sorted(int(x) for x in KALTIM_DISTRICT_CODES))
    m = origin == 1
    if m.any():
        pick = rng.choice(all_districts, size=int(m.sum()))
        same = pick // 100 == reg_code_int[regency[m]]
        pick[same] = rng.choice(all_districts, size=int(same.sum()))
        region6[m] = pick
    # other province
    m = origin == 2
    if m.any():
        provs = list(V.OTHER_PROVINCES)
        pw = np.array([V.OTHER_PROVINCES[p][0] for p in provs], dtype=float)
        pc = np.array([int(p) for p in provs])[
            rng.choice(len(provs), size=int(m.sum()), p=pw / pw.sum())
        ]
        rc = np.where(
            rng.random(int(m.sum())) < 0.8,
            rng.integers(1, 27, int(m.sum())),
            rng.integers(71, 79, int(m.sum())),
        )
        kc = rng.integers(1, 31, int(m.sum()))
        region6[m] = pc * 10000 + rc * 100 + kc
    # former Kaltim districts (now Kaltara: Bulungan, Malinau, Nunukan, Tarakan)
    m = origin == 3
    if m.any():
        old_reg = np.array([6404, 6405, 6406, 6473])[rng.integers(0, 4, int(m.sum()))]
        region6[m] = old_reg * 100 + rng.integers(1, 12, int(m.sum()))
    old_code = (region6 // 10000 == 64) & ~np.isin(region6, all_districts)

    # twins share the NIK region
    tw = np.flatnonzero(special == "twin")
    if len(tw):
        tw_hh = hh[tw]
        firsts = tw[np.r_[True, tw_hh[1:] != tw_hh[:-1]]]
        seconds = tw[np.r_[False, tw_hh[1:] == tw_hh[:-1]]]
        region6[seconds] = region6[firsts[: len(seconds)]]
        old_code[seconds] = old_code[firsts[: len(seconds)]]

    day_code = d + 40 * sex
    ddmmyy = day_code * 10000 + mo * 100 + (y % 100)
    prefix12 = region6 * 1_000_000 + ddmmyy
    cap = 8000 - nik_serial_offset
    base = (
        1 + nik_serial_offset + np.minimum(np.floor(rng.exponential(30.0, n)), cap).astype(np.int64)
    )
    serial = _unique_serials(prefix12, base)
    nik_int = prefix12 * 10_000 + serial
    nik = nik_int.astype("U16")

    # KK per household: domicile regency (1% moved households keep another regency's KK)
    kk_reg6 = reg_code_int[hh_reg] * 100 + kec_hh
    moved = rng.random(n_hh) < 0.01
    if moved.any():
        pick = rng.choice(all_districts, size=int(moved.sum()))
        same = pick // 100 == reg_code_int[hh_reg[moved]]
        pick[same] = rng.choice(all_districts, size=int(same.sum()))
        kk_reg6[moved] = pick
    kk_lo = int(np.datetime64("2008-01-01").astype(np.int64))
    kk_day = rng.integers(kk_lo, asd - 30, n_hh)
    ky, km, kd = _ymd(kk_day)
    kk_prefix = kk_reg6 * 1_000_000 + kd * 10000 + km * 100 + (ky % 100)
    kk_serial = _unique_serials(kk_prefix, rng.integers(1, 9000, n_hh))
    kk = (kk_prefix * 10_000 + kk_serial).astype("U16")[hh]

    # titles
    title = np.full(n, "", dtype=object)
    t = rng.random(n)
    hajj = (age >= 45) & (t < 0.12)
    title[hajj & (sex == 0)] = "H."
    title[hajj & (sex == 1)] = "HJ."
    acad = ~hajj & (age >= 25) & (t > 0.96)
    k = int(acad.sum())
    title[acad] = _choice(rng, tuple(", " + s for s in V.TITLES_SUFFIX), size=k) if k else []
    old_acad = acad & (age >= 50) & (rng.random(n) < 0.4)
    title[old_acad & (sex == 0)] = _choice(
        rng, ("DRS.", "IR."), size=int((old_acad & (sex == 0)).sum())
    )
    title[old_acad & (sex == 1)] = "DRA."

    occ_label, occ_group = _occupations(rng, age, sex)
    income = _incomes(rng, occ_label, occ_group)

    desil_hh = rng.choice(
        np.arange(1, 11), size=n_hh, p=np.array([15, 15, 14, 12, 10, 9, 8, 7, 5, 5]) / 100
    )
    desil_hh = np.where(rng.random(n_hh) < 0.12, 0, desil_hh)
    desil = desil_hh[hh]
    disab = rng.random(n) < np.where(age >= 60, 0.07, 0.025)
    deps = np.where(role == 0, np.minimum(size_p - 1 + rng.integers(0, 2, n), 6), 0)
    deps = np.where((role == 1) & (rng.random(n) < 0.2), rng.integers(1, 3, n), deps)

    # addresses per household
    desa_tab = _desa_table(rng)
    addr_kind = rng.random(n_hh)
    street = _choice(rng, V.STREETS, size=n_hh)
    gang = _choice(rng, V.GANG, size=n_hh)
    num = rng.integers(1, 120, n_hh)
    rt = rng.integers(1, 45, n_hh)
    rw = rng.integers(1, 12, n_hh)
    address_hh = np.empty(n_hh, dtype=object)
    address_hh[:] = [
        f"{s} NO. {x}" if a < 0.6 else (f"{s} {g} NO. {x}" if a < 0.85 else f"{g} RT. {r:02d}")
        for s, g, x, a, r in zip(street, gang, num, addr_kind, rt, strict=True)
    ]
    rtrw_hh = np.empty(n_hh, dtype=object)
    rtrw_hh[:] = [f"{a:03d}/{b:03d}" for a, b in zip(rt, rw, strict=True)]
    desa_hh = np.empty(n_hh, dtype=object)
    pickd = rng.random(n_hh)
    desa_hh[:] = [
        (lst := desa_tab[(V.REGENCY_CODES[r], int(k))])[int(p * len(lst))]
        for r, k, p in zip(hh_reg, kec_hh, pickd, strict=True)
    ]

    # birth place follows the NIK region
    birthplace = np.empty(n, dtype=object)
    prov = region6 // 10000
    bp_u = rng.random(n)
    kal = prov == 64
    kal_code = (region6 // 100).astype("U4")
    birthplace[kal] = [
        (lst := V.BIRTHPLACES_KALTIM.get(c, ("SAMARINDA", "TARAKAN", "BULUNGAN")))[
            int(p * len(lst))
        ]
        for c, p in zip(kal_code[kal], bp_u[kal], strict=True)
    ]
    nk = ~kal
    birthplace[nk] = [
        (lst := V.OTHER_PROVINCES[f"{c:02d}"][1])[int(p * len(lst))]
        for c, p in zip(prov[nk], bp_u[nk], strict=True)
    ]

    has_phone = (age >= 17) & (rng.random(n) < 0.8)
    pre = _choice(rng, V.PHONE_PREFIXES, size=n)
    rest_len = rng.integers(7, 9, n)
    rest = rng.integers(0, 10**8, n)
    phone = np.empty(n, dtype=object)
    phone[:] = [
        (f"{p}{r:08d}"[: 4 + ln] if h else "")
        for p, r, ln, h in zip(pre, rest, rest_len, has_phone, strict=True)
    ]

    return Population(
        hh=hh,
        member=member,
        role=role,
        hh_size=size_p,
        regency=regency,
        kec=kec,
        sex=sex,
        dob=dob,
        nik=nik,
        kk=kk,
        old_code=old_code,
        name=names,
        title=title,
        occ_label=occ_label,
        occ_group=occ_group,
        income=income,
        desil=desil,
        disab=disab,
        deps=deps,
        address=address_hh[hh],
        rtrw=rtrw_hh[hh],
        desa=desa_hh[hh],
        birthplace=birthplace,
        phone=phone,
        submitted=submitted,
        special=special,
    )


def _occupations(rng, age: np.ndarray, sex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # categories: none, home, student, retired, informal, wage, contract, unknown,
    # state_or_private (Guru, Bidan...: could be a civil servant)
    n = len(age)
    cats = np.zeros((n, 9))
    female = sex == 1
    kid = age < 5
    school = (age >= 5) & (age < 15)
    teen = (age >= 15) & (age < 18)
    young = (age >= 18) & (age < 23)
    adult = (age >= 23) & (age < 60)
    old = age >= 60
    cats[kid] = [1, 0, 0, 0, 0, 0, 0, 0, 0]
    cats[school] = [0.05, 0, 0.95, 0, 0, 0, 0, 0, 0]
    cats[teen] = [0.05, 0, 0.85, 0, 0.1, 0, 0, 0, 0]
    cats[young] = [0.15, 0, 0.35, 0, 0.38, 0.06, 0.02, 0.01, 0.01]
    cats[adult & ~female] = [0.06, 0, 0, 0, 0.66, 0.15, 0.04, 0.015, 0.02]
    cats[adult & female] = [0.06, 0.42, 0, 0, 0.33, 0.09, 0.04, 0.015, 0.03]
    cats[old & ~female] = [0.3, 0, 0, 0.12, 0.5, 0.03, 0, 0.015, 0.01]
    cats[old & female] = [0.3, 0.25, 0, 0.1, 0.3, 0.02, 0, 0.01, 0.01]
    cum = np.cumsum(cats, axis=1)
    cat = (rng.random(n)[:, None] * cum[:, -1:] > cum).sum(axis=1)
    label = np.empty(n, dtype=object)
    group = np.empty(n, dtype=object)
    fixed = {0: V.NOT_WORKING["none"], 1: V.NOT_WORKING["home"], 2: V.NOT_WORKING["student"]}
    fixed[3] = V.NOT_WORKING["retired"]
    for c, lab in fixed.items():
        label[cat == c] = lab
        group[cat == c] = "not_working"
    groups = ((4, "informal"), (5, "wage_or_state"), (6, "contract_staff"), (8, "state_or_private"))
    for c, grp in groups:
        m = cat == c
        labs = tuple(V.OCC_WEIGHTS[grp])
        w = np.array([V.OCC_WEIGHTS[grp][x] for x in labs])
        label[m] = _choice(rng, labs, size=int(m.sum()), p=w)
        group[m] = grp
    m = cat == 7
    label[m] = _choice(rng, V.UNKNOWN_OCCUPATIONS, size=int(m.sum()))
    group[m] = "unknown"
    return label, group


def _incomes(rng, label: np.ndarray, group: np.ndarray) -> np.ndarray:
    n = len(label)
    inc = np.zeros(n)
    nw = group == "not_working"
    inc[nw] = np.where(rng.random(int(nw.sum())) < 0.9, 0, rng.uniform(3e5, 1e6, int(nw.sum())))
    ret = label == V.NOT_WORKING["retired"]
    inc[ret] = rng.uniform(1e6, 4e6, int(ret.sum()))
    inf = (group == "informal") | (group == "unknown")
    inc[inf] = np.clip(rng.lognormal(np.log(1.8e6), 0.5, int(inf.sum())), 3e5, 8e6)
    wage = group == "wage_or_state"
    inc[wage] = np.clip(rng.lognormal(np.log(4.5e6), 0.35, int(wage.sum())), 2.5e6, 1.5e7)
    con = (group == "contract_staff") | (group == "state_or_private")
    inc[con] = np.clip(rng.lognormal(np.log(2.2e6), 0.3, int(con.sum())), 1e6, 5e6)
    inc = np.round(inc / 50_000) * 50_000
    inc[rng.random(n) < 0.05] = np.nan
    return inc


# ---------------------------------------------------------------------------
# Files: names and per-file layout style
# ---------------------------------------------------------------------------


@dataclass
class FileSpec:
    idx: int
    regency: str
    program: str
    rel_path: str
    fmt: str  # "xlsx" | "xls" | "ods" | "csv"
    revised_of: int = -1
    # layout style
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    newline: str = "\r\n"
    title_rows: int = 0  # lines above the header (the last may be blank)
    titles: tuple[str, ...] = ()
    title_merge: bool = False
    columns: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    nik_numeric: bool = False
    id_decor_p: float = 0.0
    id_decor: str = "apostrophe"
    date_main: int = 0
    date_mix_p: float = 0.1
    sex_family: int = 0
    sex_dev_p: float = 0.05
    name_case: str = "upper"
    text_case: str = "upper"
    blank_rate: float = 0.0
    footer: bool = False
    footer_col: int = 0
    split_sheets: bool = False
    kec_sorted: bool = False
    sheet_name: str = "Sheet1"
    income_style: int = 0
    num_as_text: bool = False
    disab_style: int = 0
    kec_prefix: bool = False
    created: datetime = datetime(2026, 1, 1, 8, 0, 0)
    sign_date: date = date(2026, 1, 1)
    official: str = ""
    base_rows: int = 0
    # issue 13: families merged down, and a section title and subtotal around each kecamatan
    merge_families: bool = False
    kec_sections: bool = False
    section_style: int = 0
    template_sheet: bool = False  # an empty template sheet after the data: its header only


def _file_names(rng, as_of: date) -> dict[tuple[str, str], str]:
    out = {}
    year = as_of.year
    for code in V.REGENCY_CODES:
        folder = str(_choice(rng, V.REGENCY_FOLDERS[code]))
        for prog in PROGRAMS:
            short = str(_choice(rng, V.REGENCY_FILE_SHORT[code]))
            tmpl = str(_choice(rng, V.FILE_TEMPLATES[prog]))
            stem = tmpl.format(s=short, S=short.upper(), l=short.lower(), y=year)
            out[(code, prog)] = f"{folder}/{stem}"
    return out


def _plan_files(
    rng,
    base_counts: dict[tuple[str, str], int],
    formats: str,
    revised: list[tuple[str, str]],
    as_of,
) -> list[FileSpec]:
    names = _file_names(rng, as_of)
    keys = [(c, p) for c in V.REGENCY_CODES for p in PROGRAMS]
    if formats in ("xlsx", "xls", "ods"):
        fmts = ["xlsx"] * len(keys)
    elif formats == "csv":
        fmts = ["csv"] * len(keys)
    else:
        fmts = ["xlsx"] * len(keys)
        csv_idx = rng.choice(len(keys), size=6, replace=False)
        for j, i in enumerate(sorted(csv_idx)):
            fmts[i] = "csv" if j % 2 == 0 else "csv;"
    specs: list[FileSpec] = []
    for i, key in enumerate(keys):
        f = fmts[i]
        ext = "xlsx" if f == "xlsx" else "csv"
        spec = FileSpec(i, key[0], key[1], f"{names[key]}.{ext}", "xlsx" if f == "xlsx" else "csv")
        if f == "csv;":
            spec.delimiter, spec.encoding, spec.newline = ";", "cp1252", "\r\n"
        elif f == "csv":
            spec.delimiter, spec.encoding = ",", "utf-8-sig"
            spec.newline = "\r\n" if rng.random() < 0.5 else "\n"
        spec.base_rows = base_counts[key]
        specs.append(spec)
    for key in revised:
        orig = specs[keys.index(key)]
        folder, stem = orig.rel_path.rsplit("/", 1)
        stem = stem.rsplit(".", 1)[0]
        if "revisi 2" in stem:
            stem = stem.replace("revisi 2", "revisi 3")
        else:
            stem += str(_choice(rng, (" revisi", " REVISI 1", "_revisi", " (revisi)")))
        rel = f"{folder}/{stem}.xlsx"
        specs.append(FileSpec(len(specs), key[0], key[1], rel, "xlsx", revised_of=orig.idx))
    for spec in specs:
        _style(rng, spec, as_of)
    # at least one xlsx file with numeric NIK cells (when there are a few xlsx files)
    xl = [s for s in specs if s.fmt == "xlsx"]
    if len(xl) >= 4 and not any(s.nik_numeric for s in xl):
        xl[2].nik_numeric = True
    _plan_sheet_habits(rng, specs, formats)
    return specs


# Old .xls holds 65,536 rows a sheet, and odfpy writes slowly: only files this small get them.
OLD_FORMAT_MAX_ROWS = 20_000
# Columns a regency merges down over a family's rows when every member has the same value.
FAMILY_MERGED = ("kk", "alamat", "rtrw", "desil")


def _plan_sheet_habits(rng, specs: list[FileSpec], formats: str) -> None:
    """Habits of real regency files (issue 13), drawn after every other choice: old .xls and
    LibreOffice .ods files, families whose KK, address and desil are merged down, sheets per
    kecamatan, and kecamatan given by section titles (with subtotals) instead of a column."""
    books = [s for s in specs if s.fmt == "xlsx"]
    small = [s for s in books if s.revised_of < 0 and s.base_rows <= OLD_FORMAT_MAX_ROWS]
    if formats in ("xls", "ods"):
        old = {id(s): formats for s in small}
    elif formats == "mixed":
        pick = rng.permutation(len(small))[:4]
        old = {id(small[int(i)]): ("xls", "ods")[j % 2] for j, i in enumerate(pick)}
    else:
        old = {}
    merge = rng.random(len(books)) < 0.4
    habit = rng.random(len(books))
    style = rng.integers(0, len(V.SECTION_TITLES), len(books))
    template = rng.random(len(books)) < 0.2
    for spec, merged, r, st, empty in zip(books, merge, habit, style, template, strict=True):
        if id(spec) in old:
            spec.fmt = old[id(spec)]
            spec.rel_path = f"{spec.rel_path.rsplit('.', 1)[0]}.{spec.fmt}"
        spec.merge_families = bool(merged)
        spec.template_sheet = bool(empty)
        if "kec" not in spec.columns:
            continue
        if (spec.split_sheets and r < 0.5) or (not spec.split_sheets and r < 0.3):
            at = spec.columns.index("kec")  # the place is around the rows, not in a column
            spec.columns = spec.columns[:at] + spec.columns[at + 1 :]
            spec.headers = spec.headers[:at] + spec.headers[at + 1 :]
            if not spec.split_sheets:
                spec.kec_sections, spec.kec_sorted, spec.section_style = True, True, int(st)


def _style(rng, s: FileSpec, as_of: date) -> None:
    reg = REGENCIES[s.regency]
    order = V.COLUMN_ORDERS[int(rng.integers(0, len(V.COLUMN_ORDERS)))]
    cols = [c for c in order if c not in V.OPTIONAL_COLUMNS or rng.random() < V.OPTIONAL_COLUMNS[c]]
    s.columns = tuple(cols)
    s.headers = tuple(str(_choice(rng, V.HEADERS[c])) for c in cols)
    if rng.random() < 0.3:  # some offices type headers in title case
        s.headers = tuple(
            h if h in ("NIK", "L/P", "JK", "RT/RW", "KK") else h.title() for h in s.headers
        )
    year = as_of.year
    t1 = str(_choice(rng, V.TITLE_LINES[s.program]))
    t2 = f"{reg.full_name.upper()} TAHUN {year}"
    if s.fmt == "xlsx":
        s.title_rows = int(rng.choice([0, 1, 2, 3], p=[0.12, 0.28, 0.4, 0.2]))
        s.titles = (t1, t2, "")[: s.title_rows] if s.title_rows < 3 else (t1, t2, "")
        if s.title_rows == 1:
            s.titles = (f"{t1} {reg.full_name.upper()} TAHUN {year}",)
        s.title_merge = bool(rng.random() < 0.5)
        s.nik_numeric = bool(rng.random() < 0.2)
        s.date_main = int(
            rng.choice([0, 1, 2, 3, 4, 5, 6, 7], p=[0.35, 0.1, 0.2, 0.1, 0.08, 0.07, 0.05, 0.05])
        )
        s.footer = bool(rng.random() < 0.55)
        s.split_sheets = bool(s.base_rows >= 200 and rng.random() < 0.35)
        s.num_as_text = bool(rng.random() < 0.25)
        s.income_style = int(rng.choice([0, 1, 2, 3, 4], p=[0.45, 0.25, 0.15, 0.05, 0.1]))
    else:
        s.title_rows = 1 if rng.random() < 0.3 else 0
        s.titles = (f"{t1} - {reg.full_name.upper()}",) if s.title_rows else ()
        s.date_main = int(rng.choice([2, 3, 4, 5, 6, 7], p=[0.35, 0.2, 0.15, 0.1, 0.1, 0.1]))
        s.footer = bool(rng.random() < 0.15)
        s.num_as_text = True
        s.income_style = int(rng.choice([1, 2, 3, 4], p=[0.35, 0.2, 0.1, 0.35]))
    s.id_decor_p = float(rng.choice([0.0, 0.0, 0.02, 0.1, 0.3]))
    s.id_decor = str(
        _choice(rng, ("apostrophe", "spaces", "dots", "dashes"), p=[0.4, 0.3, 0.15, 0.15])
    )
    if s.fmt == "csv" and rng.random() < 0.4:
        s.id_decor, s.id_decor_p = "apostrophe", 0.6
    s.date_mix_p = float(rng.choice([0.0, 0.05, 0.15, 0.3]))
    s.sex_family = int(rng.choice(len(V.SEX_FAMILIES), p=np.array(V.SEX_FAMILY_WEIGHTS)))
    s.sex_dev_p = float(rng.choice([0.0, 0.03, 0.1]))
    s.name_case = str(_choice(rng, ("upper", "title", "mixed"), p=[0.7, 0.2, 0.1]))
    s.text_case = str(_choice(rng, ("upper", "title"), p=[0.6, 0.4]))
    s.blank_rate = float(rng.choice([0.0, 0.0, 0.002, 0.01]))
    s.footer_col = int(rng.integers(0, 2))
    s.kec_sorted = bool(rng.random() < 0.5)
    s.kec_prefix = bool(rng.random() < 0.2)
    s.disab_style = int(rng.integers(0, 3))
    s.sheet_name = str(
        _choice(rng, ("Sheet1", "DATA", "Usulan", "Lampiran", reg.name.upper()[:31]))
    )
    s.created = datetime(year, 1, 2, 8, 0, 0) + timedelta(
        days=int(rng.integers(0, max(1, (as_of - date(year, 1, 2)).days))),
        minutes=int(rng.integers(0, 600)),
    )
    s.sign_date = s.created.date()
    s.official = str(_choice(rng, V.OFFICIALS))


# ---------------------------------------------------------------------------
# Rows: base submissions, duplicates, hard cases
# ---------------------------------------------------------------------------


@dataclass
class Rows:
    person: np.ndarray
    file: np.ndarray
    dup: np.ndarray  # DUP_LABELS key
    hard: np.ndarray  # HARD_LABELS key (0 = none)
    okey: np.ndarray  # order key inside a file
    vary: np.ndarray  # name variation wanted


def _plan_counts(rows: int, hard_cases: bool, revised_files: int) -> dict[str, int]:
    c = {
        "same_file": _half_up(0.01 * rows),
        "other_regency": _half_up(0.005 * rows),
        "hard": _half_up(0.005 * rows) if hard_cases else 0,
        "revised": _half_up(0.02 * rows) if (rows >= 500 and revised_files > 0) else 0,
    }
    c["base"] = rows - c["same_file"] - c["other_regency"] - 3 * c["hard"] - c["revised"]
    return c


def _base_counts(rng, base: int) -> dict[tuple[str, str], int]:
    keys = [(c, p) for c in V.REGENCY_CODES for p in PROGRAMS]
    w = []
    for code in V.REGENCY_CODES:
        share_k = rng.uniform(0.5, 0.7)
        noise = rng.lognormal(0, 0.25)
        w += [
            V.REGENCY_WEIGHTS[code] * noise * share_k,
            V.REGENCY_WEIGHTS[code] * noise * (1 - share_k),
        ]
    w = np.array(w)
    floor = min(4, base // 25)
    counts = np.full(len(keys), floor, dtype=np.int64) + _largest_remainder(
        base - floor * len(keys), w
    )
    return {k: int(v) for k, v in zip(keys, counts, strict=True)}


def _assign_programs(rng, pop: Population, base_counts, asd: int) -> tuple[np.ndarray, np.ndarray]:
    """Persons per (regency, program) so that each file gets exactly its base count."""
    n = len(pop)
    in_k = np.zeros(n, dtype=bool)
    in_t = np.zeros(n, dtype=bool)
    age = (asd - pop.dob) / 365.2425
    aff = np.where((age >= 18) & (age <= 60), 2.0, np.where((age >= 15) & (age <= 65), 0.5, -2.0))
    aff += np.select(
        [pop.occ_group == "informal", pop.occ_group == "unknown", pop.occ_group == "wage_or_state"],
        [1.0, 0.5, -1.5],
        -1.0,
    )
    aff += rng.gumbel(0, 1.0, n)
    for ri, code in enumerate(V.REGENCY_CODES):
        idx = np.flatnonzero(pop.submitted & (pop.regency == ri))
        nk, nt = base_counts[(code, "kesehatan")], base_counts[(code, "ketenagakerjaan")]
        overlap = nk + nt - len(idx)
        order = idx[np.lexsort((idx, -aff[idx]))]
        tk = order[:nt]
        in_t[tk] = True
        rest = order[nt:]
        in_k[rest] = True
        both = rng.choice(tk, size=overlap, replace=False) if overlap > 0 else np.array([], int)
        in_k[both] = True
    return in_k, in_t


def _build_rows(
    rng, pop: Population, specs: list[FileSpec], counts, in_k, in_t, target: int
) -> Rows:
    file_of = {(s.regency, s.program): s.idx for s in specs if s.revised_of < 0}
    code_of = np.array([V.REGENCY_CODES.index(s.regency) for s in specs])
    fk = np.array([file_of[(c, "kesehatan")] for c in V.REGENCY_CODES])
    ft = np.array([file_of[(c, "ketenagakerjaan")] for c in V.REGENCY_CODES])
    pk = np.flatnonzero(in_k)
    pt = np.flatnonzero(in_t)
    person = np.r_[pk, pt]
    file = np.r_[fk[pop.regency[pk]], ft[pop.regency[pt]]]
    n_base = len(person)
    hh_key = rng.random(int(pop.hh.max()) + 1)
    okey = hh_key[pop.hh[person]] + pop.member[person] * 1e-6
    dup = np.zeros(n_base, dtype=np.int8)
    hard = np.zeros(n_base, dtype=np.int8)
    vary = rng.random(n_base) < 0.03
    parts = [(person, file, dup, hard, okey, vary)]

    def add(src, new_file, kind, hard_kind, adjacent_p, vary_p):
        k = len(src)
        adj = rng.random(k) < adjacent_p
        key = np.where(adj & (new_file == file[src]), okey[src] + 5e-7, rng.random(k))
        parts.append(
            (
                person[src],
                new_file,
                np.full(k, kind, np.int8),
                np.full(k, hard_kind, np.int8),
                key,
                rng.random(k) < vary_p,
            )
        )

    # same person again in the same file
    src = (
        rng.choice(n_base, size=counts["same_file"], replace=True) if n_base else np.array([], int)
    )
    add(src, file[src], 1, 0, 0.5, 0.4)
    # same person submitted by another regency (same program)
    k = counts["other_regency"]
    if k and n_base:
        src = rng.choice(n_base, size=k, replace=True)
        other = (code_of[file[src]] + rng.integers(1, len(V.REGENCY_CODES), k)) % len(
            V.REGENCY_CODES
        )
        is_k = np.isin(file[src], fk)
        add(src, np.where(is_k, fk[other], ft[other]), 3, 0, 0.0, 0.3)
    # revised files: a subset of the original file again
    rev = [s for s in specs if s.revised_of >= 0]
    if rev and counts["revised"]:
        per = _largest_remainder(counts["revised"], np.ones(len(rev)))
        for s, kk in zip(rev, per, strict=True):
            cand = np.flatnonzero(file[:n_base] == s.revised_of)
            kk = min(int(kk), len(cand))
            src = np.sort(rng.choice(cand, size=kk, replace=False))
            parts.append(
                (
                    person[src],
                    np.full(kk, s.idx),
                    np.full(kk, 4, np.int8),
                    np.zeros(kk, np.int8),
                    okey[src],
                    rng.random(kk) < 0.1,
                )
            )
    # hard cases: a duplicate row whose NIK has a typo, two swapped digits, or is missing
    if counts["hard"] and n_base:
        ok = (pop.special[person] == "") & ~pop.old_code[person]
        cand = np.flatnonzero(ok)
        if len(cand) >= 3 * counts["hard"]:
            src_all = rng.choice(cand, size=3 * counts["hard"], replace=False)
            for j, hk in enumerate((1, 2, 3)):
                src = src_all[j * counts["hard"] : (j + 1) * counts["hard"]]
                # same file, or the other program's file of the same regency
                r = code_of[file[src]]
                other = np.where(np.isin(file[src], fk), ft[r], fk[r])
                tgt = np.where(rng.random(len(src)) < 0.5, file[src], other)
                add(src, tgt, 1, hk, 0.5, 0.0)
                parts[-1][2][:] = np.where(tgt == file[src], 1, 2)
    # too few candidates for a kind above (tiny inputs): more same-file duplicates instead
    short = target - sum(len(part[0]) for part in parts)
    if short > 0 and n_base:
        src = rng.choice(n_base, size=short, replace=True)
        add(src, file[src], 1, 0, 0.5, 0.4)
    cols = list(zip(*parts, strict=True))
    return Rows(*(np.concatenate(c) for c in cols))


# ---------------------------------------------------------------------------
# Row semantics: what is written, before formatting
# ---------------------------------------------------------------------------


@dataclass
class Semantics:
    nik_kind: np.ndarray  # 0 missing, 1 text, 2 numeric cell, 3 scientific text
    nik_digits: np.ndarray  # object str ('' when missing)
    kk_kind: np.ndarray  # 0 missing, 1 text, 2 numeric cell
    kk_digits: np.ndarray  # object str
    dob_state: np.ndarray  # 0 ok, 1 missing, 2 invalid
    dob: np.ndarray  # int days (written date; for invalid: the date if any, else -10**9)
    dob_text: np.ndarray  # object: unreadable text for invalid rows
    sex_state: np.ndarray  # 0 L, 1 P, 2 blank, 3 garbage
    name_missing: np.ndarray  # bool
    defect: np.ndarray


def _mutate(rng, values: list[str], fn) -> list[str]:
    return [fn(v, rng) for v in values]


def _nik_format_error(s: str, rng) -> str:
    r = rng.random()
    if r < 0.3:  # a digit dropped
        i = int(rng.integers(0, 16))
        return s[:i] + s[i + 1 :]
    if r < 0.55:  # a digit doubled
        i = int(rng.integers(0, 16))
        return s[:i] + s[i] + s[i:]
    if r < 0.75 and "0" in s[6:]:  # letter O typed for zero
        i = 6 + s[6:].index("0")
        return s[:i] + "O" + s[i + 1 :]
    if r < 0.9:
        return s[:14]
    return s[:-3]


def _nik_date_error(s: str, rng) -> str:
    dd, mm, yy = int(s[6:8]), int(s[8:10]), int(s[10:12])
    female = dd > 40
    r = rng.random()
    if r < 0.3:  # day out of range
        dd = int(rng.integers(32, 41)) if not female else int(rng.integers(72, 100))
    elif r < 0.5:  # month out of range
        mm = int(_choice(rng, (0, 13, 14, 15, 19, 21)))
    elif r < 0.65:  # day 00
        dd = 0
    elif r < 0.85:  # 31 in a 30-day month, or 30 Feb
        mm = int(_choice(rng, (2, 4, 6, 9, 11)))
        dd = (30 if mm == 2 else 31) + (40 if female else 0)
    else:  # 29 Feb in a year that is not a leap year in either century
        mm, dd = 2, 29 + (40 if female else 0)
        if yy % 4 == 0:
            yy = (yy + 1) % 100
    return f"{s[:6]}{dd:02d}{mm:02d}{yy:02d}{s[12:]}"


def _kk_format_error(s: str, rng) -> str:
    r = rng.random()
    if r < 0.4:
        return s[:15]
    if r < 0.7:
        i = int(rng.integers(4, 16))
        return s[:i] + s[i] + s[i:]
    if r < 0.85 and "0" in s[4:]:
        i = 4 + s[4:].index("0")
        return s[:i] + "O" + s[i + 1 :]
    return s[:12]


def _typo(s: str, rng, swap: bool) -> str:
    if swap:
        for _ in range(20):
            i = int(rng.integers(12, 15)) if rng.random() < 0.6 else int(rng.integers(6, 12))
            if s[i] != s[i + 1]:
                return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
        return s
    i = int(rng.integers(12, 16)) if rng.random() < 0.6 else int(rng.integers(6, 12))
    d = (int(s[i]) + int(rng.integers(1, 10))) % 10
    return s[:i] + str(d) + s[i + 1 :]


def _alter_dob(days: int, rng, asd: int) -> int:
    dd = date(1970, 1, 1) + timedelta(days=int(days))
    r = rng.random()
    new = dd
    if r < 0.3 and dd.day <= 12 and dd.day != dd.month:
        new = date(dd.year, dd.day, dd.month)
    elif r < 0.65:
        new = dd + timedelta(days=int(_choice(rng, (-2, -1, 1, 2, 10, -10))))
    else:
        dy = int(_choice(rng, (-5, -2, -1, 1, 2, 10, -10)))
        day = min(dd.day, 28) if dd.month == 2 else dd.day
        new = date(dd.year + dy, dd.month, day)
    out = (new - date(1970, 1, 1)).days
    if out >= asd or out == days or asd - out > 110 * 365:
        out = days - 1 if days - 1 < asd else days - 3
    return out


def _semantics(rng, pop: Population, rows: Rows, specs: list[FileSpec], asd: int) -> Semantics:
    n = len(rows.person)
    p = rows.person
    is_csv = np.array([s.fmt == "csv" for s in specs])[rows.file]
    numeric = np.array([s.nik_numeric for s in specs])[rows.file]
    true_nik = pop.nik[p]

    # defects for ordinary rows
    u = rng.random(n)
    defect = np.zeros(n, dtype=np.int8)
    acc = 0.0
    for code, pr in DEFECT_P.items():
        m = (u >= acc) & (u < acc + pr)
        defect[m] = code
        acc += pr
    extra = rng.random(n)
    defect = np.where((defect == 0) & is_csv & (extra < P_SCI_CSV), D_NIK_SCI, defect)
    defect = np.where((defect == 0) & numeric & (extra < P_DAMAGED_NUMERIC), D_NIK_DAMAGED, defect)
    defect[rows.hard > 0] = D_NONE
    # persons with a former district code keep a clean NIK (their warning stays alone)
    defect[np.isin(defect, NIK_DEFECTS) & pop.old_code[p]] = D_NONE
    # a person whose name is spelled differently in some row keeps the true birth date in
    # every row: name and birth date both differing would look like another person's NIK
    varied = np.isin(p, np.unique(p[rows.vary]))
    defect[(defect == D_DOB_MISMATCH) & varied] = D_NONE

    all_nik = pop.nik
    # damaged numeric NIK: last digit 0, must not become serial 0000 or another person's NIK
    dm = np.flatnonzero(defect == D_NIK_DAMAGED)
    if len(dm):
        damaged = np.array([s[:15] + "0" for s in true_nik[dm]], dtype="U16")
        bad = np.isin(damaged, all_nik) | (np.char.endswith(damaged, "0000"))
        defect[dm[bad]] = D_NONE

    nik_kind = np.where(numeric & ~pop.old_code[p], 2, 1).astype(np.int8)
    nik_digits = true_nik.astype(object)

    def set_nik(mask, fn):
        idx = np.flatnonzero(mask)
        if len(idx):
            nik_digits[idx] = _mutate(rng, list(true_nik[idx]), fn)
            nik_kind[idx] = 1

    nik_kind[defect == D_NIK_MISSING] = 0
    nik_digits[defect == D_NIK_MISSING] = ""
    set_nik(defect == D_NIK_FORMAT, _nik_format_error)
    set_nik(defect == D_NIK_PROVINCE, lambda s, r: str(_choice(r, V.BAD_PROVINCES)) + s[2:])
    set_nik(defect == D_NIK_DATE, _nik_date_error)
    set_nik(defect == D_NIK_SERIAL, lambda s, r: s[:12] + "0000")
    m = defect == D_NIK_SCI
    nik_kind[m] = 3
    m = defect == D_NIK_DAMAGED
    nik_digits[m] = [s[:15] + "0" for s in true_nik[m]]
    nik_kind[m] = 2
    # sex unreadable with an unusable NIK
    m = np.flatnonzero(defect == D_SEX_INVALID)
    half = rng.random(len(m)) < 0.5
    nik_kind[m[half]] = 0
    nik_digits[m[half]] = ""
    set_nik(np.isin(np.arange(n), m[~half]), _nik_format_error)

    # hard cases: the altered NIK belongs to nobody (nor to a damaged NIK written elsewhere)
    taken = set(all_nik.tolist())
    taken.update(nik_digits[defect == D_NIK_DAMAGED].tolist())
    for hk, swap in ((1, False), (2, True)):
        idx = np.flatnonzero(rows.hard == hk)
        for i in idx:
            s = true_nik[i]
            for _ in range(50):
                t = _typo(s, rng, swap)
                if t != s and t not in taken:
                    break
            else:  # pragma: no cover
                t = s[:15] + ("1" if s[15] != "1" else "2")
            taken.add(t)
            nik_digits[i] = t
            nik_kind[i] = 1
    m = rows.hard == 3
    nik_kind[m] = 0
    nik_digits[m] = ""
    # numeric cells only for plain 16-digit NIKs below 2**53; others stay text
    num = nik_kind == 2
    if num.any():
        vals = np.array([int(x) if len(x) == 16 and x.isdigit() else -1 for x in nik_digits[num]])
        bad = (vals < 0) | (vals >= FLOAT_EXACT)
        idx = np.flatnonzero(num)[bad]
        nik_kind[idx] = 1

    # KK
    kk_kind = np.where(numeric, 2, 1).astype(np.int8)
    kk_true = pop.kk[p]
    kk_digits = kk_true.astype(object)
    kk_kind[defect == D_KK_MISSING] = 0
    kk_digits[defect == D_KK_MISSING] = ""
    idx = np.flatnonzero(defect == D_KK_FORMAT)
    kk_digits[idx] = _mutate(rng, list(kk_true[idx]), _kk_format_error)
    kk_kind[idx] = 1

    # birth date
    dob = pop.dob[p].copy()
    dob_state = np.zeros(n, dtype=np.int8)
    dob_text = np.full(n, "", dtype=object)
    dob_state[defect == D_DOB_MISSING] = 1
    idx = np.flatnonzero(defect == D_DOB_INVALID)
    dob_state[idx] = 2
    kind = rng.random(len(idx))
    for j, i in enumerate(idx):
        d0 = date(1970, 1, 1) + timedelta(days=int(dob[i]))
        if kind[j] < 0.5:  # unreadable: no such day
            y = d0.year
            opts = (
                f"31/02/{y}",
                f"30-02-{y}",
                f"{y}-02-30",
                f"32/{d0.month:02d}/{y}",
                f"31 Juni {y}",
                f"{d0.day:02d}/00/{y}",
                f"31/04/{y}",
            )
            dob_text[i] = str(_choice(rng, opts))
            dob[i] = -(10**9)
        elif kind[j] < 0.75:  # in the future
            dob[i] = asd + int(rng.integers(30, 4000))
        else:  # more than 120 years ago
            dob[i] = asd - int(rng.integers(122 * 366, 140 * 366))
    idx = np.flatnonzero(defect == D_DOB_MISMATCH)
    for i in idx:
        dob[i] = _alter_dob(int(dob[i]), rng, asd)

    sex_state = pop.sex[p].astype(np.int8)
    sex_state[defect == D_SEX_BLANK] = 2
    m = np.flatnonzero(defect == D_SEX_INVALID)
    sex_state[m] = np.where(rng.random(len(m)) < 0.7, 3, 2)
    m = defect == D_SEX_MISMATCH
    sex_state[m] = 1 - sex_state[m]

    return Semantics(
        nik_kind=nik_kind,
        nik_digits=nik_digits,
        kk_kind=kk_kind,
        kk_digits=kk_digits,
        dob_state=dob_state,
        dob=dob,
        dob_text=dob_text,
        sex_state=sex_state,
        name_missing=defect == D_NAME_MISSING,
        defect=defect,
    )


# ---------------------------------------------------------------------------
# Expected codes, from the written values (the contract's rules)
# ---------------------------------------------------------------------------


def _digits16(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(is 16 digits, value as int64 or 0) for an object array of strings."""
    ok = np.array([len(v) == 16 and v.isdigit() for v in values], dtype=bool)
    ints = np.zeros(len(values), dtype=np.int64)
    if ok.any():
        ints[ok] = np.array(values[ok], dtype="U16").astype(np.int64)
    return ok, ints


def nik_rules(
    kind: np.ndarray, digits: np.ndarray, as_of: date
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """NIK codes plus (valid, embedded birth date in days, embedded sex) per row."""
    present = kind != 0
    sci = kind == 3
    is16, v = _digits16(digits)
    is16 &= present & ~sci
    prov = v // 10**14
    dd = (v // 10**8) % 100
    mm = (v // 10**6) % 100
    yy = (v // 10**4) % 100
    serial = v % 10**4
    prov_ok = np.isin(prov.astype("U2"), list(PROVINCE_CODES))
    female = dd > 40
    day = np.where(female, dd - 40, dd)
    day_ok = ((dd >= 1) & (dd <= 31)) | ((dd >= 41) & (dd <= 71))
    month_ok = (mm >= 1) & (mm <= 12)
    year = (as_of.year // 100) * 100 + yy
    later = (year > as_of.year) | (
        (year == as_of.year) & ((mm > as_of.month) | ((mm == as_of.month) & (day > as_of.day)))
    )
    year = np.where(later, year - 100, year)
    exists = day_ok & month_ok & (day <= _days_in_month(year, mm))
    date_ok = exists
    serial_ok = serial != 0
    codes = {
        "NIK_MISSING": ~present,
        "NIK_TRUNCATED_E": sci,
        "NIK_FORMAT": present & ~sci & ~is16,
        "NIK_PROVINCE": is16 & ~prov_ok,
        "NIK_DATE": is16 & ~date_ok,
        "NIK_SERIAL": is16 & ~serial_ok,
        "NIK_TRUNCATED_R": is16 & (kind == 2) & (v % 10 == 0),
    }
    valid = is16 & prov_ok & date_ok & serial_ok
    emb = np.full(len(kind), -(10**9), dtype=np.int64)
    if valid.any():
        s = np.char.add(
            np.char.add(np.char.zfill(year[valid].astype("U4"), 4), "-"),
            np.char.add(
                np.char.add(np.char.zfill(mm[valid].astype("U2"), 2), "-"),
                np.char.zfill(day[valid].astype("U2"), 2),
            ),
        )
        emb[valid] = s.astype("datetime64[D]").astype(np.int64)
    return codes, valid, emb, female.astype(np.int8)


def _expected_codes(
    sem: Semantics,
    file_regency: np.ndarray,
    occ_group: np.ndarray,
    remark_kind: np.ndarray,
    as_of: date,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expected_codes, warning_codes, status) per row."""
    asd = _as_of_days(as_of)
    n = len(sem.nik_kind)
    codes, valid, emb, emb_sex = nik_rules(sem.nik_kind, sem.nik_digits, as_of)
    is16, v = _digits16(sem.nik_digits)
    kk_present = sem.kk_kind != 0
    kk16, kv = _digits16(sem.kk_digits)
    kk16 &= kk_present
    reg_int = np.array([int(c) for c in file_regency])
    dob_ok = sem.dob_state == 0
    codes.update(
        {
            "KK_MISSING": ~kk_present,
            "KK_FORMAT": kk_present & ~kk16,
            "KK_REGION": kk16 & (kv // 10**12 != reg_int),
            "NAME_MISSING": sem.name_missing,
            "DOB_MISSING": sem.dob_state == 1,
            "DOB_INVALID": (sem.dob_state == 2)
            | (dob_ok & ((sem.dob > asd) | (asd - sem.dob > 120 * 365.2425))),
            "NIK_DOB_MISMATCH": valid & dob_ok & (emb != sem.dob),
            "NIK_SEX_MISMATCH": valid & (sem.sex_state <= 1) & (emb_sex != sem.sex_state),
            "SEX_INVALID": (sem.sex_state >= 2) & ~valid,
            "OCCUPATION_UNKNOWN": occ_group == "unknown",
            "OCCUPATION_AMBIGUOUS": occ_group == "state_or_private",
            **{code: remark_kind == kind for kind, code in REMARK_KIND_CODES.items()},
        }
    )
    district = (v // 10**10).astype("U6")
    warns = {
        "NIK_KECAMATAN_UNKNOWN": is16
        & (sem.nik_kind != 3)
        & (v // 10**14 == 64)
        & ~np.isin(district, list(KALTIM_DISTRICT_CODES)),
        "KK_TRUNCATED": kk16 & (sem.kk_kind == 2) & (kv % 10 == 0),
        "SEX_DERIVED": (sem.sex_state >= 2) & valid,
    }
    # bitmask -> joined strings
    names = list(CODE_NAMES)
    mask = np.zeros(n, dtype=np.int64)
    err = np.zeros(n, dtype=bool)
    rev = np.zeros(n, dtype=bool)
    for bit, name in enumerate(names):
        if name == "NIK_TRUNCATED":
            m = codes["NIK_TRUNCATED_E"] | codes["NIK_TRUNCATED_R"]
            err |= codes["NIK_TRUNCATED_E"]
            rev |= codes["NIK_TRUNCATED_R"] & ~codes["NIK_TRUNCATED_E"]
        else:
            m = codes[name]
            if name in ERROR_CODES:
                err |= m
            else:
                rev |= m
        mask |= m.astype(np.int64) << bit
    wmask = np.zeros(n, dtype=np.int64)
    for bit, name in enumerate(WARNING_NAMES):
        wmask |= warns[name].astype(np.int64) << bit

    def join(maskarr, labels):
        uniq, inv = np.unique(maskarr, return_inverse=True)
        strs = np.array(
            [";".join(lab for b, lab in enumerate(labels) if (int(u) >> b) & 1) for u in uniq],
            dtype=object,
        )
        return strs[inv]

    status = np.where(err, "rejected", np.where(rev, "review", "accepted")).astype(object)
    return join(mask, names), join(wmask, WARNING_NAMES), status


def _remarks(rng, rows: Rows, specs: list[FileSpec]) -> tuple[np.ndarray, np.ndarray]:
    """(kind, text) of each row's remark: only in files with a KETERANGAN column; kind ""
    (blank), "neutral" (says nothing against the person) or a key of REMARK_KIND_CODES."""
    n = len(rows.person)
    has = np.array(["ket" in s.columns for s in specs], dtype=bool)[rows.file]
    kinds = tuple(REMARK_KIND_P)
    p = np.array([REMARK_KIND_P[k] for k in kinds])
    pick = rng.choice(len(kinds) + 1, size=n, p=np.r_[p, 1 - p.sum()])
    kind = np.array([*kinds, ""], dtype=object)[pick]
    kind[~has] = ""
    text = np.full(n, None, dtype=object)
    for k in kinds:
        m = np.flatnonzero(kind == k)
        text[m] = _choice(rng, V.REMARKS[k], size=len(m))
    return kind, text


def _name_variation(name: str, female: bool, rng) -> tuple[str, str]:
    """One Indonesian variation of a plain name: (variant, kind), or (name, "") if none."""
    words = name.split()
    options = ["bin_binti", "old_spelling", ""]
    if any(w in V.NAME_ABBREVIATIONS for w in words):
        options.append("abbreviation")
    if any(w in V.NAME_NUR for w in words):
        options.append("nur")
    kind = str(_choice(rng, sorted(options)))
    if kind == "abbreviation":
        out = [str(_choice(rng, V.NAME_ABBREVIATIONS[w])) if w in V.NAME_ABBREVIATIONS else w
               for w in words]  # fmt: skip
        return " ".join(out), kind
    if kind == "nur":
        out = [str(_choice(rng, V.NAME_NUR[w])) if w in V.NAME_NUR else w for w in words]
        return " ".join(out), kind
    if kind == "bin_binti":
        father = str(_choice(rng, V.FATHER_NAMES))
        return f"{name} {'BINTI' if female else 'BIN'} {father}", kind
    if kind == "old_spelling":
        for modern, old in V.OLD_SPELLINGS:
            if modern in name:
                return name.replace(modern, old, 1), kind
    return name, ""


def _typo_name_variants(rng, pop: Population, rows: Rows, sem: Semantics, rend) -> np.ndarray:
    """Rewrite the names of typo-NIK duplicates with an Indonesian variation (in the case the
    file writes names in); returns the kind of variation per row ("" for other rows)."""
    kind = np.full(len(rows.person), "", dtype=object)
    names = rend.cols["nama"]
    for i in np.flatnonzero((rows.hard == 1) & ~sem.name_missing):
        p = rows.person[i]
        variant, kind[i] = _name_variation(pop.name[p], bool(pop.sex[p] == 1), rng)
        if kind[i]:
            written = str(names[i])
            names[i] = variant if written.isupper() else variant.title()
    return kind


# ---------------------------------------------------------------------------
# Rendering: cell values as the regency wrote them
# ---------------------------------------------------------------------------


class DateCell(int):
    """An Excel serial to be written as a date-formatted cell."""

    __slots__ = ()


def _name_variant(name: str, rng) -> str:
    toks = name.split()
    r = rng.random()
    if "MUHAMMAD" in toks:
        rep = str(_choice(rng, ("MUHAMAD", "MOHAMMAD", "MOH.", "M.", "MUH.")))
        return " ".join(rep if t == "MUHAMMAD" else t for t in toks)
    if r < 0.3 and len(toks) >= 3:
        return " ".join([toks[0], toks[-1]])
    for a, b in (
        ("NUR", "NOOR"),
        ("SITI", "SITTI"),
        ("SYA", "SA"),
        ("KH", "H"),
        ("Y", "I"),
        ("TH", "T"),
    ):
        if a in name:
            return name.replace(a, b, 1)
    if "AA" not in name and "A" in name[1:]:
        i = name.index("A", 1)
        return name[:i] + "AA" + name[i + 1 :]
    return name


def _apply_case(values: list[str], mode: str, rng) -> list[str]:
    if mode == "upper":
        return [v.upper() for v in values]
    if mode == "title":
        return [v.title() for v in values]
    pick = rng.random(len(values))
    return [
        v.upper() if x < 0.6 else (v.title() if x < 0.9 else v.lower())
        for v, x in zip(values, pick, strict=True)
    ]


def _decorate(s: str, how: str) -> str:
    if how == "apostrophe":
        return "'" + s
    if how == "spaces":
        return f"{s[:4]} {s[4:8]} {s[8:12]} {s[12:]}"
    if how == "dots":
        return f"{s[:2]}.{s[2:4]}.{s[4:6]}.{s[6:12]}.{s[12:]}"
    return f"{s[:6]}-{s[6:12]}-{s[12:]}"


def _rupiah(x: int, style: int) -> object:
    dotted = f"{x:,}".replace(",", ".")
    if style == 0:
        return int(x)
    if style == 1:
        return dotted
    if style == 2:
        return f"Rp {dotted}"
    if style == 3:
        return f"Rp. {dotted}"
    return str(int(x))


@dataclass
class Rendered:
    cols: dict[str, np.ndarray]  # logical column -> object array (None = blank)


def _render(
    rng, pop: Population, rows: Rows, sem: Semantics, specs: list[FileSpec], as_of: date
) -> Rendered:
    n = len(rows.person)
    p = rows.person
    f = rows.file
    out: dict[str, np.ndarray] = {}

    def per_file(attr):
        return np.array([getattr(s, attr) for s in specs], dtype=object)[f]

    is_csv = per_file("fmt") == "csv"

    # identity columns
    def ident(kind, digits, true_vals):
        col = np.full(n, None, dtype=object)
        txt = kind == 1
        dec_p = per_file("id_decor_p").astype(float)
        dec = per_file("id_decor")
        use = txt & (rng.random(n) < dec_p)
        col[txt] = digits[txt]
        idx = np.flatnonzero(use)
        col[idx] = [_decorate(s, h) for s, h in zip(digits[idx], dec[idx], strict=True)]
        num = np.flatnonzero(kind == 2)
        col[num] = [int(s) for s in digits[num]]
        csv_num = num[is_csv[num]]
        col[csv_num] = [str(v) for v in col[csv_num]]
        sci = np.flatnonzero(kind == 3)
        col[sci] = [f"{int(s):.5E}" for s in true_vals[sci]]
        return col

    out["nik"] = ident(sem.nik_kind, sem.nik_digits, pop.nik[p])
    out["kk"] = ident(sem.kk_kind, sem.kk_digits, pop.kk[p])

    # names
    base = pop.name[p].copy()
    vi = np.flatnonzero(rows.vary)
    base[vi] = [_name_variant(s, rng) for s in base[vi]]
    title = pop.title[p]
    show = (title != "") & (rng.random(n) < 0.7) & (sem.defect != D_DOB_MISMATCH)
    ti = np.flatnonzero(show)
    base[ti] = [
        (f"{nm}{t}" if t.startswith(",") else f"{t} {nm}")
        for nm, t in zip(base[ti], title[ti], strict=True)
    ]
    names = np.empty(n, dtype=object)
    case = per_file("name_case")
    for mode in ("upper", "title", "mixed"):
        m = np.flatnonzero(case == mode)
        names[m] = _apply_case(list(base[m]), mode, rng)
    # apostrophes typed in Word become curly ones
    curly = np.flatnonzero(rng.random(n) < 0.3)
    names[curly] = [v.replace("'", "\u2019") for v in names[curly]]
    names[sem.name_missing] = None
    out["nama"] = names

    tcase = per_file("text_case")

    def cased(values: np.ndarray) -> np.ndarray:
        res = np.empty(n, dtype=object)
        up = tcase == "upper"
        res[up] = [str(v).upper() for v in values[up]]
        res[~up] = [str(v).title() for v in values[~up]]
        return res

    out["tempat"] = cased(pop.birthplace[p])
    out["alamat"] = cased(pop.address[p])
    out["desa"] = cased(pop.desa[p])
    rtrw = pop.rtrw[p].copy()
    short = rng.random(n) < 0.2
    rtrw[short] = [f"{int(a):02d}/{int(b):02d}" for a, b in (s.split("/") for s in rtrw[short])]
    out["rtrw"] = rtrw

    # kecamatan shown: the person's, or (submitted elsewhere) one of the submitting regency
    file_reg = np.array([s.regency for s in specs], dtype=object)[f]
    dom_reg = np.array(V.REGENCY_CODES, dtype=object)[pop.regency[p]]
    kec_code = pop.kec[p].copy()
    away = np.flatnonzero(file_reg != dom_reg)
    for i in away:
        kecs = list(REGENCIES[file_reg[i]].kecamatan)
        kec_code[i] = int(kecs[int(rng.integers(0, len(kecs)))])
    kec_name = np.array(
        [REGENCIES[r].kecamatan[f"{k:02d}"] for r, k in zip(file_reg, kec_code, strict=True)],
        dtype=object,
    )
    out["_kec_code"] = kec_code
    out["_kec_name"] = kec_name
    kn = cased(kec_name)
    pref = per_file("kec_prefix").astype(bool)
    kn[pref] = ["Kec. " + k for k in kn[pref]]
    out["kec"] = kn

    # occupation spellings
    occ = np.empty(n, dtype=object)
    labels = pop.occ_label[p]
    r = rng.random(n)
    for lab, sp in V.OCC_SPELLINGS.items():
        m = np.flatnonzero(labels == lab)
        if len(m):
            w = np.array([4.0 if s.isupper() else 1.0 for s in sp])
            w[0] += 3
            cum = np.cumsum(w / w.sum())
            arr = np.empty(len(sp), dtype=object)
            arr[:] = sp
            occ[m] = arr[np.minimum(np.searchsorted(cum, r[m]), len(sp) - 1)]
    unk = pop.occ_group[p] == "unknown"
    occ[unk] = labels[unk]
    out["pekerjaan"] = occ

    # income, desil, disability, dependents
    inc = pop.income[p]
    style = per_file("income_style").astype(int)
    style = np.where(rng.random(n) < 0.1, rng.integers(1, 5, n), style)
    style = np.where(is_csv & (style == 0), 4, style)
    col = np.full(n, None, dtype=object)
    have = np.flatnonzero(~np.isnan(inc))
    col[have] = [_rupiah(int(x), int(s)) for x, s in zip(inc[have], style[have], strict=True)]
    out["penghasilan"] = col
    as_text = per_file("num_as_text").astype(bool)
    des = pop.desil[p]
    col = np.full(n, None, dtype=object)
    have = np.flatnonzero(des > 0)
    col[have] = [
        str(int(x)) if t else int(x) for x, t in zip(des[have], as_text[have], strict=True)
    ]
    out["desil"] = col
    deps = pop.deps[p]
    out["tanggungan"] = np.array(
        [str(int(x)) if t else int(x) for x, t in zip(deps, as_text, strict=True)], dtype=object
    )
    dstyle = per_file("disab_style").astype(int)
    yes = (("Ya", "Tidak"), ("YA", "TIDAK"), ("ya", "tidak"))
    out["disab"] = np.array(
        [yes[s][0 if d else 1] for s, d in zip(dstyle, pop.disab[p], strict=True)], dtype=object
    )

    # phone
    ph = pop.phone[p].copy()
    col = np.full(n, None, dtype=object)
    have = np.flatnonzero(ph != "")
    kind = rng.random(len(have))
    col[have] = [
        s
        if k < 0.7
        else (
            f"{s[:4]}-{s[4:8]}-{s[8:]}"
            if k < 0.85
            else ("+62 " + s[1:] if k < 0.95 else "62" + s[1:])
        )
        for s, k in zip(ph[have], kind, strict=True)
    ]
    out["hp"] = col

    # sex
    fam = per_file("sex_family").astype(int)
    dev = rng.random(n) < per_file("sex_dev_p").astype(float)
    fam = np.where(dev, rng.integers(0, len(V.SEX_FAMILIES), n), fam)
    col = np.full(n, None, dtype=object)
    ok = np.flatnonzero(sem.sex_state <= 1)
    col[ok] = [V.SEX_FAMILIES[a][b] for a, b in zip(fam[ok], sem.sex_state[ok], strict=True)]
    numeric_sex = np.flatnonzero((sem.sex_state <= 1) & (fam == 5) & ~is_csv)
    col[numeric_sex] = [int(x) for x in col[numeric_sex]]
    g = np.flatnonzero(sem.sex_state == 3)
    col[g] = list(_choice(rng, V.SEX_GARBAGE, size=len(g)))
    out["jk"] = col

    out["tgl"] = _render_dates(rng, sem, specs, f, is_csv, as_of)
    return Rendered(out)


def _render_dates(rng, sem: Semantics, specs, f, is_csv, as_of: date) -> np.ndarray:
    n = len(f)
    main = np.array([s.date_main for s in specs])[f]
    mix = rng.random(n) < np.array([s.date_mix_p for s in specs])[f]
    fmt = np.where(mix, rng.integers(0, 8, n), main)
    # csv: text only; date cells and serials become dd/mm/yyyy
    fmt = np.where(is_csv & (fmt <= 1), 2, fmt)
    ok = sem.dob_state == 0
    valid_date = sem.dob > -(10**8)
    y, m, d = _ymd(np.where(valid_date, sem.dob, 0))
    # two-digit years only where the century rule gives the same year back
    yy = y % 100
    y2 = (as_of.year // 100) * 100 + yy
    later = (y2 > as_of.year) | (
        (y2 == as_of.year) & ((m > as_of.month) | ((m == as_of.month) & (d > as_of.day)))
    )
    y2 = np.where(later, y2 - 100, y2)
    fmt = np.where((fmt == 5) & (y2 != y), 2, fmt)
    # invalid dates (future / too old) as text; pre-1900 dates cannot be date cells
    fmt = np.where(~ok & (fmt <= 1), 2, fmt)
    fmt = np.where(~ok & (fmt == 5), 3, fmt)
    serial = sem.dob - int(np.datetime64(EXCEL_EPOCH, "D").astype(np.int64))
    col = np.full(n, None, dtype=object)
    for code in range(8):
        idx = np.flatnonzero((fmt == code) & valid_date & (sem.dob_state != 1))
        if not len(idx):
            continue
        yi, mi, di = y[idx], m[idx], d[idx]
        if code == 0:
            vals = [DateCell(int(s)) for s in serial[idx]]
        elif code == 1:
            vals = [int(s) for s in serial[idx]]
        elif code == 2:
            vals = [f"{a:02d}/{b:02d}/{c}" for a, b, c in zip(di, mi, yi, strict=True)]
        elif code == 3:
            vals = [f"{a:02d}-{b:02d}-{c}" for a, b, c in zip(di, mi, yi, strict=True)]
        elif code == 4:
            up = rng.random(len(idx)) < 0.3
            vals = [
                f"{a} {V.MONTHS_LONG[b - 1].upper() if u else V.MONTHS_LONG[b - 1]} {c}"
                for a, b, c, u in zip(di, mi, yi, up, strict=True)
            ]
        elif code == 5:
            vals = [
                f"{a:02d}-{V.MONTHS_SHORT[b - 1]}-{c % 100:02d}"
                for a, b, c in zip(di, mi, yi, strict=True)
            ]
        elif code == 6:
            vals = [f"{c}-{b:02d}-{a:02d}" for a, b, c in zip(di, mi, yi, strict=True)]
        else:
            vals = [f"{a}/{b}/{c}" for a, b, c in zip(di, mi, yi, strict=True)]
        col[idx] = vals
    bad = np.flatnonzero((sem.dob_state == 2) & ~valid_date)
    col[bad] = sem.dob_text[bad]
    return col


# ---------------------------------------------------------------------------
# Layout: order, sheets, row numbers, footers
# ---------------------------------------------------------------------------


@dataclass
class SheetLayout:
    name: str
    rows: np.ndarray  # row indices in write order
    row_numbers: np.ndarray  # 1-based
    header_row: int  # 1-based
    blank_after: np.ndarray  # 1-based row numbers of blank rows inside the data
    footer: list[list[object]]  # rows after the data (None = blank row)
    footer_start: int  # 1-based row number of the first footer row
    titles: tuple[str, ...]
    extra: list[tuple[int, int, object]] = field(default_factory=list)  # (row, col, text)


def _footer(rng, spec: FileSpec, n_rows: int, income_sum: int, ncols: int, income_col: int) -> list:
    if not spec.footer:
        return []
    c = spec.footer_col
    lines: list = []
    if rng.random() < 0.3:
        lines.append(None)
    jml = [None] * ncols
    jml[c] = str(_choice(rng, ("JUMLAH", "Jumlah", "JUMLAH TOTAL")))
    if income_col >= 0 and rng.random() < 0.6:
        jml[income_col] = income_sum if spec.fmt != "csv" else f"{income_sum:,}".replace(",", ".")
    elif ncols > c + 2:
        jml[c + 2] = f"{n_rows} orang"
    lines.append(jml)
    lines.append(None)
    sd = spec.sign_date
    city = V.REGENCY_CAPITAL[spec.regency]
    sig = [
        f"{city}, {sd.day} {V.MONTHS_LONG[sd.month - 1]} {sd.year}",
        "Mengetahui,",
        f"Kepala Dinas Sosial {REGENCIES[spec.regency].full_name}",
        None,
        None,
        spec.official,
        f"NIP. 19{int(rng.integers(65, 81))}{int(rng.integers(1, 13)):02d}"
        f"{int(rng.integers(1, 29)):02d} {int(rng.integers(1990, 2000))}"
        f"{int(rng.integers(1, 13)):02d} {int(rng.integers(1, 3))} 00{int(rng.integers(1, 10))}",
    ]
    for s in sig:
        if s is None:
            lines.append(None)
        else:
            row = [None] * ncols
            row[c] = s
            lines.append(row)
    return lines


def _layout(
    rng, spec: FileSpec, idx: np.ndarray, rows: Rows, rend: Rendered, pop: Population
) -> list[SheetLayout]:
    kec_code = rend.cols["_kec_code"][idx]
    key = rows.okey[idx]
    groups = np.unique(kec_code) if spec.split_sheets else np.array([-1])
    sheets = []
    ncols = len(spec.columns)
    inc_col = spec.columns.index("penghasilan") if "penghasilan" in spec.columns else -1
    for g in groups:
        sel = idx if g < 0 else idx[kec_code == g]
        k = kec_code if g < 0 else kec_code[kec_code == g]
        kk = key if g < 0 else key[kec_code == g]
        order = np.lexsort((kk, k)) if spec.kec_sorted else np.argsort(kk, kind="stable")
        sel = sel[order]
        n = len(sel)
        if g < 0:
            name = spec.sheet_name
            titles = spec.titles
        else:
            kname = REGENCIES[spec.regency].kecamatan[f"{int(g):02d}"]
            name = kname.upper() if spec.text_case == "upper" else kname
            titles = spec.titles
            if len(titles) >= 2:
                titles = (titles[0], f"{titles[1]} - KECAMATAN {kname.upper()}") + titles[2:]
        header_row = spec.title_rows + 1
        if spec.blank_rate > 0 and n > 2:
            nb = min(int(rng.binomial(n - 1, spec.blank_rate)), n - 1)
            gaps = (
                np.sort(rng.choice(np.arange(1, n), size=nb, replace=False))
                if nb
                else np.array([], int)
            )
        else:
            gaps = np.array([], dtype=np.int64)
        pos = np.arange(n)
        starts, extra_rows = np.zeros(0, dtype=np.int64), np.zeros(n, dtype=np.int64)
        if spec.kec_sections and n:
            # a section title above each kecamatan's rows and a subtotal below them
            starts = np.flatnonzero(np.r_[True, k[order][1:] != k[order][:-1]])
            gaps = np.setdiff1d(gaps, starts)
            extra_rows = 2 * (np.searchsorted(starts, pos, side="right") - 1) + 1
        before = np.searchsorted(gaps, pos, side="right")
        rownum = header_row + 1 + pos + before + extra_rows
        blank_rows = rownum[gaps] - 1
        inc = pop.income[rows.person[sel]]
        inc_sum = int(np.nansum(inc))
        foot = _footer(rng, spec, n, inc_sum, ncols, inc_col)
        extra = _section_rows(spec, starts, rownum, k[order], ncols)
        last = max([int(rownum[-1]) if n else header_row] + [r for r, _, _ in extra])
        sheets.append(
            SheetLayout(name, sel, rownum, header_row, blank_rows, foot, last + 1, titles, extra)
        )
    return sheets


def _section_rows(
    spec: FileSpec, starts: np.ndarray, rownum: np.ndarray, kec: np.ndarray, ncols: int
) -> list[tuple[int, int, object]]:
    """Cells of the section title row above each kecamatan's rows and the subtotal row below."""
    out: list[tuple[int, int, object]] = []
    if not len(starts):
        return out
    ends = np.r_[starts[1:], len(rownum)] - 1
    c = spec.footer_col
    for i, (first, last) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        name = REGENCIES[spec.regency].kecamatan[f"{int(kec[first]):02d}"]
        title, total = V.SECTION_TITLES[spec.section_style]
        shown = name.upper() if spec.text_case == "upper" else name
        out.append((int(rownum[first]) - 1, c, title.format(name=shown, n=i + 1)))
        out.append((int(rownum[last]) + 1, c, total.format(name=shown)))
        if ncols > c + 2:
            out.append((int(rownum[last]) + 1, c + 2, f"{last - first + 1} orang"))
    return out


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------


@dataclass
class SheetPayload:
    """Everything needed to write one sheet (picklable, for worker processes)."""

    name: str
    titles: tuple[str, ...]
    header_row: int
    row_numbers: list[int]
    blank_rows: list[int]
    columns: list[list | None]  # per column: values (None = blank); None for the NO column
    footer: list
    footer_start: int
    extra: list[tuple[int, int, object]] = field(default_factory=list)  # (row, col, text)
    merges: list[tuple[int, int, int]] = field(default_factory=list)  # (first row, last row, col)


def _payload(
    spec: FileSpec, sheets: list[SheetLayout], rend: Rendered, household: np.ndarray
) -> list[SheetPayload]:
    out = []
    for sh in sheets:
        sel = sh.rows
        columns = [None if c == "no" else rend.cols[c][sel] for c in spec.columns]
        merges: list[tuple[int, int, int]] = []
        if spec.merge_families:
            for j, c in enumerate(spec.columns):
                if c in FAMILY_MERGED:
                    columns[j], ranges = _merged_down(columns[j], household[sel], sh.row_numbers)
                    merges += [(first, last, j) for first, last in ranges]
        out.append(
            SheetPayload(
                name=sh.name,
                titles=sh.titles,
                header_row=sh.header_row,
                row_numbers=sh.row_numbers.tolist(),
                blank_rows=sh.blank_after.tolist(),
                columns=[None if v is None else v.tolist() for v in columns],
                footer=sh.footer,
                footer_start=sh.footer_start,
                extra=sh.extra,
                merges=merges,
            )
        )
    return out


def _merged_down(
    values: np.ndarray, household: np.ndarray, row_numbers: np.ndarray
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A column with each family's run of equal values (adjacent rows of one household, the same
    value written, an empty one too) merged: the value in the run's first row only, and the
    runs' first and last row numbers. What the reader sees is what each row was given."""
    n = len(values)
    if n < 2:
        return values, []
    same = (
        (household[1:] == household[:-1])
        & (row_numbers[1:] == row_numbers[:-1] + 1)
        & np.array(
            [a == b and type(a) is type(b) for a, b in zip(values[1:], values[:-1], strict=True)]
        )
    )
    run = np.r_[0, np.cumsum(~same)]
    first = np.flatnonzero(np.r_[True, ~same])
    size = np.bincount(run)
    merged = first[size >= 2]
    values = values.copy()
    values[np.flatnonzero(np.r_[False, same])] = None
    last = merged + size[size >= 2] - 1
    return values, list(zip(row_numbers[merged].tolist(), row_numbers[last].tolist(), strict=True))


def _write_file(path: str, spec: FileSpec, sheets: list[SheetPayload]) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    writer = {"xlsx": _write_xlsx, "xls": _write_xls, "ods": _write_ods}.get(spec.fmt, _write_csv)
    writer(Path(path), spec, sheets)
    return path


def _write_all(
    jobs: list[tuple[int, str, FileSpec, list[SheetPayload]]], workers: int | None
) -> None:
    """Write the files, the largest first, in worker processes when worth it."""
    jobs = sorted(jobs, key=lambda j: (-j[0], j[1]))
    total = sum(j[0] for j in jobs)
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if total >= 50_000 else 1
    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        for _, path, spec, sheets in jobs:
            _write_file(path, spec, sheets)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [pool.submit(_write_file, path, spec, sheets) for _, path, spec, sheets in jobs]
        for fut in futures:
            fut.result()


def _write_xlsx(path: Path, spec: FileSpec, sheets: list[SheetPayload]) -> None:
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties(
        {
            "created": spec.created,
            "author": "Dinas Sosial",
            "company": REGENCIES[spec.regency].full_name,
        }
    )
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "text_wrap": True})
    dfmt = wb.add_format({"num_format": ("dd/mm/yyyy", "dd-mmm-yy", "d mmmm yyyy")[spec.idx % 3]})
    idfmt = wb.add_format({"num_format": "0"})
    money = wb.add_format({"num_format": "#,##0"})
    cols = spec.columns
    ncols = len(cols)
    for sh in sheets:
        ws = wb.add_worksheet(sh.name)
        ws.set_column(0, 0, 5)
        for j, c in enumerate(cols):
            if c in ("nik", "kk"):
                ws.set_column(j, j, 20, idfmt if spec.nik_numeric else None)
            elif c in ("nama", "alamat"):
                ws.set_column(j, j, 28)
            elif c == "penghasilan":
                ws.set_column(j, j, 14, money)
        for r, t in enumerate(sh.titles):
            if not t:
                continue
            if spec.title_merge and ncols > 1:
                ws.merge_range(r, 0, r, ncols - 1, t, bold)
            else:
                ws._write_string(r, 0, t, bold)
        hr = sh.header_row - 1
        for j, h in enumerate(spec.headers):
            ws._write_string(hr, j, h, head)
        # the undecorated writers: the public ones parse A1 notation on every call
        ws_s, ws_n = ws._write_string, ws._write_number
        columns = sh.columns
        extra = sorted(sh.extra)
        at = 0  # constant_memory: section rows are written in their place among the data rows
        for i, r in enumerate(sh.row_numbers):
            r -= 1
            while at < len(extra) and extra[at][0] - 1 < r:
                row, col, text = extra[at]
                ws_s(row - 1, col, text, bold)
                at += 1
            for j in range(ncols):
                colv = columns[j]
                if colv is None:
                    ws_n(r, j, i + 1)
                    continue
                v = colv[i]
                if v is None:
                    continue
                t = type(v)
                if t is str:
                    ws_s(r, j, v)
                elif t is DateCell:
                    ws_n(r, j, int(v), dfmt)
                else:
                    ws_n(r, j, v)
        for row, col, text in extra[at:]:
            ws_s(row - 1, col, text, bold)
        # merged family cells: the value was written in the first row, the others left empty
        ws.merge.extend([first - 1, col, last - 1, col] for first, last, col in sh.merges)
        r = sh.footer_start - 1
        for line in sh.footer:
            if line is not None:
                for j, v in enumerate(line):
                    if v is None:
                        continue
                    if isinstance(v, str):
                        ws_s(r, j, v, bold if j == spec.footer_col else None)
                    else:
                        ws_n(r, j, v)
            r += 1
    if spec.template_sheet:
        ws = wb.add_worksheet(_template_name(sheets))
        for j, h in enumerate(spec.headers):
            ws._write_string(0, j, h, head)
    wb.close()


def _sheet_lines(spec: FileSpec, sh: SheetPayload):
    """Every filled row of a sheet in order: (0-based row, {column: value}, bold), for the
    writers that take a row at a time."""
    ncols = len(spec.columns)
    lines: dict[int, dict[int, object]] = {}
    bold_rows = set()
    for r, t in enumerate(sh.titles):
        if t:
            lines[r] = {0: t}
            bold_rows.add(r)
    lines[sh.header_row - 1] = dict(enumerate(spec.headers))
    bold_rows.add(sh.header_row - 1)
    for i, r in enumerate(sh.row_numbers):
        cells = {}
        for j in range(ncols):
            colv = sh.columns[j]
            v = i + 1 if colv is None else colv[i]
            if v is not None:
                cells[j] = v
        lines[r - 1] = cells
    for row, col, text in sh.extra:
        lines.setdefault(row - 1, {})[col] = text
    for k, line in enumerate(sh.footer):
        if line is not None:
            lines[sh.footer_start - 1 + k] = {j: v for j, v in enumerate(line) if v is not None}
    for r in sorted(lines):
        yield r, lines[r], r in bold_rows


def _title_merges(spec: FileSpec, sh: SheetPayload) -> list[tuple[int, int, int, int]]:
    """(first row, first col, last row, last col), 0-based: titles merged across, families down."""
    out = []
    if spec.title_merge and len(spec.columns) > 1:
        out += [(r, 0, r, len(spec.columns) - 1) for r, t in enumerate(sh.titles) if t]
    return out + [(first - 1, col, last - 1, col) for first, last, col in sh.merges]


# A sheet for the row-at-a-time writers: its name, its filled rows (0-based row, {column:
# value}, bold) in order, and its merged ranges (first row, first col, last row, last col).
CellSheet = tuple[str, list[tuple[int, dict[int, object], bool]], list[tuple[int, int, int, int]]]


def _cell_sheets(spec: FileSpec, sheets: list[SheetPayload]) -> list[CellSheet]:
    out = [(sh.name, list(_sheet_lines(spec, sh)), _title_merges(spec, sh)) for sh in sheets]
    if spec.template_sheet:
        out.append((_template_name(sheets), [(0, dict(enumerate(spec.headers)), True)], []))
    return out


def _template_name(sheets: list[SheetPayload]) -> str:
    """The empty template sheet's name: Excel's second default, unless a data sheet has it."""
    return "Sheet2" if all(sh.name != "Sheet2" for sh in sheets) else "Template"


def _write_xls(path: Path, spec: FileSpec, sheets: list[SheetPayload]) -> None:
    write_xls_cells(path, _cell_sheets(spec, sheets), date_format_of(spec))


def _write_ods(path: Path, spec: FileSpec, sheets: list[SheetPayload]) -> None:
    write_ods_cells(path, _cell_sheets(spec, sheets), spec.created)


def date_format_of(spec: FileSpec) -> str:
    return ("DD/MM/YYYY", "DD-MMM-YY", "D MMMM YYYY")[spec.idx % 3]


def write_xls_cells(path: Path, sheets: list[CellSheet], date_format: str = "DD/MM/YYYY") -> None:
    """An Excel 97-2003 workbook (BIFF8, with xlwt), as old regency offices still send."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    bold = xlwt.easyxf("font: bold on")
    date_style = xlwt.easyxf(num_format_str=date_format)
    plain = xlwt.Style.default_style
    for name, lines, merges in sheets:
        ws = wb.add_sheet(name[:31], cell_overwrite_ok=True)
        for r, cells, is_bold in lines:
            row = ws.row(r)
            for j, v in cells.items():
                if type(v) is DateCell:
                    row.set_cell_number(j, float(int(v)), date_style)
                elif isinstance(v, str):
                    row.set_cell_text(j, v, bold if is_bold else plain)
                else:
                    row.set_cell_number(j, float(v), plain)
        for r0, c0, r1, c1 in merges:
            ws.merge(r0, r1, c0, c1)
    wb.save(str(path))


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def write_ods_cells(path: Path, sheets: list[CellSheet], when: datetime) -> None:
    """An OpenDocument spreadsheet as LibreOffice saves it: merges as spanned and covered
    cells. Written directly (odfpy's output depends on what it wrote before in the process),
    every part dated `when`, so the same seed writes the same bytes."""
    import zipfile
    from xml.sax.saxutils import escape, quoteattr

    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_ODS_NS} ']
    out.append('office:version="1.2"><office:body><office:spreadsheet>')
    for name, lines, merges in sheets:
        spans = {(r0, c0): (r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in merges}
        covered = {
            (r, c)
            for r0, c0, r1, c1 in merges
            for r in range(r0, r1 + 1)
            for c in range(c0, c1 + 1)
            if (r, c) != (r0, c0)
        }
        by_row = {r: cells for r, cells, _ in lines}
        width = max([c + 1 for _, cells, _ in lines for c in cells] + [c1 + 1 for *_, c1 in merges])
        height = max([*by_row, *(r1 for _, _, r1, _ in merges)], default=-1) + 1
        out.append(f"<table:table table:name={quoteattr(name)}>")
        for r in range(height):
            out.append("<table:table-row>")
            cells = by_row.get(r, {})
            for c in range(width):
                if (r, c) in covered:
                    out.append("<table:covered-table-cell/>")
                    continue
                span = ""
                if (r, c) in spans:
                    h, w = spans[(r, c)]
                    span = f' table:number-rows-spanned="{h}" table:number-columns-spanned="{w}"'
                out.append(_ods_cell(cells.get(c), span, escape))
            out.append("</table:table-row>")
        out.append("</table:table>")
    out.append("</office:spreadsheet></office:body></office:document-content>")
    stamp = when.timetuple()[:6]
    with zipfile.ZipFile(path, "w") as package:
        parts = [
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED),
            ("META-INF/manifest.xml", _ODS_MANIFEST, zipfile.ZIP_DEFLATED),
            ("content.xml", "".join(out), zipfile.ZIP_DEFLATED),
        ]
        for name, text, method in parts:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = method
            package.writestr(info, text.encode("utf-8"))


def _ods_cell(value: object, span: str, escape) -> str:
    """One ODS cell: empty, text, a number, or a date (from an Excel serial)."""
    if value is None:
        return f"<table:table-cell{span}/>"
    if type(value) is DateCell:
        day = (EXCEL_EPOCH + timedelta(days=int(value))).isoformat()
        kind = f'office:value-type="date" office:date-value="{day}"'
        text = day
    elif isinstance(value, str):
        kind, text = 'office:value-type="string"', value
    else:
        number = repr(value) if isinstance(value, float) else str(value)
        kind, text = f'office:value-type="float" office:value="{number}"', number
    return f"<table:table-cell {kind}{span}><text:p>{escape(text)}</text:p></table:table-cell>"


def _write_csv(path: Path, spec: FileSpec, sheets: list[SheetPayload]) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=spec.delimiter, lineterminator=spec.newline)
    ncols = len(spec.columns)
    sh = sheets[0]
    for t in sh.titles:
        w.writerow([t] + [""] * (ncols - 1))
    w.writerow(spec.headers)
    blank = [""] * ncols
    columns = sh.columns
    gaps = set(sh.blank_rows)
    r = sh.header_row + 1
    for i in range(len(sh.row_numbers)):
        while r in gaps:
            w.writerow(blank)
            r += 1
        row = []
        for colv in columns:
            if colv is None:
                row.append(str(i + 1))
            else:
                v = colv[i]
                row.append("" if v is None else str(v))
        w.writerow(row)
        r += 1
    for line in sh.footer:
        w.writerow(blank if line is None else ["" if v is None else str(v) for v in line])
    path.write_bytes(buf.getvalue().encode(spec.encoding))


# ---------------------------------------------------------------------------
# Reference lists (already enrolled)
# ---------------------------------------------------------------------------


def _enrolment(
    rng, pop: Population, asd: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Kesehatan (segment, status) and Ketenagakerjaan (status) per person; '' = not listed."""
    n = len(pop)
    age = (asd - pop.dob) / 365.2425
    grp = pop.occ_group
    sub = pop.submitted
    p_k = np.where(grp == "wage_or_state", 0.5, 0.12)
    in_k = np.where(sub, rng.random(n) < p_k, rng.random(n) < 0.5)
    seg = np.full(n, "", dtype=object)
    r = rng.random(n)
    poor = (pop.desil > 0) & (pop.desil <= 5)
    seg[in_k] = np.select(
        [
            grp[in_k] == "wage_or_state",
            poor[in_k] & (r[in_k] < 0.6),
            poor[in_k] & (r[in_k] < 0.8),
            (pop.occ_label[in_k] == V.NOT_WORKING["retired"]) | (age[in_k] >= 65),
            r[in_k] < 0.55,
        ],
        ["PPU", "PBI APBN", "PBI APBD", "BP", "PBPU"],
        "PBPU PEMDA",
    )
    k_status = np.where(in_k, np.where(rng.random(n) < 0.8, "AKTIF", "NONAKTIF"), "").astype(object)
    worker = (
        (age >= 15)
        & (age <= 65)
        & np.isin(grp, ["informal", "wage_or_state", "unknown", "contract_staff"])
    )
    p_t = np.where(worker, 0.075, 0.005)
    in_t = np.where(sub, rng.random(n) < p_t, worker & (rng.random(n) < 0.5))
    t_status = np.where(in_t, np.where(rng.random(n) < 0.7, "AKTIF", "NONAKTIF"), "").astype(object)
    return {"segment": seg, "status": k_status}, {"status": t_status}


def _write_reference(
    rng, reference_dir: Path, pop: Population, kes, tk, created: datetime
) -> list[str]:
    reference_dir.mkdir(parents=True, exist_ok=True)
    idx = np.flatnonzero(kes["status"] != "")
    idx = idx[np.argsort(pop.nik[idx], kind="stable")]
    path = reference_dir / "bpjs_kesehatan_peserta.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    wb.set_properties({"created": created, "author": "BPJS Kesehatan"})
    ws = wb.add_worksheet("Peserta")
    for j, h in enumerate(("NIK", "NAMA", "SEGMEN", "STATUS")):
        ws._write_string(0, j, h)
    for r, i in enumerate(idx.tolist(), start=1):
        ws._write_string(r, 0, pop.nik[i])
        ws._write_string(r, 1, pop.name[i])
        ws._write_string(r, 2, kes["segment"][i])
        ws._write_string(r, 3, kes["status"][i])
    wb.close()
    idx = np.flatnonzero(tk["status"] != "")
    idx = idx[np.argsort(pop.nik[idx], kind="stable")]
    path2 = reference_dir / "bpjs_ketenagakerjaan_peserta.csv"
    df = pd.DataFrame({"NIK": pop.nik[idx], "NAMA": pop.name[idx], "STATUS": tk["status"][idx]})
    df.to_csv(path2, index=False, lineterminator="\n")
    return [str(path), str(path2)]


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


class DemoDataRefused(FileExistsError):
    """The target folder holds files: nothing was written or deleted."""


def _files_in(folder: Path | None) -> list[Path]:
    """Files under `folder` (any depth), hidden ones included; none when it does not exist."""
    if folder is None or not folder.exists():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def _own_files(out_dir: Path) -> set[Path]:
    """Files an earlier `generate_demo_data` wrote under `out_dir`, as its ground truth lists."""
    truth = out_dir / TRUTH_DIR / "files.csv"
    if not truth.is_file():
        return set()
    names = pd.read_csv(truth, dtype=str, keep_default_na=False)["file_name"]
    return {out_dir / name for name in names} | set(_files_in(out_dir / TRUTH_DIR))


REFERENCE_FILES = ("bpjs_kesehatan_peserta.xlsx", "bpjs_ketenagakerjaan_peserta.csv")


def _check_targets(out_dir: Path, reference_dir: Path | None, replace: bool) -> list[Path]:
    """Refuse, before touching anything, a target that holds files (with `replace`: files
    demo-data did not write there itself); the files an earlier output left, to remove."""
    present = _files_in(out_dir)
    own = _own_files(out_dir) if replace else set()
    reference = _files_in(reference_dir)
    own_reference = (
        {reference_dir / name for name in REFERENCE_FILES} if replace and reference_dir else set()
    )
    foreign = [p for p in present if p not in own] + [
        p for p in reference if p not in own_reference
    ]
    if foreign:
        hint = (
            ""
            if replace
            else "; pilih folder baru (--out), atau --replace untuk mengganti hasil demo-data sebelumnya"
        )
        raise DemoDataRefused(
            f"{foreign[0].parent} sudah berisi berkas yang tidak ditulis demo-data "
            f"(mis. {foreign[0].name}); tidak ada yang ditulis atau dihapus{hint}"
        )
    return [p for p in present if p in own] + [p for p in reference if p in own_reference]


def _remove_own(out_dir: Path, files: list[Path]) -> None:
    """Remove an earlier output's own files (listed by its ground truth), then the folders
    they leave empty; nothing else."""
    for path in files:
        path.unlink(missing_ok=True)
    for folder in sorted({p.parent for p in files}, key=lambda p: -len(p.parts)):
        while folder != out_dir and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def generate_demo_data(
    rows: int,
    out_dir: Path,
    seed: int = 0,
    reference_dir: Path | None = None,
    as_of: date = date(2026, 11, 27),
    formats: str = "mixed",
    hard_cases: bool = True,
    revised_files: int = 2,
    workers: int | None = None,
    bpjs_dir: Path | None = None,
    replace: bool = False,
    nik_serial_offset: int = 0,
) -> GroundTruthSummary:
    """Write `rows` data rows of regency submissions under `out_dir`, and the ground truth.

    formats: "mixed" (mostly xlsx, 6 of the 20 regency files csv, 4 small ones xls or ods),
        "xlsx", "xls" / "ods" (the files of up to 20,000 rows; larger ones xlsx) or "csv".
    hard_cases: add duplicate rows whose NIK has a typo, two swapped digits or is missing.
    revised_files: extra "revisi" xlsx files re-sending part of an earlier file (from 500 rows).
    workers: processes writing files in parallel (default: CPU count for 50,000 rows or
        more, else 1); the files are the same whatever the number.
    bpjs_dir: also write BPJS registration results and a monthly bill there, with their
        truth under `bpjs_dir/_truth/` (demo/bpjs_returns.py).
    replace: an earlier demo-data output in `out_dir` (and its reference lists) is replaced;
        without it, a target holding any file is refused. Either way the check comes before
        anything is written, and only files demo-data wrote are ever removed.
    nik_serial_offset: NIK serials start after it (below 8000). Serials at 0 stay far below 5000,
        so a population made at 5000 shares no NIK with one made at 0: persons new to a
        warehouse loaded with it (a regency's next delivery of new candidates).
    """
    import time

    t0 = time.perf_counter()
    if formats not in ("mixed", "xlsx", "xls", "ods", "csv"):
        raise ValueError(f"formats must be 'mixed', 'xlsx', 'xls', 'ods' or 'csv', not {formats!r}")
    if rows < 0:
        raise ValueError("rows must be >= 0")
    out_dir = Path(out_dir)
    earlier = _check_targets(out_dir, Path(reference_dir) if reference_dir else None, replace)
    _remove_own(out_dir, earlier)
    out_dir.mkdir(parents=True, exist_ok=True)
    ss = np.random.SeedSequence(seed)
    r_plan, r_pop, r_rows, r_sem, r_render, r_layout, r_ref, r_files, r_words = (
        np.random.Generator(np.random.PCG64(s)) for s in ss.spawn(9)
    )
    asd = _as_of_days(as_of)

    counts = _plan_counts(rows, hard_cases, revised_files)
    base_counts = _base_counts(r_plan, counts["base"])
    persons_needed: dict[str, int] = {}
    total: dict[str, int] = {}
    for code in V.REGENCY_CODES:
        nk, nt = base_counts[(code, "kesehatan")], base_counts[(code, "ketenagakerjaan")]
        overlap = min(_half_up(0.1 / 1.1 * (nk + nt)), nk, nt)
        persons_needed[code] = nk + nt - overlap
        total[code] = persons_needed[code] + math.ceil(0.12 * persons_needed[code]) + 2
    if not 0 <= nik_serial_offset < 8000:
        raise ValueError("nik_serial_offset must be at least 0 and below 8000")
    pop = build_population(r_pop, total, persons_needed, as_of, nik_serial_offset)
    in_k, in_t = _assign_programs(r_plan, pop, base_counts, asd)

    revised: list[tuple[str, str]] = []
    if counts["revised"]:
        big = sorted(base_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:6]
        pick = r_plan.choice(len(big), size=min(revised_files, len(big)), replace=False)
        revised = [big[int(i)][0] for i in sorted(pick)]
    specs = _plan_files(r_files, base_counts, formats, revised, as_of)

    rws = _build_rows(r_rows, pop, specs, counts, in_k, in_t, rows)
    sem = _semantics(r_sem, pop, rws, specs, asd)
    file_reg = np.array([s.regency for s in specs], dtype=object)[rws.file]
    remark_kind, remark_text = _remarks(r_words, rws, specs)
    exp_codes, warn_codes, status = _expected_codes(
        sem, file_reg, pop.occ_group[rws.person], remark_kind, as_of
    )
    rend = _render(r_render, pop, rws, sem, specs, as_of)
    rend.cols["ket"] = remark_text
    name_variant = _typo_name_variants(r_words, pop, rws, sem, rend)
    # the NIK the pipeline reads after cleaning (16 digits), "" when there is none
    is16, _ = _digits16(sem.nik_digits)
    nik_read = np.where(is16 & np.isin(sem.nik_kind, (1, 2)), sem.nik_digits, "").astype(object)

    # lay out every file (sequentially: the layout draws from the generator), then write
    truth_parts = []
    file_rows = []
    jobs: list[tuple[int, str, FileSpec, list[SheetPayload]]] = []
    order = np.argsort(rws.file, kind="stable")
    bounds = np.searchsorted(rws.file[order], np.arange(len(specs) + 1))
    for spec in specs:
        idx = order[bounds[spec.idx] : bounds[spec.idx + 1]]
        if not len(idx):
            continue
        sheets = _layout(r_layout, spec, idx, rws, rend, pop)
        payload = _payload(spec, sheets, rend, pop.hh[rws.person])
        jobs.append((len(idx), str(out_dir / spec.rel_path), spec, payload))
        n_skipped = 0
        for sh in sheets:
            n_skipped += len(sh.blank_after) + len(sh.footer) + len({r for r, _, _ in sh.extra})
            truth_parts.append(
                pd.DataFrame(
                    {
                        "file_name": spec.rel_path,
                        "sheet": sh.name if spec.fmt != "csv" else "",
                        "row_number": sh.row_numbers,
                        "_row": sh.rows,
                    }
                )
            )
        file_rows.append(
            {
                "file_name": spec.rel_path,
                "regency_code": spec.regency,
                "program": spec.program,
                "n_rows": len(idx),
                "n_skipped": n_skipped,
                "format": spec.fmt,
                "n_sheets": len(sheets),
                "encoding": spec.encoding if spec.fmt == "csv" else "",
                "delimiter": spec.delimiter if spec.fmt == "csv" else "",
                "revision_of": specs[spec.revised_of].rel_path if spec.revised_of >= 0 else "",
            }
        )
    del rend
    _write_all(jobs, workers)

    truth_dir = out_dir / TRUTH_DIR
    truth_dir.mkdir(parents=True, exist_ok=True)
    rows_df = (
        pd.concat(truth_parts, ignore_index=True)
        if truth_parts
        else pd.DataFrame({"file_name": [], "sheet": [], "row_number": [], "_row": []})
    )
    ri = rows_df["_row"].to_numpy(dtype=np.int64)
    pid = np.char.add("P", np.char.zfill(np.arange(len(pop)).astype("U7"), 7))
    hard_lab = np.array(["", *HARD_LABELS.values()], dtype=object)[rws.hard[ri]]
    special = pop.special[rws.person[ri]]
    hard_lab = np.where(hard_lab == "", special, hard_lab)
    rows_df = rows_df.drop(columns="_row").assign(
        true_person=pid[rws.person[ri]],
        expected_status=status[ri],
        expected_codes=exp_codes[ri],
        warning_codes=warn_codes[ri],
        hard_case=hard_lab,
        nik_true=pop.nik[rws.person[ri]],
        nik_read=nik_read[ri],
        dup_kind=np.array([DUP_LABELS[k] for k in range(5)], dtype=object)[rws.dup[ri]],
        remark_kind=remark_kind[ri],
        name_variant=name_variant[ri],
    )
    rows_df.to_csv(truth_dir / "rows.csv", index=False, lineterminator="\n")
    files_df = pd.DataFrame(file_rows)
    files_df.to_csv(truth_dir / "files.csv", index=False, lineterminator="\n")

    # persons and enrolment
    kes, tk = _enrolment(r_ref, pop, asd)
    ref_files: list[str] = []
    if reference_dir is not None:
        ref_files = _write_reference(
            r_ref, Path(reference_dir), pop, kes, tk, datetime(as_of.year, 1, 5, 9, 0)
        )
        covered = (kes["status"] == "AKTIF") & (kes["segment"] != "PBPU")
        tk_active = tk["status"] == "AKTIF"
    else:
        covered = np.zeros(len(pop), dtype=bool)
        tk_active = np.zeros(len(pop), dtype=bool)
    used = np.unique(rws.person)
    dob = pop.dob[used].astype("datetime64[D]").astype(str)
    persons = pd.DataFrame(
        {
            "true_person": pid[used],
            "nik": pop.nik[used],
            "no_kk": pop.kk[used],
            "nama": pop.name[used],
            "tanggal_lahir": dob,
            "jenis_kelamin": np.where(pop.sex[used] == 1, "P", "L"),
            "regency_code": np.array(V.REGENCY_CODES)[pop.regency[used]],
            "pekerjaan": pop.occ_label[used],
            "occupation_group": pop.occ_group[used],
            "desil": pd.array([int(x) if x > 0 else None for x in pop.desil[used]], dtype="Int64"),
            "disabilitas": pop.disab[used],
            "jumlah_tanggungan": pop.deps[used],
            "penghasilan": pd.array(pop.income[used], dtype="Float64").round(0).astype("Int64"),
            "enrolled_kesehatan_covered": covered[used],
            "enrolled_ketenagakerjaan_active": tk_active[used],
        }
    )
    persons.to_csv(truth_dir / "persons.csv", index=False, lineterminator="\n")
    if bpjs_dir is not None:
        from demo.bpjs_returns import write_bpjs_returns

        r_bpjs = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 17])))
        never = np.setdiff1d(np.arange(len(pop)), used)
        never = r_bpjs.permutation(never)[:60]
        outsiders = pd.DataFrame({"nik": pop.nik[never], "nama": pop.name[never]})
        write_bpjs_returns(r_bpjs, Path(bpjs_dir), rows_df, files_df, persons, outsiders)

    st = rows_df["expected_status"].value_counts()
    code_counts: dict[str, int] = {}
    for s in rows_df["expected_codes"]:
        if s:
            for c in s.split(";"):
                code_counts[c] = code_counts.get(c, 0) + 1
    return GroundTruthSummary(
        out_dir=out_dir,
        truth_dir=truth_dir,
        n_rows=len(rows_df),
        n_files=len(files_df),
        n_persons=len(persons),
        status_counts={k: int(st.get(k, 0)) for k in ("accepted", "review", "rejected")},
        code_counts=dict(sorted(code_counts.items())),
        files=tuple(files_df["file_name"]) if len(files_df) else (),
        reference_files=tuple(ref_files),
        seconds=time.perf_counter() - t0,
    )
