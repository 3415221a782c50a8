"""kpispec.text: one slug, one plural (issue 22), one escaping of YAML comments (issue 23)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from kpispec.text import plural, slug

ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")


# -- slug ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, made",
    [
        ("Net Revenue Retention (NRR)", "net-revenue-retention-nrr"),
        ("average_order_value", "average-order-value"),  # _ is one -, as dbt names are
        ("MRR_New", "mrr-new"),
        ("Café – Umsatz", "cafe-umsatz"),
        ("R&D spend", "r-and-d-spend"),
        ("  % of journal entries automated ", "pct-of-journal-entries-automated"),
        ("revenue.v2", "revenue.v2"),  # . is kept: ids may hold it
        ("__private__", "private"),
        ("-.x.-", "x"),
        ("a?b", "a-b"),
        ("rev:x", "rev-x"),
        ("line\nbreak\u2028sep", "line-breaksep"),  # what NFKD leaves no ASCII for goes
    ],
)
def test_slug(name, made):
    assert slug(name) == made
    assert ID_RE.match(made)


def test_slug_of_nothing_and_of_a_lot():
    assert slug("!!!") == "unnamed"
    assert slug("日本語", "metric") == "metric"  # nothing ASCII left: the caller's word
    long = slug("word " * 100)
    assert len(long) <= 200 and ID_RE.match(long) and not long.endswith("-")


def test_both_importers_use_the_one_slug():
    from kpispec.authoring import import_csv, import_dbt

    assert import_csv.slug is slug and import_dbt.slug is slug


# -- plural ----------------------------------------------------------------------------


def test_plural():
    assert plural(0, "file") == "0 files"
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(2, "entry", "entries") == "2 entries"
    assert plural(1234, "KPI") == "1234 KPIs"  # lint's output: the bare number
    assert plural(1234, "KPI", grouped=True) == "1,234 KPIs"  # a report: as people read


def test_plural_is_the_same_function_for_lint_and_reports():
    from kpispec.formats import text as lint_text
    from kpispec.report import model

    assert lint_text.plural is plural
    assert model.plural(1234, "goal") == plural(1234, "goal", grouped=True)
    assert (
        lint_text.summary_line(
            {
                "files": 1000,
                "entries": 1,
                "kpis": 0,
                "metrics": 2,
                "errors": 1,
                "warnings": 0,
                "infos": 3,
            }
        )
        == "1000 files, 1 entry: 0 KPIs, 2 metrics; 1 error, 0 warnings, 3 infos"
    )


# -- an import csv whose ids had _ still links ------------------------------------------


def test_csv_links_to_an_id_slugged_from_underscores(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "in.csv").write_text(
        "Id,Name,Kind,Inputs,Goal\n"
        "Q4_Growth,Grow in Q4,goal,,\n"
        "ARR_Total,Annual recurring revenue,kpi,mrr_new,q4_growth\n"
        "MRR_New,New MRR,metric,,\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "kpispec", "import", "csv", "in.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    from ruamel.yaml import YAML

    doc = YAML(typ="safe").load(proc.stdout)
    assert [g["id"] for g in doc["goals"]] == ["q4-growth"]  # no stub goal made
    assert doc["kpis"][0]["id"] == "arr-total"
    assert doc["kpis"][0]["inputs"] == ["mrr-new"] and doc["kpis"][0]["goal"] == "q4-growth"
    assert [m["id"] for m in doc["metrics"]] == ["mrr-new"]


# -- yaml_comment ----------------------------------------------------------------------


@pytest.mark.parametrize("brk", ["\r", "\n", "\r\n", "\x85", "\u2028", "\u2029", "\x0b", "\x0c"])
def test_yaml_comment_keeps_text_on_its_line(brk):
    from kpispec.text import yaml_comment

    made = yaml_comment(f"a{brk}kpis: [x]")
    assert made.isprintable() and made.endswith("kpis: [x]")
    assert made.isascii() and made.startswith("a\\")  # the break written as its escape
    assert yaml_comment("Café: 95% — ok") == "Café: 95% — ok"
