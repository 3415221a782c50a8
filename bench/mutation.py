"""A mutation round (issue 12): hand-made mutants of kpispec, each run against the suite.

Each mutant is (file, exact old text, new text, description). The working tree
(``git ls-files --cached --others --exclude-standard``) is copied once per worker into a
temporary folder; a mutant is applied there (never in this checkout), the fast suite runs
with the dev venv's python and ``PYTHONPATH=<copy>`` (so ``import kpispec`` is the copy's),
and the file is restored. A failing suite kills the mutant; a passing one is a survivor;
a run past the timeout counts as killed (a hang is a detected change) and is marked so.
An old text that is not in its file exactly once is an *error* (the code changed, or the
text is ambiguous), listed apart, never counted as a survivor.

Before any mutant: the copy must import kpispec from itself, the unmutated suite is run
once (tests that already fail there are deselected for every mutant, and listed), and a
canary mutant of an obviously tested line must be killed -- else the round stops.

    python bench/mutation.py                 # all mutants, 2 workers
    python bench/mutation.py --only cache    # the mutants of files whose path has 'cache'
    python bench/mutation.py --check         # only check every old text is found once
    python bench/mutation.py --list

Writes bench/out/mutation.json (bench/out is git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out" / "mutation.json"
VENV_PYTHON = Path(os.environ.get("KPISPEC_MUTATION_PYTHON", "/tmp/venv/bin/python"))
# the test files that pin behaviour literally first: most mutants die there within
# seconds, and -x stops at the first failure; then the rest of the suite (pytest runs
# a file named twice once). The rest is named file by file: a folder named after the
# files (``tests``) is collected in its own order, which would undo this one
FIRST = [
    "tests/test_rules.py",
    "tests/rules",
    "tests/test_catalog.py",
    "tests/test_policy.py",
    "tests/test_suppress.py",
    "tests/test_smoke.py",
    "tests/test_config.py",
    "tests/test_formats.py",
    "tests/test_cache.py",
    "tests/test_gate.py",
    "tests/test_known.py",
]
PYTEST = [
    "-m",
    "pytest",
    "-x",
    "-q",
    "-n",
    "0",
    "-p",
    "no:cacheprovider",
    "-m",
    "not slow",
    *FIRST,
    *sorted(str(path.relative_to(REPO)) for path in (REPO / "tests").rglob("test_*.py")),
]


@dataclass(frozen=True)
class Mutant:
    file: str
    old: str
    new: str
    description: str


def M(file: str, old: str, new: str, description: str) -> Mutant:
    return Mutant(file if file.startswith("kpispec/") else f"kpispec/{file}", old, new, description)


R = "rules/"
# an obviously tested line: every run of the examples reports KS101 under its code
CANARY = M(
    R + "ks101_kpi_without_goal.py",
    'CODE = "KS101"',
    'CODE = "KS109"',
    "canary: KS101's code changed",
)

MUTANTS: list[Mutant] = [
    # -- rules ---------------------------------------------------------------------------
    M(
        R + "ks001_yaml_syntax.py",
        'SEVERITY = "error"',
        'SEVERITY = "warning"',
        "KS001 severity error -> warning",
    ),
    M(
        R + "ks001_yaml_syntax.py",
        "return load_findings(catalog, CODE)",
        "return []",
        "KS001 reports nothing",
    ),
    M(
        R + "ks002_schema.py",
        'SEVERITY = "error"',
        'SEVERITY = "warning"',
        "KS002 severity error -> warning",
    ),
    M(
        R + "ks002_schema.py",
        "return load_findings(catalog, CODE)",
        'return load_findings(catalog, "KS003")',
        "KS002 reports KS003's problems",
    ),
    M(
        R + "ks003_duplicate_key.py",
        "return load_findings(catalog, CODE)",
        "return iter(())",
        "KS003 reports nothing",
    ),
    M(
        R + "ks004_duplicate_id.py",
        "if len(entries) < 2:",
        "if len(entries) < 3:",
        "KS004 needs three definitions (off by one)",
    ),
    M(
        R + "ks004_duplicate_id.py",
        "if o is not entry][:3]",
        "if o is not entry][:2]",
        "KS004 names two others, not three",
    ),
    M(
        R + "ks004_duplicate_id.py",
        "if len(entries) - 1 > len(shown):",
        "if len(entries) - 1 >= len(shown):",
        "KS004 says 'and 0 more'",
    ),
    M(
        R + "ks004_duplicate_id.py",
        'f"{o.file.display}:{o.line}"',
        'f"{o.file.display}"',
        "KS004 drops the line of the other definitions",
    ),
    M(
        R + "ks004_duplicate_id.py",
        '"ids must be unique across the catalog: rename one",\n                "id")',
        '"ids must be unique across the catalog: rename one")',
        "KS004 at the entry, not at its id key",
    ),
    M(
        R + "ks005_unresolved_reference.py",
        "if ref.resolves:",
        "if ref.resolves or ref.target is not None:",
        "KS005 silent on an id of the wrong kind",
    ),
    M(
        R + "ks005_unresolved_reference.py",
        'message += f". Did you mean \'{hint}\'?" if hint else ""',
        'message += ""',
        "KS005 drops the near-miss suggestion",
    ),
    M(
        R + "ks005_unresolved_reference.py",
        'message += unread_note("it may be defined in", unread)',
        "pass",
        "KS005 drops the unreadable-file note",
    ),
    M(
        R + "ks005_unresolved_reference.py",
        '(f"[{ref.index}]" if ref.index is not None else "")',
        '""',
        "KS005 drops the list index of the reference",
    ),
    M(
        R + "ks005_unresolved_reference.py",
        "yield ref.source.finding(CODE, message, *ref.keys)",
        "yield ref.source.finding(CODE, message)",
        "KS005 at the entry, not at the key",
    ),
    M(
        R + "ks101_kpi_without_goal.py",
        'if "goal" not in entry.data:',
        'if "goal" not in entry.data and entry.is_kpi:',
        "KS101 never fires (a KPI has a goal)",
    ),
    M(
        R + "ks101_kpi_without_goal.py",
        'SEVERITY = "error"',
        'SEVERITY = "warning"',
        "KS101 severity error -> warning",
    ),
    M(
        R + "ks102_kpi_without_target.py",
        'elif isinstance(target, dict) and "value" not in target:',
        'elif isinstance(target, dict) and "value" in target:',
        "KS102 fires on a target with a value",
    ),
    M(
        R + "ks102_kpi_without_target.py",
        '"Add value: <number> under target:", "target")',
        '"Add value: <number> under target:")',
        "KS102 (no value) at the entry, not at target",
    ),
    M(
        R + "ks102_kpi_without_target.py",
        'if "target" not in entry.data:',
        'if "target" not in entry.data and False:',
        "KS102 silent on a missing target",
    ),
    M(
        R + "ks103_kpi_without_timeframe.py",
        'elif isinstance(timeframe, dict) and "end" not in timeframe:',
        'elif isinstance(timeframe, dict) or "end" not in timeframe:',
        "KS103 and -> or",
    ),
    M(
        R + "ks103_kpi_without_timeframe.py",
        '"Add end: YYYY-MM-DD under timeframe:", "timeframe")',
        '"Add end: YYYY-MM-DD under timeframe:")',
        "KS103 (no end) at the entry, not at timeframe",
    ),
    M(
        R + "ks104_kpi_without_owner.py",
        'if "owner" not in entry.data:',
        'if not entry.data.get("owner"):',
        "KS104 fires on an empty owner too",
    ),
    M(
        R + "ks104_kpi_without_owner.py",
        'SEVERITY = "error"',
        'SEVERITY = "warning"',
        "KS104 severity error -> warning",
    ),
    M(
        R + "ks105_kpi_without_data_source.py",
        'if "data_source" not in entry.data:',
        'if "data_source" in entry.data:',
        "KS105 condition inverted",
    ),
    M(
        R + "ks105_kpi_without_data_source.py",
        "has no data_source; nothing measures it. ",
        "has no data_source; ",
        "KS105 drops a message part",
    ),
    M(
        R + "ks106_kpi_without_review.py",
        'and "review" not in timeframe',
        'and "review" in timeframe',
        "KS106 condition inverted",
    ),
    M(
        R + "ks106_kpi_without_review.py",
        'and not policy_requires(ctx, entry, "timeframe.review")):',
        "):",
        "KS106 fires although KS403 reports the required review",
    ),
    M(
        R + "ks106_kpi_without_review.py",
        'SEVERITY = "warning"',
        'SEVERITY = "info"',
        "KS106 severity warning -> info",
    ),
    M(
        R + "ks107_kpi_without_baseline.py",
        'and "baseline" not in target',
        'and "baseline" in target',
        "KS107 condition inverted",
    ),
    M(
        R + "ks107_kpi_without_baseline.py",
        'and not policy_requires(ctx, entry, "target.baseline")):',
        "):",
        "KS107 fires although KS403 reports the required baseline",
    ),
    M(
        R + "ks201_too_many_kpis.py",
        "if len(entries) <= limit:",
        "if len(entries) < limit:",
        "KS201 fires at the limit (off by one)",
    ),
    M(
        R + "ks201_too_many_kpis.py",
        "        if entry.is_kpi:\n",
        "        if True:\n",
        "KS201 counts merely-metrics too",
    ),
    M(
        R + "ks201_too_many_kpis.py",
        "            if entry.file in seen_files:\n                continue\n",
        "",
        "KS201 once per KPI, not once per file",
    ),
    M(
        R + "ks201_too_many_kpis.py",
        "has {len(entries)} KPIs",
        "has {len(entries) - 1} KPIs",
        "KS201 count off by one",
    ),
    M(
        R + "ks201_too_many_kpis.py",
        "for scope, entries in sorted(by_scope.items()):",
        "for scope, entries in by_scope.items():",
        "KS201 scopes not sorted",
    ),
    M(
        R + "ks202_single_kpi_goal.py",
        'if len(kpis) == 1 and catalog.get(goal.id, "goal") is goal:',
        "if len(kpis) == 1:",
        "KS202 on every goal of a duplicated id",
    ),
    M(
        R + "ks202_single_kpi_goal.py",
        'if ref.key == "goal" and ref.resolves and ref.source.is_kpi:',
        'if ref.key == "goal" and ref.resolves:',
        "KS202 counts merely-metrics",
    ),
    M(
        R + "ks202_single_kpi_goal.py",
        'add a second KPI that balances it{note}")',
        'add a second KPI that balances it")',
        "KS202 drops the unreadable-file note",
    ),
    M(
        R + "ks202_single_kpi_goal.py",
        'SEVERITY = "warning"',
        'SEVERITY = "error"',
        "KS202 severity warning -> error",
    ),
    M(
        R + "base.py",
        "                    if child in inside:\n                        continue\n",
        "                    if child in inside or True:\n                        continue\n",
        "KS203/KS404 ignore sub-goals' KPIs",
    ),
    M(
        R + "ks203_goal_without_kpi.py",
        '        if ref.key == "goal" and ref.resolves:',
        '        if ref.key == "goal":',
        "KS203 counts unresolved goal links",
    ),
    M(
        R + "ks203_goal_without_kpi.py",
        "if not found and not others:",
        "if not found:",
        "KS203 fires on a goal measured only by merely-metrics",
    ),
    M(
        R + "ks204_orphan_metric.py",
        'if ref.key == "feeds":',
        'if ref.key == "feeds" and ref.resolves:',
        "KS204 also on a metric whose feeds: is unresolved (KS005's)",
    ),
    M(
        R + "ks204_orphan_metric.py",
        "connected.add(ref.target)",
        "connected.add(ref.source)",
        "KS204 inputs: connects the KPI, not the metric",
    ),
    M(
        R + "ks204_orphan_metric.py",
        "if metric not in connected:",
        "if metric in connected:",
        "KS204 condition inverted",
    ),
    M(
        R + "ks204_orphan_metric.py",
        'SEVERITY = "info"',
        'SEVERITY = "warning"',
        "KS204 severity info -> warning",
    ),
    M(
        R + "ks301_target_not_beyond_baseline.py",
        'direction == "increase" and value <= baseline',
        'direction == "increase" and value < baseline',
        "KS301 misses value == baseline (increase)",
    ),
    M(
        R + "ks301_target_not_beyond_baseline.py",
        'direction == "decrease" and value >= baseline',
        'direction == "decrease" and value > baseline',
        "KS301 misses value == baseline (decrease)",
    ),
    M(
        R + "ks301_target_not_beyond_baseline.py",
        'word = "equals" if value == baseline else "is below"',
        'word = "is below"',
        "KS301 never says 'equals' (increase)",
    ),
    M(
        R + "ks301_target_not_beyond_baseline.py",
        '"target", "value")',
        '"target")',
        "KS301 at target, not at its value",
    ),
    M(
        R + "ks302_timeframe_ended.py",
        "if end is not None and end < ctx.today:",
        "if end is not None and end <= ctx.today:",
        "KS302 fires on the end day itself",
    ),
    M(
        R + "ks302_timeframe_ended.py",
        "if due is not None and due < ctx.today:",
        "if due is not None and due <= ctx.today:",
        "KS302 fires on the due day itself",
    ),
    M(
        R + "ks302_timeframe_ended.py",
        '                "due")',
        "                )",
        "KS302 (goal) at the goal, not at due",
    ),
    M(
        R + "ks303_timeframe_inverted.py",
        "and end < start:",
        "and end <= start:",
        "KS303 fires on a one-day timeframe",
    ),
    M(
        R + "ks303_timeframe_inverted.py",
        '"timeframe", "end")',
        '"timeframe")',
        "KS303 at timeframe, not at end",
    ),
    M(
        R + "ks304_kpi_outlives_goal.py",
        "if due is not None and end > due:",
        "if due is not None and end >= due:",
        "KS304 fires when the KPI ends on the due date",
    ),
    M(
        R + "ks304_kpi_outlives_goal.py",
        "            if not ref.resolves:\n                continue\n",
        "",
        "KS304 follows a goal: naming a non-goal",
    ),
    M(
        R + "ks401_unknown_owner.py",
        "if not isinstance(owner, str) or policy.owner_known(owner):",
        "if not isinstance(owner, str):",
        "KS401 reports known owners",
    ),
    M(
        R + "ks401_unknown_owner.py",
        "close = suggest(owner, policy.owners)",
        "close = None",
        "KS401 drops the suggestion",
    ),
    M(
        R + "ks402_unknown_data_source.py",
        'where = f"in scope \'{entry.scope}\'" if scoped else "by the policy"',
        'where = "by the policy"',
        "KS402 never names the scope",
    ),
    M(
        R + "ks402_unknown_data_source.py",
        "f\"({', '.join(allowed)}); {fix}\"",
        'f"; {fix}"',
        "KS402 drops the allowed list",
    ),
    M(
        R + "ks402_unknown_data_source.py",
        "or system in allowed:",
        "or system in allowed[1:]:",
        "KS402 forgets the first allowed system",
    ),
    M(
        R + "ks403_missing_required_field.py",
        "isinstance(value, (str, list, dict))",
        "isinstance(value, (list, dict))",
        "KS403 takes a blank string as present",
    ),
    M(
        R + "ks403_missing_required_field.py",
        'state = f"has no {path}" if how == "absent" else f"leaves {path} empty"',
        'state = f"has no {path}"',
        "KS403 never says 'leaves ... empty'",
    ),
    M(
        R + "ks403_missing_required_field.py",
        "    if len(keys) == 1:\n",
        "    if len(keys) <= 2:\n",
        "KS403 example for a dotted path",
    ),
    M(
        R + "ks404_too_few_kpis_per_goal.py",
        "if len(found) >= minimum:",
        "if len(found) > minimum:",
        "KS404 fires at the minimum (off by one)",
    ),
    M(
        R + "ks404_too_few_kpis_per_goal.py",
        "        if others:\n",
        "        if True:\n",
        "KS404 always suggests completing merely-metrics",
    ),
    M(
        R + "ks404_too_few_kpis_per_goal.py",
        'have = "no complete KPI" if others else "no KPI"',
        'have = "no KPI"',
        "KS404 never says 'no complete KPI'",
    ),
    M(
        R + "ks404_too_few_kpis_per_goal.py",
        "{'s' if len(kpis) > 1 else ''}",
        "{'s' if len(kpis) > 0 else ''}",
        "KS404 '1 KPIs'",
    ),
    M(
        R + "ks404_too_few_kpis_per_goal.py",
        '        if catalog.get(goal.id, "goal") is not goal:\n            continue  # a duplicate id: KS004\'s finding\n',
        "",
        "KS404 on a duplicated goal id too",
    ),
    M(
        R + "base.py",
        "return not source.loaded.ok or not isinstance(source.loaded.data, dict)",
        "return not source.loaded.ok",
        "a top level that is not a mapping counts as read",
    ),
    M(
        R + "base.py",
        'more = f" and {len(unread) - 1} more" if len(unread) > 1 else ""',
        'more = f" and {len(unread) - 1} more" if len(unread) > 2 else ""',
        "unread note drops 'and 1 more'",
    ),
    M(
        R + "base.py",
        'fix = "that file" if len(unread) == 1 else "those files"',
        'fix = "those files"',
        "unread note always plural",
    ),
    M(
        R + "base.py",
        "if problem.code != code:",
        "if problem.code == code:",
        "load_findings inverted filter",
    ),
    M(
        R + "base.py",
        "len(entry_id) <= 256 else None",
        "len(entry_id) < 256 else None",
        "a 256-character id is no entry id (off by one)",
    ),
    M(
        R + "base.py",
        "return source.loaded.position(path[:2])[0]",
        "return source.loaded.position(path[:2])[1]",
        "entry_line is the column",
    ),
    # -- classify --------------------------------------------------------------------------
    M(
        "catalog/classify.py",
        "if not goal_refs or not all(ref.resolves for ref in goal_refs):",
        "if not goal_refs:",
        "an unresolved goal link counts",
    ),
    M(
        "catalog/classify.py",
        "not all(ref.resolves for ref in goal_refs)",
        "not any(ref.resolves for ref in goal_refs)",
        "one resolving goal of a list is enough",
    ),
    M(
        "catalog/classify.py",
        'if target is None or not is_number(target.get("value")):',
        "if target is None:",
        "a target without a numeric value counts",
    ),
    M(
        "catalog/classify.py",
        'as_date(timeframe.get("end")) is None',
        'timeframe.get("end") is None',
        "an end that is not a date counts",
    ),
    M(
        "catalog/classify.py",
        "entry.is_kpi = not entry.lacks",
        "entry.is_kpi = len(entry.lacks) <= 1",
        "a KPI may lack one thing",
    ),
    M(
        "catalog/classify.py",
        "entry.lacks, entry.is_kpi = [], False",
        "entry.lacks, entry.is_kpi = [], True",
        "metrics classed KPI",
    ),
    M(
        "catalog/classify.py",
        'missing.append("timeframe")',
        'missing.append("end")',
        "lacks says 'end' for the timeframe",
    ),
    # -- catalog ---------------------------------------------------------------------------
    M(
        "catalog/__init__.py",
        "return isinstance(value, (int, float)) and not isinstance(value, bool)",
        "return isinstance(value, (int, float))",
        "a bool is a number",
    ),
    M(
        "catalog/__init__.py",
        "return [v for v in value if isinstance(v, str)]",
        "return list(value)",
        "non-string ids kept in a reference list",
    ),
    M(
        "catalog/__init__.py",
        "return scope if isinstance(scope, str) and scope else self.file.scope",
        "return scope if isinstance(scope, str) else self.file.scope",
        "an empty entry scope overrides the file's",
    ),
    M(
        "catalog/__init__.py",
        "return self.target is not None and self.target.kind == self.want",
        "return self.target is not None",
        "a reference to the wrong kind resolves",
    ),
    M(
        "catalog/__init__.py",
        "                        target = named[0]\n",
        "                        target = None\n",
        "no wrong-kind target is remembered",
    ),
    M(
        "catalog/__init__.py",
        "elif not _ID_MATCH(target_id):  # an id the catalog has is well-formed",
        "elif False:",
        "a malformed id is a reference too",
    ),
    M(
        "catalog/__init__.py",
        'if ref.key == "parent" and ref.resolves:',
        'if ref.key == "parent":',
        "subtree follows unresolved parents",
    ),
    M(
        "catalog/__init__.py",
        "            if entry_id not in firsts:\n                firsts[entry_id] = entry\n",
        "            firsts[entry_id] = entry\n",
        "a reference names the last definition",
    ),
    M(
        "catalog/__init__.py",
        "if kind is None or entry.kind == kind:",
        "if kind is None or entry.kind != kind:",
        "Catalog.get of a kind inverted",
    ),
    M(
        "catalog/__init__.py",
        "self._suggested[key] = finder.best(wrong, 0.75)",
        "self._suggested[key] = finder.best(wrong, 0.6)",
        "near-miss cutoff 0.75 -> 0.6",
    ),
    M(
        "catalog/__init__.py",
        "(best is None or (score, self.ids[index]) > best)",
        "(best is None or score > best[0])",
        "near-miss tie: the first, not the greater id",
    ),
    M(
        "catalog/__init__.py",
        "if best is not None and bound < best[0]:",
        "if best is not None and bound <= best[0]:",
        "near-miss search stops at a tie",
    ),
    M(
        "catalog/__init__.py",
        "mask |= ((1 << min(count, _FIELD)) - 1) << (place * _FIELD)",
        "mask |= ((1 << min(count, _FIELD - 1)) - 1) << (place * _FIELD)",
        "near-miss mask counts one letter less",
    ),
    M(
        "catalog/__init__.py",
        "if place < 0 or count > _FIELD:",
        "if place < 0 or count >= _FIELD:",
        "signature refused at exactly 8 repeats",
    ),
    M(
        "catalog/__init__.py",
        "common += count if count < have else have",
        "common += count",
        "quick_ratio bound over-counts",
    ),
    M(
        "catalog/__init__.py",
        "if not isinstance(entry_id, str) or not _ID_MATCH(entry_id):",
        "if not isinstance(entry_id, str):",
        "an entry with a malformed id is an entry",
    ),
    M(
        "catalog/__init__.py",
        'ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,255}\\Z")',
        'ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,254}\\Z")',
        "id max length 256 -> 255",
    ),
    M(
        "catalog/__init__.py",
        "entry_line=self.line, key=keys)",
        "entry_line=self.column, key=keys)",
        "a finding's entry_line is the entry's column",
    ),
    # -- suppress --------------------------------------------------------------------------
    M(
        "findings/suppress.py",
        "start + part.start() + 1,",
        "start + part.start(),",
        "directive column off by one",
    ),
    M(
        "findings/suppress.py",
        'whole_file = match.group(1) == "disable-file"',
        'whole_file = match.group(1) == "disable"',
        "disable and disable-file swapped",
    ),
    M(
        "findings/suppress.py",
        "            if match.start() in good or any(",
        "            if match.start() not in good or any(",
        "malformed directives not reported, good ones are",
    ),
    M(
        "findings/suppress.py",
        "lines = {finding.line, finding.entry_line}",
        "lines = {finding.line}",
        "a directive on the entry line does not cover its keys",
    ),
    M(
        "findings/suppress.py",
        "if not group[0].used:",
        "if group[0].used:",
        "directives never marked used",
    ),
    M(
        "findings/suppress.py",
        "        if not matched:\n            kept.append(finding)",
        "        if matched:\n            kept.append(finding)",
        "suppression inverted",
    ),
    M(
        "findings/suppress.py",
        "return to_code.get(directive.code) or directive.code.upper()",
        "return to_code.get(directive.code) or directive.code",
        "codes compare with case",
    ),
    M(
        "findings/suppress.py",
        "return code not in known or enabled(code)",
        "return enabled(code)",
        "unknown codes in directives not reported",
    ),
    M(
        "findings/suppress.py",
        'kind = "disable-file" if directive.whole_file else "disable"',
        'kind = "disable"',
        "KS901 message always says disable=",
    ),
    M(
        "findings/suppress.py",
        'why, fix = "no finding with this code here", "remove it"',
        'why, fix = "no rule has this code or name", "fix or remove it"',
        "KS901 says unknown code for a known one",
    ),
    # -- config ----------------------------------------------------------------------------
    M(
        "config/__init__.py",
        "all(isinstance(v, str) and v.strip() for v in value)",
        "all(isinstance(v, str) for v in value)",
        "blank strings allowed in lists",
    ),
    M(
        "config/__init__.py",
        "if level not in LEVELS:",
        'if level not in ("error", "warning"):',
        "severity 'info' refused",
    ),
    M(
        "config/__init__.py",
        "or not isinstance(value, int) or value < 1:",
        "or not isinstance(value, int) or value < 0:",
        "max-kpis 0 accepted",
    ),
    M(
        "config/__init__.py",
        "if isinstance(value, bool) or not isinstance(value, int)",
        "if not isinstance(value, int)",
        "max-kpis = true accepted",
    ),
    M(
        "config/__init__.py",
        "config.max_kpis = value",
        "config.max_kpis = value + 1",
        "max-kpis off by one",
    ),
    M(
        "config/__init__.py",
        "DEFAULT_MAX_KPIS = 7",
        "DEFAULT_MAX_KPIS = 8",
        "default max-kpis 7 -> 8",
    ),
    M(
        "config/__init__.py",
        'hint = f"did you mean \'{close[0]}\'? " if close else ""',
        'hint = ""',
        "unknown key: no suggestion",
    ),
    M(
        "config/__init__.py",
        'if isinstance(tool, dict) and "kpispec" in tool:\n                return candidate',
        "if isinstance(tool, dict):\n                return candidate",
        "any pyproject.toml with [tool] is the config",
    ),
    M(
        "config/__init__.py",
        'if (folder / ".git").exists():',
        'if (folder / ".git").is_dir():',
        "a .git file (worktree) is not a root",
    ),
    M(
        "config/__init__.py",
        "if isinstance(value, str) and _DATE_RE.fullmatch(value):",
        "if isinstance(value, str):",
        "today = 20260601 accepted",
    ),
    M("config/__init__.py", '"node_modules/", ', "", "node_modules/ walked into"),
    M(
        "config/__init__.py",
        "            _check_patterns(value, fail)\n",
        "",
        "bad glob patterns accepted",
    ),
    # -- formats ---------------------------------------------------------------------------
    M(
        "formats/text.py",
        "word if count == 1 else",
        "word if count <= 1 else",
        "text: '0 error' singular",
    ),
    M(
        "formats/text.py",
        "key=lambda item: (-item[1], item[0])",
        "key=lambda item: (item[1], item[0])",
        "statistics least frequent first",
    ),
    M(
        "formats/text.py",
        'if e.kind == "kpi" and not e.is_kpi]',
        'if e.kind == "kpi"]',
        "text: every KPI listed as merely a metric",
    ),
    M(
        "formats/text.py",
        "if merely and not statistics:",
        "if merely:",
        "statistics also list merely-metrics",
    ),
    M(
        "formats/text.py",
        "color and count > 0, fg=fg, bold=True)",
        "color, fg=fg, bold=True)",
        "summary paints zero counts",
    ),
    M("formats/github.py", '"info": "notice"', '"info": "warning"', "github: info as warning"),
    M(
        "formats/github.py",
        'return text.replace("%", "%25").replace("\\r", "%0D")',
        'return text.replace("\\r", "%0D")',
        "github: % not escaped",
    ),
    M(
        "formats/github.py",
        '.replace(":", "%3A").replace(",", "%2C")',
        '.replace(":", "%3A")',
        "github: , not escaped in properties",
    ),
    M(
        "formats/json_format.py",
        '"class": "kpi" if entry.is_kpi else "metric"',
        '"class": "kpi"',
        "json document: every entry a KPI",
    ),
    M(
        "formats/json_format.py",
        "'\"kpi\"' if entry.is_kpi else '\"metric\"'",
        "'\"kpi\"'",
        "json render: every entry a KPI",
    ),
    M(
        "formats/json_format.py",
        'return "Infinity" if value > 0 else "-Infinity"',
        'return "Infinity"',
        "json: -inf as Infinity",
    ),
    M("formats/json_format.py", "VERSION = 1", "VERSION = 2", "json version 1 -> 2"),
    M(
        "formats/junit.py",
        "failed = sum(1 for found in by_path.values() if found)",
        "failed = len(by_path)",
        "junit: every file failed",
    ),
    M(
        "formats/junit.py",
        '    if f.entry:\n        lines.append(f"entry: {f.entry}")\n',
        "",
        "junit: details drop the entry",
    ),
    M(
        "formats/junit.py",
        "return sorted(set(result.files) | {f.path for f in result.findings})",
        "return sorted(set(result.files))",
        "junit: a folder's finding has no test case",
    ),
    M(
        "report/text.py",
        '"KPI" if e.is_kpi else "metric"',
        '"metric"',
        "report: every entry a metric",
    ),
    M(
        "report/text.py",
        '", ".join(e.lacks) or "-"',
        '", ".join(e.lacks)',
        "report: empty lacks cell",
    ),
    M(
        "report/text.py",
        'its = "its" if len(unreadable) == 1 else "their"',
        'its = "their"',
        "report: 'their entries' for one file",
    ),
    M(
        "report/markdown.py",
        'return "`" + text.replace("|", "\\\\|") + "`"',
        'return "`" + text + "`"',
        "report markdown: | not escaped in a table cell",
    ),
    M(
        "formats/sarif.py",
        'LEVELS = {"error": "error", "warning": "warning", "info": "note"}',
        'LEVELS = {"error": "error", "warning": "warning", "info": "warning"}',
        "sarif: info as warning",
    ),
    M(
        "formats/sarif.py",
        "max(finding.column, len(text.rstrip()) + 1)",
        "max(finding.column, len(text) + 1)",
        "sarif: region end counts trailing blanks",
    ),
    M(
        "formats/sarif.py",
        "seen[digest] = seen.get(digest, 0) + 1",
        "seen[digest] = 1",
        "sarif: identical findings share a fingerprint",
    ),
    M(
        "formats/sarif.py",
        'finding.entry or "", finding.message]',
        'finding.entry or ""]',
        "sarif: fingerprint ignores the message",
    ),
    M(
        "formats/sarif.py",
        'return {"uri": quote(PurePosixPath(path).as_posix(), safe="/"),',
        'return {"uri": PurePosixPath(path).as_posix(),',
        "sarif: uri not percent-encoded",
    ),
    M(
        "formats/sarif.py",
        "return text if len(text) <= limit else",
        "return text if len(text) < limit else",
        "sarif: a text of exactly the limit is clipped",
    ),
    # -- lint ------------------------------------------------------------------------------
    M(
        "lint.py",
        "elif len(upper) >= 2 and any(code.startswith(upper) for code in rules):",
        "elif len(upper) >= 1 and any(code.startswith(upper) for code in rules):",
        "a one-letter prefix selects rules",
    ),
    M(
        "lint.py",
        'ignored |= resolve_codes(ignore, "--ignore", rules)',
        'ignored = resolve_codes(ignore, "--ignore", rules)',
        "--ignore replaces the config's ignore",
    ),
    M(
        "load/pool.py",
        "    if jobs > 1:\n        from concurrent",
        "    if jobs > 2:\n        from concurrent",
        "--jobs 2 loads in this process",
    ),
    M(
        "load/pool.py",
        "if len(paths) < AUTO_JOBS_MIN_FILES:",
        "if len(paths) <= AUTO_JOBS_MIN_FILES:",
        "auto jobs threshold off by one",
    ),
    M(
        "load/pool.py",
        "return max(1, min(_cores(), MAX_AUTO_JOBS))",
        "return max(1, _cores())",
        "auto jobs not capped",
    ),
    M(
        "load/pool.py",
        "size = min(-(-len(paths) // (jobs * CHUNKS_PER_JOB)), MAX_CHUNK_FILES)",
        "size = min(len(paths) // (jobs * CHUNKS_PER_JOB) + 1, MAX_CHUNK_FILES)",
        "chunk size rounds differently",
    ),
    M(
        "lint.py",
        "seen[real].reported |= is_reported",
        "seen[real].reported = is_reported",
        "a file named and in the catalog is not reported",
    ),
    M(
        "lint.py",
        "files = sorted(seen.values(), key=lambda f: f.display)",
        "files = list(seen.values())",
        "catalog not sorted by display path",
    ),
    M(
        "lint.py",
        "    findings = [f for f in findings if f.path in reported]\n",
        "",
        "findings of unreported files kept",
    ),
    M(
        "lint.py",
        "finding.severity = selection.severity.get(finding.code, rule.SEVERITY)",
        "finding.severity = rule.SEVERITY",
        "config severity ignored",
    ),
    M("lint.py", "    findings.sort(key=Finding.sort_key)\n", "", "findings not sorted"),
    M(
        "lint.py",
        '"metrics": len(entries) - kpis',
        '"metrics": len(entries)',
        "summary: metrics counts KPIs too",
    ),
    M(
        "lint.py",
        "if not result.files and not folder_errors:",
        "if not result.files:",
        "'no KPI file' note although a folder failed",
    ),
    M(
        "load/file.py",
        'hit.text = read_text(raw, hit) or ""',
        'hit.text = ""',
        "a cache hit has no text (suppressions lost)",
    ),
    M(
        "lint.py",
        "source = next((f for f in catalog.files if f.reported), None)",
        "source = next(iter(catalog.files), None)",
        "KS900 without entry at an unreported file",
    ),
    M(
        "load/pool.py",
        "        cache.flush()  # what this process loaded",
        "        pass",
        "this process's cache entries never written",
    ),
    # -- cache -----------------------------------------------------------------------------
    M(
        "load/cache.py",
        'if blob[:1] != b"M" or blake2b(blob, digest_size=_CHECK).digest() != check:',
        'if blob[:1] != b"M":',
        "cache: checksum not checked",
    ),
    M(
        "load/cache.py",
        "return blake2b(self.salt + raw, digest_size=20).hexdigest()",
        "return blake2b(raw, digest_size=20).hexdigest()",
        "cache: key without the salt",
    ),
    M(
        "load/cache.py",
        "for part in (FORMAT, __version__, sys.version,",
        "for part in (FORMAT, sys.version,",
        "cache: key ignores kpispec's version",
    ),
    M(
        "load/cache.py",
        'digest.update(name.encode() + b"\\0" + (here / name).read_bytes() + b"\\0")',
        'digest.update(name.encode() + b"\\0")',
        "cache: key ignores own modules' content",
    ),
    M(
        "load/cache.py",
        '_OWN = ("loader.py", "yaml_events.py", "schema.py", "findings.py", "data/kpispec-1.schema.json")',
        '_OWN = ("loader.py", "yaml_events.py", "schema.py", "findings.py")',
        "cache: key ignores the packaged schema",
    ),
    M(
        "load/cache.py",
        "if attempt == 2 or _size(self.path) > MAX_BYTES:",
        "if attempt == 2:",
        "cache: an oversized database is kept",
    ),
    M(
        "load/cache.py",
        "            except sqlite3.DatabaseError:  # not a database, or a damaged one: start over, once\n                continue",
        "            except sqlite3.DatabaseError:  # not a database, or a damaged one: start over, once\n                break",
        "cache: a damaged database is not started over",
    ),
    M(
        "load/cache.py",
        "INSERT OR REPLACE INTO entries",
        "INSERT OR IGNORE INTO entries",
        "cache: a damaged entry is never written again",
    ),
    M(
        "load/cache.py",
        '        if blob[:1] == b"M":  # the loader',
        '        if blob[:1] == b"X":  # the loader',
        "cache: nothing is ever stored",
    ),
    M(
        "load/cache.py",
        "MAX_BYTES = 1 << 30",
        "MAX_BYTES = 1 << 10",
        "cache: started over past 1 KiB",
    ),
    M(
        "load/cache.py",
        '    return (Path(base) if base and os.path.isabs(base) else Path.home() / ".cache") / "kpispec"',
        '    return (Path(base) if base else Path.home() / ".cache") / "kpispec"',
        "cache: a relative XDG_CACHE_HOME is used",
    ),
    M(
        "load/cache.py",
        '("jsonschema_rs", "__init__.py"))',
        ")",
        "cache: key ignores jsonschema-rs",
    ),
    # -- gate ------------------------------------------------------------------------------
    M(
        "git/gate.py",
        "changed = head is None or bool(touched) or",
        "changed = head is None or",
        "gate: a touched file alone is no change",
    ),
    M(
        "git/gate.py",
        "        if finding.path in touched_shown:\n            shown.append(finding)",
        "        if finding.path not in touched_shown:\n            shown.append(finding)",
        "gate: touched and untouched swapped",
    ),
    M(
        "git/gate.py",
        "        if finding.code in local:\n            old.append(finding)\n            continue\n",
        "",
        "gate: file-local findings of untouched files compared with HEAD",
    ),
    M(
        "git/gate.py",
        "if before[identity] > 0:",
        "if before[identity] >= 0:",
        "gate: every finding of an untouched file is old",
    ),
    M(
        "git/gate.py",
        "            before[identity] -= 1\n",
        "",
        "gate: an old finding counts for any number",
    ),
    M(
        "git/gate.py",
        'errors = sum(1 for f in old if f.severity == "error")',
        "errors = len(old)",
        "gate note: every old finding an error",
    ),
    M(
        "git/gate.py",
        "if head.files.get(path) != sha}",
        "if head.files.get(path) == sha}",
        "gate: touched = unchanged files",
    ),
    M(
        "git/gate.py",
        'prefix = name.rstrip("/") + "/" if name else ""',
        "prefix = name",
        "gate: a named folder matches by string prefix",
    ),
    M(
        "git/gate.py",
        "files = sorted(touched_shown | {f.path for f in shown})",
        "files = sorted(touched_shown)",
        "gate: files with findings caused elsewhere not listed",
    ),
    M(
        "git/gate.py",
        "[path for path in staged_result.unreadable if path in files]",
        "list(staged_result.unreadable)",
        "gate: unreadable untouched files reported",
    ),
]


# Mutants whose code moved in the redesign (issue 22): the same mutation, pointed at the
# code as it is now (description -> file, old text, new text). The finalize stage
# (filter, suppress, stamp, sort) is findings/finalize.py; the gate's multiset
# subtraction is findings.subtract; the unread note is hedged() + formats/text.py.
MOVED: dict[str, tuple[str, str, str]] = {
    "KS004 at the entry, not at its id key": (
        "kpispec/rules/ks004_duplicate_id.py",
        '"ids must be unique across the catalog: rename one",\n                "id",\n',
        '"ids must be unique across the catalog: rename one",\n',
    ),
    "KS005 drops the unreadable-file note": (
        "kpispec/rules/ks005_unresolved_reference.py",
        "yield hedged(finding, unread) if ref.target is None else finding",
        "yield finding",
    ),
    "KS005 at the entry, not at the key": (
        "kpispec/rules/ks005_unresolved_reference.py",
        "finding = ref.source.finding(CODE, message, *ref.keys)",
        "finding = ref.source.finding(CODE, message)",
    ),
    "KS102 (no value) at the entry, not at target": (
        "kpispec/rules/ks102_kpi_without_target.py",
        '"Add value: <number> under target:",\n                "target",\n',
        '"Add value: <number> under target:",\n',
    ),
    "KS103 (no end) at the entry, not at timeframe": (
        "kpispec/rules/ks103_kpi_without_timeframe.py",
        '"Add end: YYYY-MM-DD under timeframe:",\n                "timeframe",\n',
        '"Add end: YYYY-MM-DD under timeframe:",\n',
    ),
    "KS106 fires although KS403 reports the required review": (
        "kpispec/rules/ks106_kpi_without_review.py",
        '\n            and not (policy and policy_requires(ctx, entry, "timeframe.review"))\n',
        "\n",
    ),
    "KS107 fires although KS403 reports the required baseline": (
        "kpispec/rules/ks107_kpi_without_baseline.py",
        '\n            and not (policy and policy_requires(ctx, entry, "target.baseline"))\n',
        "\n",
    ),
    "KS202 on every goal of a duplicated id": (
        "kpispec/rules/ks202_single_kpi_goal.py",
        'if len(found) == 1 and catalog.get(goal.id, "goal") is goal:',
        "if len(found) == 1:",
    ),
    "KS202 drops the unreadable-file note": (
        "kpispec/rules/ks202_single_kpi_goal.py",
        "yield hedged(finding, unread)",
        "yield finding",
    ),
    "KS301 at target, not at its value": (
        "kpispec/rules/ks301_target_not_beyond_baseline.py",
        '"target",\n            "value",\n',
        '"target",\n',
    ),
    "KS302 (goal) at the goal, not at due": (
        "kpispec/rules/ks302_timeframe_ended.py",
        'or retire it",\n                "due",\n',
        'or retire it",\n',
    ),
    "KS303 at timeframe, not at end": (
        "kpispec/rules/ks303_timeframe_inverted.py",
        '"timeframe",\n                "end",\n',
        '"timeframe",\n',
    ),
    # the note is now hedged() on the finding and one line per file in the text output
    "unread note drops 'and 1 more'": (
        "kpispec/rules/base.py",
        "finding.unread = tuple(unread)",
        "finding.unread = tuple(unread[:1])",
    ),
    "unread note always plural": (
        "kpispec/formats/text.py",
        "the {', '.join(codes)} findings above",
        "the {codes[0]} findings above",
    ),
    "a finding's entry_line is the entry's column": (
        "kpispec/catalog/__init__.py",
        "entry_line=self.line,\n            key=keys,",
        "entry_line=self.column,\n            key=keys,",
    ),
    "KS901 message always says disable=": (
        "kpispec/findings/suppress.py",
        'kind = "disable-file" if directive.whole_file else "disable"\n    if directive.refused',
        'kind = "disable"\n    if directive.refused',
    ),
    "unknown key: no suggestion": (
        "kpispec/config/__init__.py",
        "hint = did_you_mean(key, known)",
        'hint = ""',
    ),
    "node_modules/ walked into": ("kpispec/load/files.py", '    "node_modules/",\n', ""),
    "text: '0 error' singular": (
        "kpispec/text.py",
        "word if count == 1 else",
        "word if count <= 1 else",
    ),
    "report markdown: | not escaped in a table cell": (
        "kpispec/text.py",
        'return "\\\\|".join(_code_span(part) for part in text.split("|"))',
        'return "|".join(_code_span(part) for part in text.split("|"))',
    ),
    "findings of unreported files kept": (
        "kpispec/findings/finalize.py",
        "if (f.path in reported or (catalog is not None and f.path not in catalog))\n"
        "        and selection.enabled(f.code)",
        "if selection.enabled(f.code)",
    ),
    "config severity ignored": (
        "kpispec/findings/finalize.py",
        "finding.severity = selection.severity.get(finding.code) or own or rule.SEVERITY",
        "finding.severity = own or rule.SEVERITY",
    ),
    "findings not sorted": (
        "kpispec/findings/finalize.py",
        "    kept.sort(key=SORT_KEY)\n",
        "",
    ),
    "summary: metrics counts KPIs too": (
        "kpispec/findings/result.py",
        '"metrics": len(entries) - kpis',
        '"metrics": len(entries)',
    ),
    "cache: key ignores the packaged schema": (
        "kpispec/load/cache.py",
        '    "data/kpispec-1.schema.json",\n',
        "",
    ),
    "gate: a touched file alone is no change": (
        "kpispec/git/gate.py",
        "            or bool(touched)\n",
        "",
    ),
    "gate: touched and untouched swapped": (
        "kpispec/git/gate.py",
        "shown = [f for f in findings if f.path in touched or id(f) in caused]",
        "shown = [f for f in findings if f.path not in touched or id(f) in caused]",
    ),
    "gate: file-local findings of untouched files compared with HEAD": (
        "kpispec/git/gate.py",
        "old = [f for f in elsewhere if f.code in local]\n"
        "    new, matched = subtract([f for f in elsewhere if f.code not in local], before)",
        "old = []\n    new, matched = subtract(elsewhere, before)",
    ),
    "gate: every finding of an untouched file is old": (
        "kpispec/findings/__init__.py",
        "if left[identity] > 0:",
        "if left[identity] >= 0:",
    ),
    "gate: an old finding counts for any number": (
        "kpispec/findings/__init__.py",
        "            left[identity] -= 1\n",
        "",
    ),
    "gate: files with findings caused elsewhere not listed": (
        "kpispec/git/gate.py",
        "files = sorted(touched | {f.path for f in shown if f.path in in_catalog})",
        "files = sorted(touched)",
    ),
    "gate: unreadable untouched files reported": (
        "kpispec/git/gate.py",
        "[path for path in staged.unreadable if path in files]",
        "list(staged.unreadable)",
    ),
}
MUTANTS = [
    Mutant(*MOVED[m.description], m.description) if m.description in MOVED else m for m in MUTANTS
]


def tree_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in out.split("\0") if name and (REPO / name).is_file()]


def make_copy(target: Path, names: list[str]) -> Path:
    for name in names:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target / name)
    return target


def env_for(copy: Path, home: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a restored file must never meet a stale .pyc
    env["KPISPEC_CACHE_DIR"] = str(home / "cache")
    env.pop("NO_COLOR", None)
    return env


def run_suite(
    copy: Path, home: Path, timeout: float, deselect: list[str], extra: list[str] | None = None
) -> tuple[str, float, str]:
    """('passed' | 'failed' | 'timeout', seconds, last lines of the output)."""
    args = [str(VENV_PYTHON), *PYTEST, *(extra or [])]
    for node in deselect:
        args += ["--deselect", node]
    start = time.monotonic()
    try:
        proc = subprocess.run(
            args, cwd=copy, env=env_for(copy, home), capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - start, ""
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-6:])
    return ("passed" if proc.returncode == 0 else "failed"), time.monotonic() - start, tail


def check_import(copy: Path, home: Path) -> None:
    proc = subprocess.run(
        [str(VENV_PYTHON), "-c", "import kpispec; print(kpispec.__file__)"],
        cwd=home,
        env=env_for(copy, home),
        capture_output=True,
        text=True,
        check=True,
    )
    where = Path(proc.stdout.strip()).resolve()
    if copy.resolve() not in where.parents:
        sys.exit(f"mutation: the copy does not import its own kpispec ({where}); stopping")


def validate(mutants: list[Mutant]) -> tuple[list[Mutant], list[dict]]:
    ok, errors = [], []
    for mutant in mutants:
        path = REPO / mutant.file
        text = path.read_text(encoding="utf-8") if path.is_file() else None
        count = text.count(mutant.old) if text is not None else 0
        if text is None:
            errors.append({**asdict(mutant), "error": "file not found"})
        elif count != 1:
            errors.append(
                {
                    **asdict(mutant),
                    "error": "old text not found"
                    if count == 0
                    else f"old text found {count} times",
                }
            )
        elif mutant.old == mutant.new:
            errors.append({**asdict(mutant), "error": "old and new are the same"})
        else:
            ok.append(mutant)
    return ok, errors


def apply_and_run(
    copy: Path, home: Path, mutant: Mutant, timeout: float, deselect: list[str]
) -> dict:
    path = copy / mutant.file
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace(mutant.old, mutant.new, 1), encoding="utf-8")
    try:
        status, seconds, tail = run_suite(copy, home, timeout, deselect)
    finally:
        path.write_text(original, encoding="utf-8")
    return {
        **asdict(mutant),
        "module": module_of(mutant.file),
        "killed": status != "passed",
        "status": status,
        "seconds": round(seconds, 1),
        "tail": tail if status == "failed" else "",
    }


def interleaved(mutants: list[Mutant]) -> list[Mutant]:
    """Round robin over the files: a round cut short still covers every module."""
    by_file: dict[str, list[Mutant]] = defaultdict(list)
    for mutant in mutants:
        by_file[mutant.file].append(mutant)
    lists = list(by_file.values())
    return [
        m
        for i in range(max(map(len, lists), default=0))
        for m in (group[i] for group in lists if i < len(group))
    ]


def module_of(file: str) -> str:
    return file.removeprefix("kpispec/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant")
    parser.add_argument(
        "--only", default="", help="mutants of files whose path contains this (a,b: either)"
    )
    parser.add_argument("--check", action="store_true", help="only check the old texts")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--deselect",
        action="append",
        default=[],
        help="a test known to fail without a mutant (skips finding them)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=0.0,
        help="seconds: start no mutant after this (the rest: 'not run')",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="JSON",
        help="a round's results (a --budget cut it short): run only the "
        "mutants it did not, and count its results with the new ones",
    )
    args = parser.parse_args()

    chosen = [m for m in MUTANTS if any(part in m.file for part in args.only.split(","))]
    earlier: list[dict] = []
    if args.resume is not None:  # results of mutants that are still in the list, as they are
        known = {(m.file, m.old, m.new, m.description) for m in chosen}
        earlier = [
            r
            for r in json.loads(args.resume.read_text())["results"]
            if (r["file"], r["old"], r["new"], r["description"]) in known
        ]
        done = {(r["file"], r["old"], r["new"], r["description"]) for r in earlier}
        chosen = [m for m in chosen if (m.file, m.old, m.new, m.description) not in done]
        print(f"resumed: {len(earlier)} results from {args.resume}, {len(chosen)} mutants to run")
    if args.list:
        for m in chosen:
            print(f"{m.file}: {m.description}")
        print(f"{len(chosen)} mutants")
        return 0
    mutants, errors = validate(chosen)
    for error in errors:
        print(f"ERROR {error['file']}: {error['description']}: {error['error']}")
    if args.check:
        print(f"{len(mutants)} mutants apply, {len(errors)} errors")
        return 1 if errors else 0

    names = tree_files()
    base = Path(tempfile.mkdtemp(prefix="kpispec-mutation-"))
    started = time.time()
    try:
        workers = []
        for index in range(max(1, args.workers)):
            home = base / f"home-{index}"
            home.mkdir()
            workers.append((make_copy(base / f"copy-{index}", names), home))
        check_import(*workers[0])
        print(
            f"{len(names)} files copied to {base} ({len(workers)} copies); baseline run ...",
            flush=True,
        )
        deselect: list[str] = list(args.deselect)
        status, seconds, tail = run_suite(*workers[0], args.timeout * 3, deselect)
        if status != "passed":  # tests already failing: left out of every mutant's run
            proc = subprocess.run(
                [
                    str(VENV_PYTHON),
                    "-m",
                    "pytest",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "-m",
                    "not slow",
                    "-rfE",
                    *(f"--deselect={node}" for node in deselect),
                ],
                cwd=workers[0][0],
                env=env_for(*workers[0]),
                capture_output=True,
                text=True,
                timeout=args.timeout * 3,
            )
            deselect = sorted(
                set(deselect)
                | {
                    line.split()[1]
                    for line in proc.stdout.splitlines()
                    if line.startswith(("FAILED ", "ERROR "))
                }
            )
            print(
                f"baseline: {len(deselect)} tests fail without any mutant, deselected:",
                *deselect,
                sep="\n  ",
            )
            status, seconds, tail = run_suite(*workers[0], args.timeout * 3, deselect)
            if status != "passed":
                sys.exit(f"mutation: the suite does not pass even without a mutant:\n{tail}")
        print(f"baseline passes in {seconds:.0f} s", flush=True)
        canary = apply_and_run(*workers[0], CANARY, args.timeout, deselect)
        if not canary["killed"]:
            sys.exit("mutation: the canary mutant survived: the suite does not test the copy")
        print(f"canary killed ({canary['seconds']} s)", flush=True)
        started = time.time()  # --budget counts the mutants' time, not the baseline run's

        todo: queue.Queue = queue.Queue()
        for mutant in interleaved(mutants):  # every module gets its turn early
            todo.put(mutant)
        results: list[dict] = []
        not_run: list[dict] = []
        lock = threading.Lock()

        def work(copy: Path, home: Path) -> None:
            while True:
                try:
                    mutant = todo.get_nowait()
                except queue.Empty:
                    return
                if args.budget and time.time() - started > args.budget:
                    with lock:
                        not_run.append({**asdict(mutant), "module": module_of(mutant.file)})
                    continue
                result = apply_and_run(copy, home, mutant, args.timeout, deselect)
                with lock:
                    results.append(result)
                    mark = "killed " if result["killed"] else "SURVIVED"
                    print(
                        f"[{len(results):3}/{len(mutants)}] {mark} {result['seconds']:6.1f}s "
                        f"{result['module']}: {result['description']}",
                        flush=True,
                    )

        threads = [threading.Thread(target=work, args=worker) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        shutil.rmtree(base, ignore_errors=True)

    results += earlier
    order = {m: i for i, m in enumerate(MUTANTS)}
    results.sort(key=lambda r: order[Mutant(r["file"], r["old"], r["new"], r["description"])])
    by_module: dict[str, list[dict]] = defaultdict(list)
    for result in results:
        by_module[result["module"]].append(result)
    table = {}
    print(f"\n{'module':42} {'mutants':>7} {'killed':>6} {'survived':>8} {'kill %':>7}")
    for module in sorted(by_module):
        rows = by_module[module]
        killed = sum(r["killed"] for r in rows)
        table[module] = {
            "mutants": len(rows),
            "killed": killed,
            "survived": len(rows) - killed,
            "kill_pct": round(100.0 * killed / len(rows), 1),
        }
        print(
            f"{module:42} {len(rows):7} {killed:6} {len(rows) - killed:8} "
            f"{table[module]['kill_pct']:6.1f}%"
        )
    killed = sum(r["killed"] for r in results)
    total = {
        "mutants": len(results),
        "killed": killed,
        "survived": len(results) - killed,
        "kill_pct": round(100.0 * killed / len(results), 1) if results else 0.0,
    }
    print(
        f"{'all':42} {total['mutants']:7} {killed:6} {total['survived']:8} "
        f"{total['kill_pct']:6.1f}%"
    )
    survivors = [r for r in results if not r["killed"]]
    if survivors:
        print("\nsurvivors:")
        for r in survivors:
            print(f"  {r['module']}: {r['description']}")
    timeouts = [r for r in results if r["status"] == "timeout"]
    if timeouts:
        print(
            "\nkilled by timeout:",
            *(f"  {r['module']}: {r['description']}" for r in timeouts),
            sep="\n",
        )
    if not_run:
        print(f"\n{len(not_run)} mutants not run (--budget reached)")
    if errors:
        print(f"\n{len(errors)} errors (old text not applicable; not counted):")
        for e in errors:
            print(f"  {e['file']}: {e['description']}: {e['error']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
                "seconds": round(time.time() - started),
                "command": [*PYTEST],
                "baseline_deselected": deselect,
                "total": total,
                "modules": table,
                "survivors": survivors,
                "errors": errors,
                "not_run": not_run,
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwritten: {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
