"""``kpispec import csv``: spreadsheet exports as Excel and Google Sheets write them, the
GitLab catalogue flattened to CSV, every kind of bad row (with its row number), ``--map``,
and the output linted by the CLI."""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import re
from pathlib import Path

import pytest
from conftest import TODAY, lint_json, run_kpispec_in_process, write
from ruamel.yaml import YAML

from kpispec.authoring.import_csv import parse_date, parse_number, slug

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "gitlab-performance-indicators"

HEADER = [
    "KPI",
    "Description",
    "DRI",
    "Goal",
    "Goal value",
    "Unit",
    "Direction",
    "Baseline",
    "Start date",
    "Due date",
    "Cadence",
    "System",
    "Type",
]
ROWS = [
    [
        "Annual recurring revenue",
        "Active subscriptions, annualised",
        "finance-team",
        "Reach 12M ARR",
        "$12,000,000",
        "",
        "up",
        "$4,100,000",
        "2026-01-01",
        "2030-12-31",
        "Monthly",
        "stripe",
        "KPI",
    ],
    [
        "CAC payback",
        "Months to earn back acquisition cost",
        "cfo@example.com",
        "Reach 12M ARR",
        "14",
        "months",
        "Lower is better",
        "22",
        "2026-01-01",
        "Dec 31, 2030",
        "quarterly",
        "warehouse",
        "kpi",
    ],
    ["Café visits – €", "", "", "", "", "", "", "", "", "", "", "warehouse", "Metric"],
]


def csv_bytes(
    rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8", newline: str = "\r\n"
) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue().encode(encoding)


def project(tmp_path: Path) -> Path:
    """A project of its own (its .git is its root), with one goal already defined."""
    (tmp_path / ".git").mkdir(parents=True)
    write(
        tmp_path / "kpis" / "goals.yaml",
        """
        kpispec: 1
        goals:
          - id: trust
            title: A product customers trust
            owner: cto@example.com
            due: 2030-12-31
        """,
    )
    return tmp_path


def run_import(tmp_path: Path, raw: bytes, *args: str, name: str = "export.csv"):
    (tmp_path / name).write_bytes(raw)
    return run_kpispec_in_process(["import", "csv", name, *args], tmp_path)


def load(text: str) -> dict:
    return YAML(typ="safe").load(text)


def entries(doc: dict, section: str = "kpis") -> dict[str, dict]:
    return {e["id"]: e for e in doc.get(section, [])}


# --- the exports people have ---


def check_clean_export(tmp_path: Path, raw: bytes) -> dict:
    proc = run_import(project(tmp_path), raw, "--output", "kpis/imported.yaml")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    doc = load((tmp_path / "kpis" / "imported.yaml").read_text(encoding="utf-8"))
    kpis = entries(doc)
    arr = kpis["annual-recurring-revenue"]
    assert arr["target"] == {
        "value": 12000000,
        "unit": "USD",
        "direction": "increase",
        "baseline": 4100000,
    }
    assert arr["timeframe"] == {
        "start": _dt.date(2026, 1, 1),
        "end": _dt.date(2030, 12, 31),
        "review": "monthly",
    }
    assert arr["owner"] == "finance-team" and arr["data_source"] == {"system": "stripe"}
    cac = kpis["cac-payback"]
    assert cac["target"] == {"value": 14, "unit": "months", "direction": "decrease", "baseline": 22}
    assert cac["timeframe"]["end"] == _dt.date(2030, 12, 31)
    assert arr["goal"] == cac["goal"] == "reach-12m-arr"
    assert doc["goals"] == [{"id": "reach-12m-arr", "title": "Reach 12M ARR"}]
    metric = entries(doc, "metrics")["cafe-visits"]
    assert metric["name"] == "Café visits – €"
    # what the data deserves, and nothing else: a metric that feeds nothing (info), and
    # the project's goal that nothing measures (warning)
    report = lint_json([], tmp_path)
    found = [(f["code"], f["entry"]) for f in report["findings"]]
    assert found == [("KS203", "trust"), ("KS204", "cafe-visits")], report["findings"]
    assert report["summary"]["kpis"] == 2
    return doc


