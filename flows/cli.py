"""The `tepat` command line: run the pipeline, serve it on a schedule, generate demo data."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from flows.settings import Settings

# Prefect's ephemeral API (no PREFECT_API_URL set) can take long to start on a busy 2-core host.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# The system holds personal data: no usage telemetry from Prefect (or anything honouring
# DO_NOT_TRACK), in `tepat run`, `tepat serve` and every other command.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

# Prefect's logging override of its task-run logger ("Task run ... Finished in state ...").
TASK_RUN_LOG_LEVEL = "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL"

DEFAULTS = Settings()
review_app = typer.Typer(no_args_is_help=True, help="Rows and person pairs waiting for an officer.")
app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="tepat: verify BPJS subsidy candidates."
)


@contextmanager
def one_line_errors(command: str, *errors: type[BaseException]) -> Iterator[None]:
    """Expected failures end the command with one line on stderr and exit status 1."""
    try:
        yield
    except errors as exc:
        typer.echo(error_line(command, str(exc)), err=True)
        raise typer.Exit(code=1) from None


def error_line(command: str, detail: str) -> str:
    """The one line on stderr: the first line of the reason, NIK-like numbers masked."""
    from transforms.ingest.sources import printable
    from transforms.validate.identity import mask_identity_numbers

    first = detail.splitlines()[0] if detail.strip() else detail
    return mask_identity_numbers(printable(f"tepat {command} gagal: {first}"))


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise typer.BadParameter("use YYYY-MM-DD, e.g. 2025-06-30") from exc


app.add_typer(review_app, name="review")
user_app = typer.Typer(
    no_args_is_help=True, help="Accounts of the officers' workspace (tepat web)."
)
app.add_typer(user_app, name="user")


@app.command()
def run(
    raw_dir: Annotated[
        Path, typer.Option(help="Regency submissions (any depth; never modified).")
    ] = DEFAULTS.raw_dir,
    reference_dir: Annotated[
        Path, typer.Option(help="BPJS lists of people already enrolled.")
    ] = DEFAULTS.reference_dir,
    db: Annotated[Path, typer.Option(help="The DuckDB warehouse.")] = DEFAULTS.db,
    export_dir: Annotated[
        Path, typer.Option(help="Files for BPJS and feedback for regencies.")
    ] = DEFAULTS.export_dir,
    as_of: Annotated[
        str | None, typer.Option(help="Date ages and eligibility are computed at (YYYY-MM-DD).")
    ] = None,
    bpjs_dir: Annotated[
        Path, typer.Option(help="Files from BPJS: registration results and monthly bills.")
    ] = DEFAULTS.bpjs_dir,
    programs: Annotated[
        Path | None, typer.Option(help="Program rules (TOML); default: the shipped rules.")
    ] = None,
) -> None:
    """Ingest, validate, deduplicate, score and publish."""
    from flows.runtime.preflight import PreflightError, check_run

    settings = Settings(
        raw_dir=raw_dir, reference_dir=reference_dir, db=db, export_dir=export_dir,
        programs_file=programs,
    )  # fmt: skip
    try:  # before importing and starting the (slow) flow: a mistake costs one line, at once
        check_run(settings)
    except PreflightError as exc:
        typer.echo(error_line("run", str(exc)), err=True)
        raise typer.Exit(code=1) from None
    if sys.stderr.isatty():  # the progress bars tell the stages; no line per finished task
        os.environ.setdefault(TASK_RUN_LOG_LEVEL, "WARNING")
    from flows.pipeline import pipeline
    from flows.runtime.lock import RunAlreadyRunning
    from flows.runtime.prefect_api import temporary_api

    try:
        with temporary_api():  # without PREFECT_API_URL: a local API that dies with this run
            summary = pipeline(
                raw_dir=raw_dir,
                reference_dir=reference_dir,
                db=db,
                export_dir=export_dir,
                as_of=_as_of(as_of),
                programs_file=programs,
                bpjs_dir=bpjs_dir,
            )
    except RunAlreadyRunning as exc:  # started meanwhile: the same one line
        typer.echo(error_line("run", str(exc)), err=True)
        raise typer.Exit(code=1) from None
    except Exception as exc:  # noqa: BLE001 - one line on stderr, non-zero exit, warehouse untouched
        typer.echo(error_line("run", f"{type(exc).__name__}: {exc}"), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(summary.text())  # masked


DEMO_DIR = Path("data/demo")


@app.command("demo-data")
def demo_data(
    rows: Annotated[int, typer.Option(help="Data rows in total over all files.")] = 1000,
    out: Annotated[
        Path,
        typer.Option(help="A new folder for the submissions (ground truth in _truth/)."),
    ] = DEMO_DIR,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed writes the same files.")
    ] = 0,
    reference_dir: Annotated[
        Path | None, typer.Option(help="Also write reference lists here (a new folder).")
    ] = None,
    formats: Annotated[
        str, typer.Option(help="mixed (xlsx, csv and a few xls/ods), xlsx, xls, ods or csv.")
    ] = "mixed",
    bpjs_dir: Annotated[
        Path | None,
        typer.Option(help="Also write BPJS results and a monthly bill here (truth in _truth/)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Date the ages are realistic at (YYYY-MM-DD).")
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Replace an earlier demo-data output there (only its own files)."
        ),
    ] = False,
) -> None:
    """Write synthetic regency submissions and their ground truth into a new folder."""
    from demo.generator import DemoDataRefused, generate_demo_data

    kwargs = {"as_of": _as_of(as_of)} if as_of else {}
    with one_line_errors("demo-data", DemoDataRefused):
        summary = generate_demo_data(
            rows=rows, out_dir=out, seed=seed, reference_dir=reference_dir, formats=formats,
            bpjs_dir=bpjs_dir, replace=replace, **kwargs,
        )  # fmt: skip
    typer.echo(str(summary))


@app.command()
def serve(
    cron: Annotated[
        str, typer.Option(help="When to run (cron, in --timezone), e.g. '0 6 * * *' = 06:00.")
    ] = DEFAULTS.schedule_cron,
    timezone: Annotated[
        str, typer.Option(help="IANA time zone of the cron (Asia/Makassar = WITA).")
    ] = DEFAULTS.schedule_timezone,
    name: Annotated[str, typer.Option(help="Deployment name in the Prefect UI.")] = (
        DEFAULTS.deployment_name
    ),
    raw_dir: Annotated[Path, typer.Option(help="Regency submissions.")] = DEFAULTS.raw_dir,
    reference_dir: Annotated[
        Path, typer.Option(help="BPJS lists of people already enrolled.")
    ] = DEFAULTS.reference_dir,
    db: Annotated[Path, typer.Option(help="The DuckDB warehouse.")] = DEFAULTS.db,
    export_dir: Annotated[
        Path, typer.Option(help="Files for BPJS, feedback and reports.")
    ] = DEFAULTS.export_dir,
    bpjs_dir: Annotated[
        Path, typer.Option(help="Files from BPJS: registration results and monthly bills.")
    ] = DEFAULTS.bpjs_dir,
    programs: Annotated[
        Path | None, typer.Option(help="Program rules (TOML); default: the shipped rules.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the schedule and parameters, then exit.")
    ] = False,
) -> None:
    """Run the pipeline on a schedule (a Prefect deployment) until stopped with Ctrl+C."""
    from flows.serve import ServeOptions, describe
    from flows.serve import serve as serve_deployment

    try:
        options = ServeOptions.from_settings(
            DEFAULTS, cron=cron, timezone=timezone, name=name, raw_dir=raw_dir,
            reference_dir=reference_dir, db=db, export_dir=export_dir, programs_file=programs,
            bpjs_dir=bpjs_dir,
        )  # fmt: skip
        typer.echo(describe(options))
    except ValueError as exc:
        typer.echo(f"tepat serve gagal: jadwal tidak valid: {exc}".splitlines()[0], err=True)
        raise typer.Exit(code=1) from None
    if not dry_run:
        with one_line_errors("serve", ValueError):
            serve_deployment(options)


@app.command("analyst-copy")
def analyst_copy(
    out: Annotated[Path, typer.Argument(help="The de-identified copy to write (.duckdb).")],
    db: Annotated[Path, typer.Option(help="The DuckDB warehouse.")] = DEFAULTS.db,
    key_file: Annotated[
        Path | None,
        typer.Option(help="Pseudonym key (made owner-only on first use); default: next to --db."),
    ] = DEFAULTS.pseudonym_key_file,
    overwrite: Annotated[bool, typer.Option(help="Replace OUT if it exists.")] = False,
) -> None:
    """Write a copy of the warehouse for analysts: identities pseudonymised or removed."""
    from flows.outputs.analyst_copy import AnalystCopyError, pseudonym_key_path, write_analyst_copy
    from flows.runtime.lock import RunAlreadyRunning, run_lock

    with (
        one_line_errors("analyst-copy", AnalystCopyError, RunAlreadyRunning),
        run_lock(db, DEFAULTS.lock_wait_seconds, purpose="tepat analyst-copy"),
    ):
        copy = write_analyst_copy(db, out, pseudonym_key_path(db, key_file), overwrite)
    typer.echo(
        f"Salinan analis: {copy.path} ({len(copy.tables)} tabel, {len(copy.views)} view, "
        f"{copy.n_pseudonyms} pseudonim; kunci: {copy.key_path})"
    )


@review_app.command("rows")
def review_rows(
    db: Annotated[Path, typer.Option(help="The DuckDB warehouse.")] = DEFAULTS.db,
    regency: Annotated[str | None, typer.Option(help="Only this regency (e.g. 6472).")] = None,
    file: Annotated[str | None, typer.Option(help="Only this submission file.")] = None,
    all_rows: Annotated[
        bool, typer.Option("--all", help="Also rows already decided (applied by the next run).")
    ] = False,
) -> None:
    """List rows held for review with their evidence (NIK date/sex vs columns, KK region, ...)."""
    from flows.review.rows import ReviewError, format_review_rows, list_review_rows

    with one_line_errors("review rows", ReviewError):
        rows = list_review_rows(db, include_decided=all_rows, regency_code=regency, file_name=file)
    typer.echo(format_review_rows(rows))


@review_app.command("decide-row")
def review_decide_row(
    file: Annotated[str, typer.Argument(help="Submission file as listed (relative to raw dir).")],
    sheet: Annotated[str, typer.Argument(help='Sheet name as listed ("" for a CSV file).')],
    row: Annotated[int, typer.Argument(help="Row number in the regency's file.")],
    decision: Annotated[str, typer.Option(help="accept (row is right) or reject.")],
    officer: Annotated[str, typer.Option(help="Who decides (recorded with the time).")],
    note: Annotated[str, typer.Option(help="Why: what was checked (KTP/KK, phone call...).")],
    db: Annotated[Path, typer.Option(help="The DuckDB warehouse.")] = DEFAULTS.db,
) -> None:
    """Accept or reject a row held for review; every later run applies it to the same content."""
    from flows.review.rows import ReviewError, decide_row
    from flows.runtime.lock import RunAlreadyRunning

    with one_line_errors("review decide-row", ReviewError, RunAlreadyRunning):
        recorded = decide_row(db, file, sheet, row, decision, officer, note)
    verdict = "diterima" if recorded["decision"] == "accept" else "ditolak"
    typer.echo(
        f"Tercatat: {file} lembar '{sheet}' baris {row} {verdict} oleh {recorded['officer']} "
        f"({recorded['codes']}). Berlaku pada `tepat run` berikutnya, juga untuk baris lain "
        "dengan isi yang sama."
    )


@review_app.command("occupations")
def review_occupations(
    db: Annotated[Path, typer.Option(help="The DuckDB warehouse.")] = DEFAULTS.db,
) -> None:
    """List occupation spellings not recognised (or ambiguous) and the mappings decided."""
    from flows.review.occupations import (
        OccupationReviewError,
        format_occupation_spellings,
        list_occupation_spellings,
    )

    with one_line_errors("review occupations", OccupationReviewError):
        listing = list_occupation_spellings(db)
    typer.echo(format_occupation_spellings(listing))


@review_app.command("map-occupation")
def review_map_occupation(
    spelling: Annotated[str, typer.Argument(help="The occupation as written in the files.")],
    occupation: Annotated[str, typer.Argument(help="Its Dukcapil occupation (name or spelling).")],
    by: Annotated[str, typer.Option(help="Who decides (recorded with the time).")],
    reason: Annotated[str, typer.Option(help="Why: what was checked.")],
    db: Annotated[Path, typer.Option(help="The DuckDB warehouse.")] = DEFAULTS.db,
) -> None:
    """Map a spelling to an occupation for every row with it, now and later (next run)."""
    from flows.review.occupations import OccupationReviewError, map_occupation
    from flows.runtime.lock import RunAlreadyRunning

    with one_line_errors("review map-occupation", OccupationReviewError, RunAlreadyRunning):
        recorded = map_occupation(db, spelling, occupation, by, reason)
    typer.echo(
        f"Tercatat: '{recorded['spelling']}' = {recorded['occupation']} "
        f"({recorded['occupation_group']}), oleh {recorded['decided_by']}. Berlaku pada "
        "`tepat run` berikutnya untuk semua baris dengan isian ini."
    )


@review_app.command("pairs")
def review_pairs(
    db: Annotated[Path, typer.Option(help="The DuckDB warehouse.")] = DEFAULTS.db,
    status: Annotated[str, typer.Option(help="open (waiting), merged, distinct or all.")] = "open",
    limit: Annotated[int, typer.Option(help="At most this many pairs, highest score first.")] = 50,
) -> None:
    """List pairs of persons that may be one person (deduplication was not sure)."""
    from flows.review.pairs import PairReviewError, list_pairs, pairs_text

    with one_line_errors("review pairs", PairReviewError):
        pairs = list_pairs(db, status, limit)
    typer.echo(pairs_text(pairs))


@review_app.command("decide-pair")
def review_decide_pair(
    person_a: Annotated[int, typer.Argument(help="person_id of one side.")],
    person_b: Annotated[int, typer.Argument(help="person_id of the other side.")],
    decision: Annotated[str, typer.Option(help="merge (one person) or distinct (two people).")],
    officer: Annotated[str, typer.Option(help="Who decides (recorded with the time).")],
    note: Annotated[str | None, typer.Option(help="Why, for the record.")] = None,
    db: Annotated[Path, typer.Option(help="The DuckDB warehouse.")] = DEFAULTS.db,
) -> None:
    """Record that two persons are one person (merge) or two people (distinct)."""
    from flows.review.pairs import PairReviewError, decide_pair
    from flows.runtime.lock import RunAlreadyRunning

    with one_line_errors("review decide-pair", PairReviewError, RunAlreadyRunning):
        recorded = decide_pair(db, person_a, person_b, decision, officer, note)
    verb = "orang yang sama" if decision.strip().lower() == "merge" else "dua orang berbeda"
    typer.echo(
        f"Tercatat: {person_a} dan {person_b} {verb} ({len(recorded)} pasangan), oleh {officer}. "
        "Berlaku pada `tepat run` berikutnya."
    )


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name (lower case, e.g. rina.smd).")],
    role: Annotated[str, typer.Option(help="provinsi, kabupaten or analis.")],
    regency: Annotated[
        str | None, typer.Option(help="Kemendagri code of a kabupaten user's regency (6472).")
    ] = None,
    db: Annotated[Path, typer.Option(help="The DuckDB warehouse.")] = DEFAULTS.db,
) -> None:
    """Add a workspace account; the password is read from stdin (asked for on a terminal)."""
    from flows.runtime.lock import RunAlreadyRunning
    from flows.web.auth import AccountError, add_user

    if sys.stdin.isatty():
        password = typer.prompt("Kata sandi", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with one_line_errors("user add", AccountError, RunAlreadyRunning):
        user = add_user(db, username, role.strip().lower(), regency, password)
    where = f" ({user.regency_code})" if user.regency_code else ""
    typer.echo(f"Pengguna {user.username} ditambahkan: {user.role}{where}.")


@app.command()
def web(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = DEFAULTS.web_host,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = DEFAULTS.web_port,
    db: Annotated[Path, typer.Option(help="The DuckDB warehouse.")] = DEFAULTS.db,
    raw_dir: Annotated[
        Path, typer.Option(help="Regency submissions (uploads go to the regency's folder).")
    ] = DEFAULTS.raw_dir,
    export_dir: Annotated[
        Path, typer.Option(help="Files for BPJS, feedback and reports (downloads).")
    ] = DEFAULTS.export_dir,
) -> None:
    """The officers' workspace in the browser: review, upload, download (Ctrl+C stops it)."""
    import uvicorn

    from flows.web.app import create_app

    settings = DEFAULTS.model_copy(update={"db": db, "raw_dir": raw_dir, "export_dir": export_dir})
    typer.echo(f"Ruang kerja petugas: http://{host}:{port}/ (gudang data {db})")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def main() -> None:  # pragma: no cover
    app(sys.argv[1:])
