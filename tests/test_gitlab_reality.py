"""Reality check: GitLab's public KPI catalogue, converted by bench/gitlab_convert.py and
linted with the real CLI.

The 13 source files (GitLab handbook, CC BY-SA 4.0) live in the shared data folder next to
the checkout. They have free-text targets, no goals and no deadlines, so kpispec must read
every file, crash on none, and class most declared KPIs as merely metrics — pointing each
finding at a line that really holds the entry.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, TODAY, run_kpispec_in_process
from ruamel.yaml import YAML

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "gitlab-performance-indicators"
CONVERTER = REPO / "bench" / "gitlab_convert.py"
KEY_RE = re.compile(r"(- )?[a-z_]+:( |$)")

pytestmark = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"GitLab performance indicator data not found at {DATA}"
)


def source_records() -> list[dict]:
    yaml = YAML(typ="safe")
    records = []
    for path in sorted(DATA.glob("*.yml")):
        data = yaml.load(path.read_text(encoding="utf-8"))
        records.extend(r for r in data if isinstance(r, dict))
    return records


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    """The source converted into a fresh project folder (its own .git: its own root)."""
    root = tmp_path_factory.mktemp("gitlab")
    (root / ".git").mkdir()
    proc = subprocess.run(
        [sys.executable, str(CONVERTER), str(DATA), str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture(scope="module")
def linted(converted) -> dict:
    proc = run_kpispec_in_process(["lint", "kpis", "--format", "json", "--today", TODAY], converted)
    assert proc.returncode == 1, proc.stderr  # error findings, and no usage error / crash
    assert proc.stderr == ""
    return json.loads(proc.stdout)


def test_every_source_file_converts_and_parses(converted, linted):
    sources = sorted(p.stem for p in DATA.glob("*.yml"))
    assert sorted(p.stem for p in (converted / "kpis").glob("*.yaml")) == sources
    assert linted["summary"]["files"] == len(sources)
    codes = Counter(f["code"] for f in linted["findings"])
    assert codes["KS001"] == 0 and codes["KS003"] == 0  # every file is readable YAML
    assert codes["KS002"] == 0  # and the converter writes the format exactly
    assert codes["KS900"] == 0  # no rule crashed on real data


def test_every_indicator_becomes_one_entry(linted):
    records = source_records()
    declared_key = sum(1 for r in records if r.get("is_key") in (True, "yes"))
    entries = linted["entries"]
    assert len(entries) == len(records)
    assert sum(1 for e in entries if e["declared"] == "kpi") == declared_key


def test_most_declared_kpis_are_merely_metrics(converted, linted):
    """No goal links in the source: the share of declared KPIs classed metric is high,
    and the text output lists each of them with what it lacks."""
    declared = [e for e in linted["entries"] if e["declared"] == "kpi"]
    merely = [e for e in declared if e["class"] == "metric"]
    assert declared and len(merely) / len(declared) > 0.5
    assert all("goal" in e["lacks"] for e in merely)
    assert linted["summary"]["kpis"] == len(declared) - len(merely)

    proc = run_kpispec_in_process(["lint", "kpis", "--today", TODAY], converted)
    lines = proc.stdout.splitlines()
    start = lines.index("Declared under kpis: but merely metrics:")
    listed = [line for line in lines[start + 1 :] if line.startswith("  ")]
    assert len(listed) == len(merely)
    assert lines[-1].startswith(f"{len(list(DATA.glob('*.yml')))} files, ")
    assert f"{linted['summary']['kpis']} KPIs" in lines[-1]


def test_findings_point_at_real_lines(converted, linted):
    """Each finding about an entry lies inside that entry's block, at a key."""
    texts = {
        p.name: p.read_text(encoding="utf-8").splitlines()
        for p in (converted / "kpis").glob("*.yaml")
    }
    for finding in linted["findings"]:
        lines = texts[Path(finding["path"]).name]
        assert 1 <= finding["line"] <= len(lines), finding
        text = lines[finding["line"] - 1]
        assert KEY_RE.match(text[finding["column"] - 1 :]), (finding, text)
        if finding["entry"] is None:
            continue
        starts = [i for i, line in enumerate(lines, 1) if re.match(r"\s+- id: ", line)]
        block_start = max(i for i in starts if i <= finding["line"])
        assert lines[block_start - 1].strip() == f"- id: {finding['entry']}", finding


def test_duplicate_names_are_reported_as_duplicate_ids(converted, linted):
    """Two departments list the same indicator: the converted ids clash (KS004) exactly
    where the converted files define an id twice."""
    yaml = YAML(typ="safe")
    ids = Counter()
    for path in (converted / "kpis").glob("*.yaml"):
        doc = yaml.load(path.read_text(encoding="utf-8"))
        ids.update(e["id"] for section in ("kpis", "metrics") for e in doc.get(section, []))
    twice = {entry_id for entry_id, count in ids.items() if count > 1}
    reported = {f["entry"] for f in linted["findings"] if f["code"] == "KS004"}
    assert reported == twice


def test_numeric_targets_only_when_the_source_has_a_number(converted):
    """Free text such as 'At or above 95%' never becomes target.value."""
    yaml = YAML(typ="safe")
    numbers = {
        " ".join(str(r["name"]).replace("\\%", "%").split())
        for r in source_records()
        if r.get("is_key") in (True, "yes")
        and isinstance(r.get("target"), (int, float))
        and not isinstance(r["target"], bool)
    }
    with_target = set()
    for path in (converted / "kpis").glob("*.yaml"):
        doc = yaml.load(path.read_text(encoding="utf-8"))
        with_target.update(e["name"] for e in doc.get("kpis", []) if "target" in e)
    assert with_target == numbers