def test_excel_csv_utf8_with_bom_crlf(tmp_path):
    raw = b"\xef\xbb\xbf" + csv_bytes([HEADER, *ROWS])
    assert b"\r\n" in raw
    check_clean_export(tmp_path, raw)


def test_excel_csv_cp1252_semicolons_decimal_commas(tmp_path):
    """Excel's "CSV (delimited)" in a European locale: cp1252 (the € is byte 0x80), `;`,
    decimal commas, day-first dotted dates."""
    rows = [
        HEADER,
        [
            "Annual recurring revenue",
            "Active subscriptions, annualised",
            "finance-team",
            "Reach 12M ARR",
            "12.000.000 $",
            "",
            "up",
            "4.100.000 $",
            "01.01.2026",
            "31.12.2030",
            "Monthly",
            "stripe",
            "KPI",
        ],
        [
            "CAC payback",
            "Months to earn back acquisition cost",
            "cfo@example.com",
            "Reach 12M ARR",
            "14",
            "months",
            "Lower is better",
            "22",
            "1.1.2026",
            "31.12.2030",
            "quarterly",
            "warehouse",
            "kpi",
        ],
        ROWS[2],
    ]
    raw = csv_bytes(rows, delimiter=";", encoding="cp1252")
    assert b"\x80" in raw and raw.count(b";") > 20
    doc = check_clean_export(tmp_path, raw)
    assert doc["metrics"][0]["name"].endswith("€")


def test_decimal_comma_in_a_semicolon_file(tmp_path):
    raw = csv_bytes(
        [
            ["Name", "Target", "Baseline", "Unit"],
            ["Churn", "1,5", "2,25 %", ""],
            ["Revenue", "1.250.000,50 €", "1.000", ""],
        ],
        delimiter=";",
        encoding="cp1252",
    )
    proc = run_import(tmp_path, raw)
    kpis = entries(load(proc.stdout))
    assert kpis["churn"]["target"] == {"value": 1.5, "unit": "%", "baseline": 2.25}
    assert kpis["revenue"]["target"] == {"value": 1250000.5, "unit": "EUR", "baseline": 1000}


def test_google_sheets_csv_and_tsv(tmp_path):
    """Google Sheets: UTF-8 without a BOM, `,` (or tab for .tsv), quoted cells with commas
    and newlines, LF line endings."""
    rows = [HEADER, *ROWS]
    rows[1] = list(rows[1])
    rows[1][1] = "Active subscriptions,\nannualised"
    check_clean_export(tmp_path / "csv", csv_bytes(rows, newline="\n"))
    doc = check_clean_export(tmp_path / "tsv", csv_bytes(rows, delimiter="\t", newline="\n"))
    assert doc["kpis"][0]["description"] == "Active subscriptions,\nannualised\n"


def test_excel_unicode_text_utf16(tmp_path):
    raw = b"\xff\xfe" + csv_bytes([HEADER, *ROWS], delimiter="\t").decode().encode("utf-16-le")
    check_clean_export(tmp_path, raw)


def test_stdout_and_header_synonyms_case_and_spacing(tmp_path):
    raw = csv_bytes(
        [
            ["  kpi NAME ", "RESPONSIBLE", "target_value", "End-Date", "Review", "Source"],
            ["Net revenue retention", "cco", "115%", "2030-12-31", "QUARTERLY", "stripe"],
        ]
    )
    proc = run_import(tmp_path, raw)
    assert proc.returncode == 0, proc.stderr
    kpi = load(proc.stdout)["kpis"][0]
    assert kpi == {
        "id": "net-revenue-retention",
        "name": "Net revenue retention",
        "owner": "cco",
        "target": {"value": 115, "unit": "%"},
        "timeframe": {"end": _dt.date(2030, 12, 31), "review": "quarterly"},
        "data_source": {"system": "stripe"},
    }


