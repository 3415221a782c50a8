"""Dates read one way everywhere (issue 25): lint's did-you-mean, `kpispec fix` and
`kpispec import csv` ask kpispec.load.dates. A date that can be read one way is mended
(year first, dotted day first, a day above 12); 12/11/2030 names both readings and is
never written."""

from __future__ import annotations

import datetime as _dt
import json

import pytest
from conftest import TODAY
from test_fix import GOAL, project

from kpispec.load.dates import iso_date, readings


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2030/12/31", ["2030-12-31"]),
        ("2030.12.31", ["2030-12-31"]),
        ("2030-1-5", ["2030-01-05"]),
        ("31.12.2030", ["2030-12-31"]),
        ("31/12/2030", ["2030-12-31"]),
        ("12/31/2030", ["2030-12-31"]),
        ("31-12-2030", ["2030-12-31"]),
        ("5/5/2030", ["2030-05-05"]),
        ("12/11/2030", ["2030-11-12", "2030-12-11"]),  # day first, then month first
        ("31/02/2030", []),
        ("2030/13/01", []),
        ("2030/12-31", []),
        ("soon", []),
        ("31.12.30", []),
    ],
)
def test_readings(text, expected):
    assert [day.isoformat() for day in readings(text)] == expected


def test_iso_date_only_for_one_reading():
    assert iso_date("31/12/2030") == "2030-12-31"
    assert iso_date("12/11/2030") is None
    assert iso_date("2030-12-31") is None  # already ISO: nothing to suggest
    assert iso_date(20301231) is None


@pytest.mark.parametrize("written", ["31/12/2030", "31.12.2030", "12/31/2030", "2030/12/31"])
def test_fix_mends_a_date_read_one_way(written, tmp_path, run_cli):
    path = project(tmp_path, GOAL.replace("2030-12-31", written))
    lint = run_cli(["lint", "--format", "json", "--today", TODAY], cwd=tmp_path)
    (finding,) = [f for f in json.loads(lint.stdout)["findings"] if f["code"] != "KS203"]
    # at the key due:
    assert (finding["code"], finding["line"], finding["column"]) == ("KS002", 6, 5)
    assert finding["message"].endswith(f"not '{written}'; did you mean 2030-12-31?")
    run_cli(["fix", "--today", TODAY], cwd=tmp_path)
    assert path.read_text() == GOAL
    after = run_cli(["lint", "--format", "json", "--today", TODAY], cwd=tmp_path)
    assert [f["code"] for f in json.loads(after.stdout)["findings"]] == ["KS203"]


def test_fix_never_writes_an_ambiguous_date(tmp_path, run_cli):
    text = GOAL.replace("2030-12-31", "12/11/2030")
    path = project(tmp_path, text)
    fixed = run_cli(["fix", "--today", TODAY], cwd=tmp_path)
    assert fixed.exit_code == 1
    assert path.read_text() == text


def test_import_csv_reads_dates_as_lint_does():
    from kpispec.authoring.import_csv import parse_date

    assert parse_date("31/12/2027", end=True) == _dt.date(2027, 12, 31)
    assert parse_date("31.12.2027", end=True) == _dt.date(2027, 12, 31)
    with pytest.raises(ValueError):
        parse_date("12/11/2026", end=True)
