"""The one YAML emitter (kpispec.authoring.emit) and the one YAML edit model
(kpispec.findings.fix.Document) that both importers use (issue 22), and text that never
becomes structure in what they write (issue 23, contract section 16)."""

from __future__ import annotations

import json

import pytest
from conftest import REPO, run_kpispec_in_process

from kpispec.authoring import emit, import_csv, import_dbt
from kpispec.findings.fix import Document, apply
from kpispec.load.loader import LoadedFile
from kpispec.load.parse import load_text
from kpispec.text import yaml_comment

BREAKS = ["\r", "\n", "\r\n", "\x85", "\u2028", "\u2029"]
HOSTILE = "goals: [{id: evil, title: E, owner: o, due: 2030-01-01}]"


def read_back(text: str) -> LoadedFile:
    loaded = load_text(text, LoadedFile())
    assert loaded.ok, [p.message for p in loaded.problems]
    assert not [p for p in loaded.problems if p.code in ("KS001", "KS003")], loaded.problems
    return loaded


# -- comments ---------------------------------------------------------------------------


@pytest.mark.parametrize("brk", BREAKS)
def test_a_comment_never_gains_a_line_break(brk):
    line = yaml_comment(f"x.csv{brk}{HOSTILE}{brk}#")
    assert line.isprintable() and HOSTILE in line
    block = emit.comment_block([f"from {line}", "", f"name{brk}{HOSTILE}"])
    assert block.count("\n") == 3 and all(li.startswith("#") for li in block.splitlines())
    loaded = read_back(block + "kpispec: 1\n")
    assert loaded.data == {"kpispec": 1}  # nothing but comments and the one key


def test_printable_text_is_left_as_it_is():
    assert yaml_comment("Café – Umsatz: 95% (Q4)") == "Café – Umsatz: 95% (Q4)"
    assert yaml_comment("tab\tnul\x00esc\x1b") == "tab\\tnul\\x00esc\\x1b"


# -- scalars ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "two\nlines\n",
        "esc\x1b in\nmany lines\x00 and del\x7f\n",
        "nel\x85inside",
        "ls\u2028ps\u2029",
        "lone\rcr",
        "tab\there",
        "rev:x",
        "a?b",
        "?x",
        "a: b",
        "x #y",
        "café",
    ],
)
def test_every_string_reads_back_as_it_was_in_a_block_and_on_one_line(value):
    document = {
        "kpispec": 1,
        "metrics": [{"id": "m", "name": value, "data_source": {"system": "s", "table": value}}],
    }
    for flow in (emit.never, lambda v: isinstance(v, dict)):
        text = emit.dump(document, flow=flow)
        assert all(ch.isprintable() or ch == "\n" for ch in text), repr(text)
        assert read_back(text).data == document, text


def test_one_line_collections_quote_what_kpispecs_reader_would_refuse():
    text = emit.dump(
        {"metrics": [{"id": "m", "tags": ["why?", "a:b", "ok"]}]},
        flow=lambda v: isinstance(v, list),
    )
    assert "tags: ['why?', 'a:b', ok]" in text
    assert read_back(text).data["metrics"][0]["tags"] == ["why?", "a:b", "ok"]


def test_entries_comments_and_header():
    text = emit.dump(
        {"kpispec": 1, "kpis": [{"id": "a"}, {"id": "b"}]},
        header=["first", f"second\r{HOSTILE}"],
        comments={("kpis", 1): ["row 3: note", f"evil\u2028{HOSTILE}"]},
    )
    assert text == (
        "# first\n"
        f"# second\\r{HOSTILE}\n"
        "kpispec: 1\n"
        "kpis:\n"
        "  - id: a\n"
        "  # row 3: note\n"
        f"  # evil\\u2028{HOSTILE}\n"
        "  - id: b\n"
    )
    assert read_back(text).data == {"kpispec": 1, "kpis": [{"id": "a"}, {"id": "b"}]}


def test_both_importers_use_the_one_emitter():
    assert import_csv.dump is emit.dump and import_dbt.dump is emit.dump
    assert import_dbt.Document is Document


# -- the edit model -----------------------------------------------------------------------


def test_content_end_and_line_after():
    text = "metrics:\n  - id: a\n    note: |\n      x\n\n  # closing\nkpis: []\n"
    doc = Document(text)
    end = doc.content_end(("metrics",))
    assert text[:end].endswith("      x")
    at = doc.line_after(end - 1)
    assert text[at:].startswith("\n  # closing")
    assert apply(text, [(at, at, "  - id: b\n")]).startswith(
        "metrics:\n  - id: a\n    note: |\n      x\n  - id: b\n\n  # closing\n"
    )
    assert doc.line_after(len(text)) == len(text)


# -- the importers, end to end ----------------------------------------------------------------