def test_tbd_target_is_merely_a_metric(tmp_path):
    project(tmp_path)
    raw = csv_bytes(
        [
            ["Name", "Goal", "Owner", "Target", "Deadline", "Source", "Baseline"],
            ["Availability", "trust", "sre", "TBD", "2030-12-31", "datadog", "99.5"],
            [
                "Time to restore",
                "A product customers trust",
                "sre",
                "30",
                "2030-12-31",
                "incident-io",
                "",
            ],
        ]
    )
    proc = run_import(tmp_path, raw, "-o", "kpis/x.yaml")
    assert proc.returncode == 0, proc.stderr
    doc = load((tmp_path / "kpis" / "x.yaml").read_text())
    assert "goals" not in doc  # both link to the goal the catalog has (by id, by title)
    assert [e["goal"] for e in doc["kpis"]] == ["trust", "trust"]
    report = lint_json([], tmp_path)
    by_entry = {(f["entry"], f["code"]) for f in report["findings"]}
    assert ("availability", "KS102") in by_entry  # "merely a metric": no target value
    lacks = {e["id"]: e["lacks"] for e in report["entries"]}
    assert lacks["availability"] == ["target"] and lacks["time-to-restore"] == []


def test_ids_slugged_and_unique(tmp_path):
    raw = csv_bytes(
        [
            ["Id", "Name", "Kind"],
            ["", "Revenue", "metric"],
            ["", "Revenue", "metric"],
            ["revenue-3", "Revenue (explicit)", "metric"],
            ["", "  % of journal entries automated ", "metric"],
            ["", "Revenue", "metric"],
        ]
    )
    proc = run_import(tmp_path, raw)
    ids = [e["id"] for e in load(proc.stdout)["metrics"]]
    assert ids == [
        "revenue",
        "revenue-2",
        "revenue-3",
        "pct-of-journal-entries-automated",
        "revenue-4",
    ]
    assert proc.returncode == 0, proc.stderr


def test_inputs_and_feeds_by_name(tmp_path):
    raw = csv_bytes(
        [
            ["Name", "Kind", "Feeds", "Inputs"],
            ["Annual recurring revenue", "kpi", "", "New MRR; Expansion MRR"],
            ["New MRR", "metric", "", ""],
            ["Expansion MRR", "metric", "Annual recurring revenue", ""],
        ]
    )
    doc = load(run_import(tmp_path, raw).stdout)
    assert doc["kpis"][0]["inputs"] == ["new-mrr", "expansion-mrr"]
    assert entries(doc, "metrics")["expansion-mrr"]["feeds"] == ["annual-recurring-revenue"]


def test_goal_rows_and_their_kpis(tmp_path):
    raw = csv_bytes(
        [
            ["Type", "Name", "Owner", "Due", "Goal", "Target", "Source"],
            ["Goal", "Grow revenue", "ceo", "2030-12-31", "", "", ""],
            ["KPI", "ARR", "cfo", "2030-12-31", "Grow revenue", "5", "stripe"],
        ]
    )
    doc = load(run_import(tmp_path, raw).stdout)
    assert doc["goals"] == [
        {
            "id": "grow-revenue",
            "title": "Grow revenue",
            "owner": "ceo",
            "due": _dt.date(2030, 12, 31),
        }
    ]
    assert doc["kpis"][0]["goal"] == "grow-revenue"


# --- every bad row, with its row number ---


