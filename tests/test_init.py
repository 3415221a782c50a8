"""``kpispec init``: a starter that lints clean today and for years, a config table appended
byte for byte, never an overwrite, a second run that says what exists."""

from __future__ import annotations

import datetime as _dt
import hashlib
import sys
from pathlib import Path

import pytest
from conftest import lint_json, run_kpispec
from ruamel.yaml import YAML

from kpispec.authoring.starter import STARTER, starter_text
from kpispec.config import load_config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def init(folder: Path, *args: str):
    return run_kpispec(["init", *args], folder)


def test_init_into_an_empty_folder(tmp_path):
    (tmp_path / ".git").mkdir()
    proc = init(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(tree(tmp_path)) == ["kpis/starter.yaml", "kpispec.toml"]
    assert "created kpispec.toml" in proc.stdout and "created kpis/starter.yaml" in proc.stdout
    # the pre-commit snippet, pinned, with the hook id; and what to do next
    assert "- id: kpispec" in proc.stdout and "rev: v" in proc.stdout
    assert "pin a release tag or a commit sha" in proc.stdout
    assert "Next:" in proc.stdout and "kpispec lint" in proc.stdout
    assert "kpispec import csv" in proc.stdout
    lines = proc.stdout.splitlines()
    start = lines.index("  repos:")
    end = lines.index("", start)
    snippet = "\n".join(line[2:] for line in lines[start:end])
    hooks = YAML(typ="safe").load(snippet)
    assert hooks["repos"][0]["hooks"] == [{"id": "kpispec"}]
    # the config is valid and is the project's
    config = load_config(start=tmp_path)
    assert config.source == (tmp_path / "kpispec.toml").resolve() and config.max_kpis == 7
    # the starter lints clean: no finding at all, two KPIs, two metrics
    report = lint_json([], tmp_path)
    assert report["findings"] == [], report["findings"]
    assert report["summary"]["kpis"] == 2 and report["summary"]["metrics"] == 2
    assert all(e["class"] == "kpi" for e in report["entries"] if e["declared"] == "kpi")


def test_starter_lints_clean_today_and_for_years(tmp_path):
    (tmp_path / ".git").mkdir()
    assert init(tmp_path).returncode == 0
    today = _dt.date.today()
    for days in (0, 365, 4 * 365, 5 * 365):
        when = (today + _dt.timedelta(days=days)).isoformat()
        proc = run_kpispec(["lint", "--format", "json", "--today", when], tmp_path)
        assert proc.returncode == 0, (when, proc.stdout)
        assert '"findings": []' in proc.stdout, when


def test_starter_explains_every_key():
    text = starter_text(_dt.date(2026, 6, 1))
    data = YAML(typ="safe").load(text)
    goal, (first, counter), metrics = data["goals"][0], data["kpis"], data["metrics"]
    assert first["goal"] == counter["goal"] == goal["id"]  # one goal, two KPIs...
    assert first["target"]["direction"] != counter["target"]["direction"]  # ...pulling apart
    assert first["inputs"] == [metrics[0]["id"]] and metrics[1]["feeds"] == [counter["id"]]
    lines = text.splitlines()
    explained = set()
    for line in lines:
        key = line.strip().removeprefix("- ").split(":", 1)[0]
        if ":" in line and "#" in line.split(":", 1)[1]:
            explained.add(key)
    for key in (
        "kpispec",
        "scope",
        "goals",
        "id",
        "title",
        "owner",
        "due",
        "kpis",
        "goal",
        "value",
        "unit",
        "direction",
        "baseline",
        "start",
        "end",
        "review",
        "data_source",
        "system",
        "table",
        "inputs",
        "metrics",
        "feeds",
    ):
        assert key in explained, key
    assert "2026-01-01" in text and "2031-12-31" in text


def test_init_appends_to_pyproject_byte_for_byte(tmp_path):
    before = (
        b'[project]\r\nname = "app"  # a comment\r\n\r\n[tool.ruff]\r\n'
        b"line-length = 100\r\n"
    )  # CRLF, as a Windows editor saves it
    (tmp_path / "pyproject.toml").write_bytes(before)
    (tmp_path / ".git").mkdir()
    proc = init(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "appended [tool.kpispec] to pyproject.toml" in proc.stdout
    after = (tmp_path / "pyproject.toml").read_bytes()
    assert after.startswith(before)
    added = after[len(before) :]
    assert added.startswith(b"\r\n[tool.kpispec]\r\n")
    assert b"\n" not in added.replace(b"\r\n", b"")  # the file's line endings, throughout
    data = tomllib.loads(after.decode())
    assert data["tool"]["ruff"] == {"line-length": 100} and data["project"]["name"] == "app"
    assert data["tool"]["kpispec"] == {"max-kpis": 7}
    assert not (tmp_path / "kpispec.toml").exists()
    assert load_config(start=tmp_path).source == (tmp_path / "pyproject.toml").resolve()
    assert lint_json([], tmp_path)["findings"] == []


def test_pyproject_without_final_newline(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "app"')
    assert init(tmp_path).returncode == 0
    after = (tmp_path / "pyproject.toml").read_bytes()
    assert after.startswith(b'[project]\nname = "app"\n\n[tool.kpispec]\n')


def test_pyproject_that_already_has_the_table_is_left_alone(tmp_path):
    before = b'[project]\nname = "app"\n\n[tool.kpispec]\nmax-kpis = 5\n'
    (tmp_path / "pyproject.toml").write_bytes(before)
    proc = init(tmp_path)
    assert proc.returncode == 0
    assert "pyproject.toml already has [tool.kpispec]: left as it is" in proc.stdout
    assert (tmp_path / "pyproject.toml").read_bytes() == before
    assert (tmp_path / STARTER).is_file() and not (tmp_path / "kpispec.toml").exists()


def test_invalid_pyproject_writes_nothing(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes(b"[project\nname = \n")
    before = tree(tmp_path)
    proc = init(tmp_path)
    assert proc.returncode == 2 and "not valid TOML" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert tree(tmp_path) == before


def test_second_run_overwrites_nothing_and_says_what_exists(tmp_path):
    (tmp_path / ".git").mkdir()
    assert init(tmp_path).returncode == 0
    (tmp_path / STARTER).write_text("kpispec: 1\n# edited\n")
    before = tree(tmp_path)
    proc = init(tmp_path)
    assert proc.returncode == 0, proc.stderr  # as git init in an existing repository
    assert tree(tmp_path) == before
    assert "kpispec.toml exists: left as it is" in proc.stdout
    assert "kpis/starter.yaml exists: left as it is" in proc.stdout
    assert "nothing written" in proc.stdout


def test_existing_catalog_gets_no_starter(tmp_path):
    (tmp_path / "kpis").mkdir()
    (tmp_path / "kpis" / "sales.yaml").write_text("kpispec: 1\n")
    proc = init(tmp_path)
    assert proc.returncode == 0
    assert "KPI files exist (kpis/sales.yaml)" in proc.stdout
    assert not (tmp_path / STARTER).exists() and (tmp_path / "kpispec.toml").is_file()


def test_init_into_a_new_folder_and_existing_hook(tmp_path):
    proc = init(tmp_path, "new/project")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "new" / "project" / STARTER).is_file()
    assert "in new/project:" in proc.stdout and "cd new/project && kpispec lint" in proc.stdout
    (tmp_path / "new" / "project" / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: x\n    rev: v1\n    hooks:\n      - id: kpispec\n"
    )
    proc = init(tmp_path, "new/project")
    assert ".pre-commit-config.yaml already runs the kpispec hook" in proc.stdout
    assert "rev: v" not in proc.stdout


@pytest.mark.parametrize("name", ["file.txt"])
def test_init_on_a_file_is_a_usage_error(tmp_path, name):
    (tmp_path / name).write_text("x")
    proc = init(tmp_path, name)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