@pytest.mark.parametrize("brk", ["\r", "\x85", "\u2028", "\u2029"])
def test_a_csv_file_name_cannot_write_entries(tmp_path, brk):
    (tmp_path / ".git").mkdir()
    name = f"x.csv{brk}{HOSTILE}{brk}#"
    (tmp_path / name).write_text("Name,Owner\nRevenue,cfo\n")
    proc = run_kpispec_in_process(["import", "csv", name, "--output", "out.yaml"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "out.yaml").read_bytes().decode("utf-8")
    data = read_back(text).data
    assert "goals" not in data and [e["id"] for e in data["kpis"]] == ["revenue"]
    assert all(ch.isprintable() or ch == "\n" for ch in text)


def test_csv_cells_with_control_characters_and_nel_read_back_as_they_were(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "in.csv").write_bytes(
        'Name,Description,Tags\nRevenue,"a\x1bb\nc\x00d\x7f",x\nCost,"n\x85l",why?\n'.encode()
    )
    proc = run_kpispec_in_process(["import", "csv", "in.csv", "--output", "out.yaml"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "out.yaml").read_bytes().decode("utf-8")
    kpis = read_back(text).data["kpis"]
    assert kpis[0]["description"] == "a\x1bb\nc\x00d\x7f\n"  # a multi-line cell: one final \n
    assert kpis[1]["description"] == "n\x85l"  # NEL stays NEL, not a space
    assert kpis[1]["tags"] == ["why?"]
    lint = run_kpispec_in_process(["lint", "--format", "json", "out.yaml"], tmp_path)
    codes = {f["code"] for f in json.loads(lint.stdout)["findings"]}
    assert not codes & {"KS001", "KS002", "KS003"}, codes


def test_a_manifest_cannot_write_entries_nor_yaml_kpispec_refuses(tmp_path):
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    (root / "target").mkdir()
    manifest = json.loads((REPO / "tests" / "dbt" / "manifest.json").read_text())
    manifest["metadata"]["project_name"] = f"shop\n{HOSTILE}\u2028\r"
    manifest["metrics"]["metric.jaffle_shop.revenue"]["name"] = "rev:x"
    manifest["metrics"]["metric.jaffle_shop.order_count"]["name"] = "a?b"
    manifest["metrics"]["metric.jaffle_shop.order_count"]["description"] = "two\nlines\x1b\x85 end"
    (root / "target" / "manifest.json").write_text(json.dumps(manifest))
    (root / "kpispec.toml").write_text('[dbt]\nmanifest = "target/manifest.json"\n')
    proc = run_kpispec_in_process(["import", "dbt", "--output", "kpis/dbt.yaml"], root)
    assert proc.returncode == 0, proc.stderr
    text = (root / "kpis" / "dbt.yaml").read_bytes().decode("utf-8")
    data = read_back(text).data
    assert "goals" not in data
    sources = {e["id"]: e["data_source"]["metric"] for e in data["metrics"]}
    assert sources["rev-x"] == "rev:x" and sources["a-b"] == "a?b"
    assert {e["id"]: e.get("description") for e in data["metrics"]}[
        "a-b"
    ] == "two\nlines\x1b\x85 end"
    assert "data_source: {system: dbt, metric: 'rev:x'}" in text
    lint = run_kpispec_in_process(["lint", "--format", "json", "kpis/dbt.yaml"], root)
    codes = {f["code"] for f in json.loads(lint.stdout)["findings"]}
    assert not codes & {"KS001", "KS002", "KS003"}, codes
    # and into an existing file, through the edit model: the same entries, nothing else moves
    existing = "kpispec: 1\nmetrics:\n  - id: m\n    name: M  # mine\n\n# the end\n"
    (root / "kpis" / "dbt.yaml").write_text(existing)
    proc = run_kpispec_in_process(["import", "dbt", "--output", "kpis/dbt.yaml"], root)
    assert proc.returncode == 0, proc.stderr
    text = (root / "kpis" / "dbt.yaml").read_text()
    assert text.startswith("kpispec: 1\nmetrics:\n  - id: m\n    name: M  # mine\n  - id: a-b\n")
    assert text.endswith("metric: 'rev:x'}\n\n# the end\n")


def test_the_verifier_refuses_what_the_reader_refuses():
    emit.verify_yaml(b"\xef\xbb\xbfkpispec: 1\n")  # a BOM is fine
    for bad in (b"a: {b: a?b}\n", b"a: [\n", b"a: 1\na: 2\n"):
        with pytest.raises(ValueError):
            emit.verify_yaml(bad)


def test_nothing_but_the_emitter_builds_ruamel_nodes():
    """One emitter: no other module of the importers makes ruamel scalar strings."""
    for module in ("import_csv.py", "import_dbt.py"):
        source = (REPO / "kpispec" / "authoring" / module).read_text()
        assert "ScalarString" not in source and "yaml_set_start_comment" not in source, module


# -- what lint would refuse is not written -------------------------------------------------


def test_csv_refuses_a_value_lint_refuses_naming_the_row(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "in.csv").write_text("Name,Target,Tolerance\nCost,5,1\nRevenue,5,-2\n")
    proc = run_kpispec_in_process(["import", "csv", "in.csv", "--output", "out.yaml"], tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line == (
        "kpispec: in.csv: row 3: kpis[1].target.tolerance must be 0 or more, not -2; "
        "kpispec lint would refuse the file (KS002): nothing written"
    )
    assert not (tmp_path / "out.yaml").exists()


def test_dbt_refuses_an_added_entry_lint_refuses_but_not_what_was_there():
    entries = [{"id": "m", "name": "", "data_source": {"system": "dbt", "metric": "rev"}}]
    old = "kpispec: 1\nmetrics:\n  - id: o\n    name: ''\n"  # the user's own KS002: kept
    import_dbt._refuse_what_lint_would(old, entries, 1)
    text = old + "  - id: m\n    name: ''\n    data_source: {system: dbt, metric: rev}\n"
    with pytest.raises(import_dbt.DbtImportError, match=r"^dbt metric rev: metrics\[1\]\.name"):
        import_dbt._refuse_what_lint_would(text, entries, 1)
    assert emit.refused("a: [\n")  # and KS001 anywhere