def test_every_bad_row_is_reported_with_its_row_number(tmp_path):
    rows = [
        ["Name", "Owner", "Target", "Deadline", "Kind", "Review", "Direction", ""],
        ["Good", "a", "5", "2030-12-31", "kpi", "monthly", "up", ""],  # row 2
        ["", "b", "5", "2030-12-31", "kpi", "", "", ""],  # 3: no name
        ["Bad number", "c", "five-ish", "2030-12-31", "", "", "", ""],  # 4
        ["Bad kind", "d", "5", "2030-12-31", "objective-ish", "", "", ""],  # 5
        ["Bad date", "e", "5", "12/11/2030", "", "", "", ""],  # 6
        ["", "", "", "", "", "", "", ""],  # 7: blank
        ["Bad review", "f", "5", "2030-12-31", "", "fortnightly", "", ""],  # 8
        ["Bad direction", "g", "5", "2030-12-31", "", "", "sideways", ""],  # 9
        ["Extra cell", "h", "5", "2030-12-31", "", "", "", "stray"],  # 10
        ["Metric with target", "i", "5", "", "metric", "", "", ""],
    ]  # 11
    proc = run_import(tmp_path, csv_bytes(rows))
    assert proc.returncode == 1
    problems = [line for line in proc.stderr.splitlines() if ": row " in line]
    by_row = {int(re.search(r": row (\d+):", line)[1]): line for line in problems}
    assert sorted(by_row) == [3, 4, 5, 6, 8, 9, 10, 11], proc.stderr
    assert "no name" in by_row[3] and "skipped" in by_row[3]
    assert "'five-ish' is not a number" in by_row[4]
    assert "'objective-ish'" in by_row[5] and "skipped" in by_row[5]
    assert "'12/11/2030'" in by_row[6] and "YYYY-MM-DD" in by_row[6]
    assert "'fortnightly'" in by_row[8]
    assert "'sideways'" in by_row[9]
    assert "'stray'" in by_row[10]
    assert "a metric has no target" in by_row[11]
    assert all(line.startswith("kpispec: export.csv: row ") for line in problems)
    doc = load(proc.stdout)
    # skipped rows are absent, the others are there without the bad value...
    kpis = entries(doc)
    assert sorted(kpis) == [
        "bad-date",
        "bad-direction",
        "bad-number",
        "bad-review",
        "extra-cell",
        "good",
    ]
    assert "target" not in kpis["bad-number"] and "timeframe" not in kpis["bad-date"]
    # ...and the file says what was left out, above the entry
    assert "# row 4: target 'five-ish' is not a number" in proc.stdout
    assert "9 rows" in proc.stderr and "2 skipped" in proc.stderr
    assert "1 blank row" in proc.stderr


def test_unused_column_is_reported_and_map_fixes_it(tmp_path):
    rows = [
        ["Metric Name", "Accountable exec", "Notes", "Hoped-for value"],
        ["Revenue", "cfo", "from the board deck", "10"],
    ]
    proc = run_import(tmp_path, csv_bytes(rows))
    assert proc.returncode == 1
    assert "'Accountable exec' matches no field" in proc.stderr
    assert "'Notes' matches no field" in proc.stderr
    proc = run_import(
        tmp_path,
        csv_bytes(rows),
        "--map",
        "accountable  EXEC=owner",
        "--map",
        "Notes=description",
        "--map",
        "Hoped-for value=target.value",
    )
    assert proc.returncode == 0, proc.stderr
    assert load(proc.stdout)["kpis"][0] == {
        "id": "revenue",
        "name": "Revenue",
        "description": "from the board deck",
        "owner": "cfo",
        "target": {"value": 10},
    }
    proc = run_import(
        tmp_path,
        csv_bytes(rows),
        "--map",
        "Notes=ignore",
        "--map",
        "Accountable exec=owner",
        "--map",
        "Hoped-for value=ignore",
    )
    assert proc.returncode == 0 and "Notes" not in proc.stderr


def test_map_overrides_a_synonym(tmp_path):
    rows = [["Name", "Owner", "Team"], ["Revenue", "cfo", "Finance Team"]]
    proc = run_import(tmp_path, csv_bytes(rows), "--map", "Team=owner", "--map", "Owner=ignore")
    assert load(proc.stdout)["kpis"][0]["owner"] == "Finance Team"
    proc = run_import(tmp_path, csv_bytes(rows))
    assert load(proc.stdout)["kpis"][0]["scope"] == "finance-team"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--map", "Nope=owner"], "no column 'Nope'"),
        (["--map", "Owner=ownr"], "did you mean 'owner'"),
        (["--map", "Owner"], "COLUMN=FIELD"),
        (["--encoding", "klingon"], "unknown encoding"),
    ],
)
def test_usage_errors_exit_2_in_one_line(tmp_path, args, message):
    proc = run_import(tmp_path, csv_bytes([["Name", "Owner"], ["a", "b"]]), *args)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and message in proc.stderr, proc.stderr
    assert proc.stdout == ""


