"""The `tepat` command line: run the pipeline, generate demo data."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from flows.settings import Settings

DEFAULTS = Settings()
app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="tepat: verify BPJS subsidy candidates."
)


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise typer.BadParameter("use YYYY-MM-DD, e.g. 2025-06-30") from exc


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
    programs: Annotated[
        Path | None, typer.Option(help="Program rules (TOML); default: the shipped rules.")
    ] = None,
) -> None:
    """Ingest, validate, deduplicate, score and publish."""
    from flows.pipeline import pipeline

    try:
        summary = pipeline(
            raw_dir=raw_dir,
            reference_dir=reference_dir,
            db=db,
            export_dir=export_dir,
            as_of=_as_of(as_of),
            programs_file=programs,
        )
    except Exception as exc:  # noqa: BLE001 - one line on stderr, non-zero exit, warehouse untouched
        typer.echo(f"tepat run gagal: {type(exc).__name__}: {exc}".splitlines()[0], err=True)
        raise typer.Exit(code=1) from None
    typer.echo(summary.text())


@app.command("demo-data")
def demo_data(
    rows: Annotated[int, typer.Option(help="Data rows in total over all files.")] = 1000,
    out: Annotated[
        Path, typer.Option(help="Folder for the submissions (ground truth in _truth/).")
    ] = Path("data/raw"),
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed writes the same files.")
    ] = 0,
    reference_dir: Annotated[
        Path | None, typer.Option(help="Also write reference lists here.")
    ] = None,
    formats: Annotated[str, typer.Option(help="mixed (xlsx and csv) or xlsx.")] = "mixed",
    as_of: Annotated[
        str | None, typer.Option(help="Date the ages are realistic at (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Write synthetic regency submissions and their ground truth."""
    from flows.demo_data import generate_demo_data

    kwargs = {"as_of": _as_of(as_of)} if as_of else {}
    summary = generate_demo_data(
        rows=rows, out_dir=out, seed=seed, reference_dir=reference_dir, formats=formats, **kwargs
    )
    typer.echo(str(summary))


def main() -> None:  # pragma: no cover
    app(sys.argv[1:])
