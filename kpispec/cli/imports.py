"""``kpispec import csv|dbt``: KPI lists kept elsewhere (a spreadsheet, dbt's metrics)
turned into kpispec files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kpispec.cli.guard import EXIT_FINDINGS, EXIT_OK, fail, guard
from kpispec.cli.options import (
    Options,
    config_option,
    debug_option,
    force_option,
    output_option,
    pass_options,
)


@click.group("import")
def import_group() -> None:
    """Turn KPI lists kept elsewhere into kpispec files."""


class CsvImport(Options):
    file: str = "-"
    output: str | None = None
    force: bool = False
    mapping: tuple[str, ...] = ()
    encoding: str | None = None
    delimiter: str | None = None


@import_group.command("csv")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@output_option(
    "Write the YAML to FILE (default: stdout). An existing FILE is kept unless --force.",
    type=click.Path(dir_okay=False),
)
@force_option
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Read COLUMN as FIELD (id, name, description, kind, goal, owner, scope, "
    "target, unit, direction, baseline, tolerance, start, end, review, "
    "system, table, query, url, tags, inputs, feeds), or COLUMN=ignore. "
    "Repeatable.",
)
@click.option(
    "--encoding",
    metavar="NAME",
    help="The file's encoding (default: UTF-8, with or without a BOM, UTF-16 "
    "with a BOM, else cp1252).",
)
@click.option(
    "--delimiter",
    metavar="CHAR",
    help="The delimiter (default: sniffed among , ; and tab; 'tab' for a tab).",
)
@debug_option
@pass_options(CsvImport)
def import_csv_command(opts: CsvImport) -> None:
    """Convert a spreadsheet's KPI list (CSV) into a kpispec file.

    Columns are matched by header name (case and spacing ignored; synonyms such as
    Owner/DRI, Target/Goal value, Deadline/Due, Frequency/Cadence, Source/System). Every
    row or cell that cannot be mapped is reported on stderr with its row number (the
    header is row 1). Exit 0: every row imported whole; 1: written, with rows or cells
    reported; 2: usage error."""
    guard(opts.debug, lambda: _import_csv(opts))


def _import_csv(opts: CsvImport) -> int:
    from kpispec.authoring.import_csv import CsvImportError, catalog_ids, import_csv, write_output
    from kpispec.safefile import check_target, read_input, read_stream

    file, output = opts.file, opts.output
    try:
        if file == "-":
            raw, name = read_stream(sys.stdin.buffer, "csv"), "stdin"  # as click gives it
        else:
            try:
                raw, name = read_input(file, "csv"), Path(file).name
            except OSError as exc:
                raise CsvImportError(f"{file}: cannot read: {exc.strerror or exc}") from None
        target = Path(output) if output else None
        if target is not None:  # the one writer's rules, before the work
            check_target(target, f"--output: {output}", opts.force)
        start = target.resolve().parent if target is not None else Path.cwd()

        def known() -> dict:
            return catalog_ids(start, target if target is not None and target.exists() else None)

        result = import_csv(raw, name, list(opts.mapping), opts.encoding, opts.delimiter, known)
        if target is not None:
            write_output(target, result.text, opts.force)
        else:
            click.echo(result.text, nl=False)
    except CsvImportError as exc:
        fail(f"{file}: {exc}" if not str(exc).startswith((file, "--")) else str(exc))
    for problem in result.problems:
        click.echo(f"kpispec: {name}: {problem}", err=True)
    for note in result.notes:
        click.echo(f"kpispec: {note}", err=True)
    if target is not None:
        click.echo(f"kpispec: wrote {output}; next: kpispec lint {output}", err=True)
    return EXIT_FINDINGS if result.problems else EXIT_OK


class DbtImport(Options):
    manifest: str | None = None
    output: str | None = None


@import_group.command("dbt")
@click.option(
    "--manifest",
    "manifest",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="dbt's manifest.json (default: [tool.kpispec.dbt] manifest, else "
    "target/manifest.json under the project root).",
)
@output_option(
    "Add the entries to FILE: a new file is written; an existing one keeps "
    "every line and comment, the new entries go at the end of its metrics: "
    "(default: print them).",
    type=click.Path(dir_okay=False),
)
@config_option("Config file (default: found walking up from FILE's folder, else here).")
@debug_option
@pass_options(DbtImport)
def import_dbt_command(opts: DbtImport) -> None:
    """A metrics: entry for every dbt metric the catalog does not name yet.

    Every enabled, non-private metric of dbt's manifest (written by dbt parse) that no
    data_source of the catalog names (under kpis: or metrics:) becomes an entry with id,
    name, description, owner (its group's) and data_source: {system: dbt, metric: NAME}.
    Run it again after dbt gains metrics: only the new ones are added. Exit 0; 2 when the
    manifest cannot be used or FILE cannot be updated."""
    guard(opts.debug, lambda: _import_dbt(opts))


def _import_dbt(opts: DbtImport) -> int:
    from kpispec.authoring.import_dbt import run_import, summary, write

    output = opts.output
    try:
        outcome = run_import(opts.manifest, output, opts.config_file, Path.cwd())
        if outcome.changed and output:  # changed: there is an --output to write
            write(Path(output), outcome.text)
    except OSError as exc:
        fail(f"--output: cannot write {output}: {exc.strerror or exc}")
    if not output:
        click.echo(outcome.text, nl=False)
    for line in summary(outcome, output):
        click.echo(f"kpispec: {line}", err=True)
    return EXIT_OK