def test_no_name_column_and_missing_file(tmp_path):
    proc = run_import(tmp_path, csv_bytes([["Colour", "Size"], ["red", "L"]]))
    assert proc.returncode == 2 and "no column for the name or id" in proc.stderr
    proc = run_kpispec_in_process(["import", "csv", "nope.csv"], tmp_path)
    assert proc.returncode == 2 and "cannot read" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_title_rows_above_the_header(tmp_path):
    raw = csv_bytes(
        [
            ["KPI list 2026", "", ""],
            ["", "", ""],
            ["Name", "Owner", "Target"],
            ["Revenue", "cfo", "5"],
        ]
    )
    proc = run_import(tmp_path, raw)
    assert proc.returncode == 0, proc.stderr
    assert "rows 1-2 above the header (row 3) ignored" in proc.stderr
    assert load(proc.stdout)["kpis"][0]["id"] == "revenue"


def test_output_is_never_overwritten_without_force(tmp_path):
    raw = csv_bytes([["Name"], ["Revenue"]])
    (tmp_path / "out.yaml").write_text("# mine\n")
    proc = run_import(tmp_path, raw, "--output", "out.yaml")
    assert proc.returncode == 2 and "--force" in proc.stderr
    assert (tmp_path / "out.yaml").read_text() == "# mine\n"
    (tmp_path / "out.yaml").chmod(0o640)
    proc = run_import(tmp_path, raw, "--output", "out.yaml", "--force")
    assert proc.returncode == 0, proc.stderr
    assert "revenue" in (tmp_path / "out.yaml").read_text()
    assert (tmp_path / "out.yaml").stat().st_mode & 0o777 == 0o640


# --- the cells, one by one ---


@pytest.mark.parametrize(
    "cell, comma, expected",
    [
        ("95%", False, (95, "%")),
        ("12.5 %", False, (12.5, "%")),
        ("$1,200,000", False, (1200000, "USD")),
        ("1,200,000.50", False, (1200000.5, None)),
        ("1.234,5 €", True, (1234.5, "EUR")),
        ("12,5", True, (12.5, None)),
        ("1,500", False, (1500, None)),
        ("1,500", True, (1.5, None)),
        ("1.000", True, (1000, None)),
        ("99.95", True, (99.95, None)),
        ("-5", False, (-5, None)),
        ("−0.5", False, (-0.5, None)),
        ("€50", False, (50, "EUR")),
        ("1 000", False, (1000, None)),
        ("3e3", False, (3000.0, None)),
    ],
)
def test_numbers(cell, comma, expected):
    assert parse_number(cell, comma) == expected


@pytest.mark.parametrize("cell", ["five", "1,2,3.4.5", "5M", "nan", "inf", "1.2.3"])
def test_not_numbers(cell):
    with pytest.raises(ValueError):
        parse_number(cell, False)


@pytest.mark.parametrize(
    "cell, end, expected",
    [
        ("2026-12-31", True, "2026-12-31"),
        ("2026/12/31", True, "2026-12-31"),
        ("2026.1.5", True, "2026-01-05"),
        ("31.12.2026", True, "2026-12-31"),
        ("31/12/2026", True, "2026-12-31"),
        ("12/31/2026", True, "2026-12-31"),
        ("Dec 31, 2026", True, "2026-12-31"),
        ("31 December 2026", True, "2026-12-31"),
        ("2026-12-31 00:00:00", True, "2026-12-31"),
        ("Q4 2026", True, "2026-12-31"),
        ("Q1 2026", False, "2026-01-01"),
        ("2026", True, "2026-12-31"),
        ("2026", False, "2026-01-01"),
        ("2026-02", True, "2026-02-28"),
        ("Feb 2028", True, "2028-02-29"),
        ("5/5/2026", True, "2026-05-05"),
    ],
)
def test_dates(cell, end, expected):
    assert parse_date(cell, end).isoformat() == expected


@pytest.mark.parametrize(
    "cell", ["12/11/2026", "2026-13-01", "2026-02-30", "soon", "end of year", "31.12.26"]
)
def test_not_dates(cell):
    with pytest.raises(ValueError):
        parse_date(cell, True)


def test_slug():
    assert slug("Net Revenue Retention (NRR)") == "net-revenue-retention-nrr"
    assert slug("Café – Umsatz") == "cafe-umsatz"
    assert slug("R&D spend") == "r-and-d-spend"
    assert slug("!!!") == "unnamed"


# --- the GitLab catalogue, flattened to CSV as a spreadsheet would hold it ---


def gitlab_csv() -> tuple[bytes, list[dict]]:
    """Every record of the 13 files, one row each: the columns a KPI sheet has."""
    yaml = YAML(typ="safe")
    records = []
    for path in sorted(DATA.glob("*.yml")):
        records.extend(
            r for r in yaml.load(path.read_text(encoding="utf-8")) or [] if isinstance(r, dict)
        )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Name", "Definition", "Org", "Is key", "DRI", "Target", "Dashboard"])
    for record in records:
        dri = " ".join(re.sub(r"<[^>]+>", " ", str(record.get("dri") or "")).split())
        urls = [u for u in record.get("urls") or [] if isinstance(u, str)]
        target = record.get("target")
        writer.writerow(
            [
                str(record.get("name") or "").replace("\\%", "%"),
                str(record.get("definition") or "").strip(),
                record.get("org") or "",
                str(record.get("is_key", False)).lower(),
                dri,
                "" if target is None else str(target),
                urls[0] if urls else "",
            ]
        )
    return out.getvalue().encode("utf-8"), records


@pytest.mark.skipif(not DATA.is_dir(), reason=f"GitLab data not found at {DATA}")
def test_gitlab_catalogue_flattened_to_csv(tmp_path):
    raw, records = gitlab_csv()
    (tmp_path / ".git").mkdir()
    proc = run_import(tmp_path, raw, "--output", "kpis/gitlab.yaml", name="gitlab.csv")
    assert proc.returncode == 1  # free-text targets are reported, row by row
    assert "Traceback" not in proc.stderr
    doc = load((tmp_path / "kpis" / "gitlab.yaml").read_text(encoding="utf-8"))
    kpis, metrics = doc.get("kpis", []), doc.get("metrics", [])
    named = [r for r in records if str(r.get("name") or "").strip()]
    # every record with a name is an entry; none silently dropped
    assert len(kpis) + len(metrics) == len(named)
    assert len(kpis) == sum(1 for r in named if str(r.get("is_key")).lower() in ("true", "yes"))
    ids = [e["id"] for e in kpis + metrics]
    assert len(set(ids)) == len(ids)  # duplicate names made unique
    # every reported row really holds what the message quotes
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    reported = re.findall(r": row (\d+): target '(.*)' is not a number", proc.stderr)
    assert reported
    for number, cell in reported:
        assert rows[int(number) - 1][5].strip() == cell.replace("\\'", "'")
    numeric = [
        r
        for r in named
        if isinstance(r.get("target"), (int, float)) and not isinstance(r.get("target"), bool)
    ]
    with_value = [e for e in kpis if "value" in e.get("target", {})]
    assert len(with_value) >= sum(
        1 for r in numeric if str(r.get("is_key")).lower() in ("true", "yes")
    )
    report = lint_json(["kpis"], tmp_path)
    codes = {f["code"] for f in report["findings"]}
    assert not codes & {"KS001", "KS002", "KS003", "KS004", "KS005"}, sorted(codes)
    assert "KS101" in codes and "KS103" in codes  # no goals, no deadlines: merely metrics
    assert report["summary"]["kpis"] == 0
    assert report["summary"]["entries"] == len(named)
    assert json.dumps(report)  # the report is whole
    assert TODAY
