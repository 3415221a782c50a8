"""Generate the benchmark corpus of issue 5: realistic KPI files, deterministic.

Each file is one team: 1-2 goals (each a child of a goal in the first file of its group
of ten, so references cross files), 10 entries under ``kpis:`` (most complete, some
merely metrics, a few with an ended timeframe or a target not beyond its baseline) and
10 under ``metrics:`` (most feed a KPI of the file, some orphans). About one file in a
hundred has a schema violation or a near-miss reference, so the KS002 and "did you
mean" paths are timed too. The default 1000 files come to about 5 MB.

Every corpus is a project of its own (a ``kpispec.toml`` at its top), so running kpispec
in it never walks anything else.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

WORDS = (
    "revenue",
    "churn",
    "signup",
    "activation",
    "retention",
    "latency",
    "uptime",
    "pipeline",
    "conversion",
    "margin",
    "backlog",
    "tickets",
    "nps",
    "csat",
    "cost",
    "deploys",
    "incidents",
    "leads",
    "renewals",
    "usage",
    "trials",
    "refunds",
)
SYSTEMS = ("stripe", "warehouse", "salesforce", "zendesk", "datadog", "hubspot", "github")
REVIEWS = ("weekly", "monthly", "quarterly")
DIRECTIONS = ("increase", "decrease", "maintain")
VERSION = "1"  # bump when the generated text changes, so an old corpus is rebuilt


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _goal(rng: random.Random, team: int, g: int, parent: str | None) -> str:
    lines = [
        f"  - id: t{team:05d}-goal-{g}",
        f"    title: Improve {_words(rng, 3)} for team {team}",
        f"    owner: lead-{team}@example.com",
        f"    due: 2026-12-{rng.randint(1, 31) if rng.random() < 0.1 else 31:02d}",
    ]
    if parent:
        lines.append(f"    parent: {parent}")
    return "\n".join(lines)


def _kpi(rng: random.Random, team: int, k: int, goals: list[str], metrics: list[str]) -> str:
    kid = f"t{team:05d}-kpi-{k}"
    roll = rng.random()
    lines = [f"  - id: {kid}", f"    name: {_words(rng, 2).capitalize()} {k}"]
    if rng.random() < 0.3:
        lines += [
            "    description: >",
            f"      {_words(rng, 8).capitalize()},",
            f"      measured {_words(rng, 4)}.",
        ]
    if roll > 0.1:
        goal = rng.sample(goals, 2) if len(goals) > 1 and rng.random() < 0.2 else rng.choice(goals)
        lines.append(
            f"    goal: [{', '.join(goal)}]" if isinstance(goal, list) else f"    goal: {goal}"
        )
    if roll > 0.05 and rng.random() > 0.05:
        lines.append(f"    owner: team-{team}")
    if roll < 0.9 or roll > 0.95:
        baseline = rng.randint(100, 10_000)
        direction = rng.choice(DIRECTIONS)
        value = (
            baseline + rng.randint(1, 900)
            if direction != "decrease"
            else baseline - rng.randint(1, 90)
        )
        if rng.random() < 0.02:
            value = baseline  # KS301
        lines += ["    target:", f"      value: {value}", f"      direction: {direction}"]
        if rng.random() > 0.1:
            lines.append(f"      baseline: {baseline}")
        if direction == "maintain":
            lines.append("      tolerance: 0.05")
    if roll < 0.85 or roll > 0.9:
        year = 2025 if rng.random() < 0.05 else 2026  # an ended timeframe: KS302
        lines += [
            "    timeframe:",
            f"      start: {year}-01-01",
            f"      end: {year}-{rng.randint(6, 12):02d}-{rng.randint(1, 28):02d}",
        ]
        if rng.random() > 0.1:
            lines.append(f"      review: {rng.choice(REVIEWS)}")
    if rng.random() > 0.05:
        lines += ["    data_source:", f"      system: {rng.choice(SYSTEMS)}"]
        if rng.random() < 0.5:
            lines.append(f"      query: select sum({rng.choice(WORDS)}) from {rng.choice(WORDS)}")
    lines.append(f"    inputs: [{', '.join(rng.sample(metrics, 2))}]")
    if rng.random() < 0.3:
        lines.append(f"    tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]")
    return "\n".join(lines)


def _metric(rng: random.Random, team: int, m: int, kpis: list[str]) -> str:
    lines = [
        f"  - id: t{team:05d}-metric-{m}",
        f"    name: {_words(rng, 2).capitalize()} {m}",
        f"    owner: team-{team}",
        "    unit: count",
        f"    data_source: {{system: {rng.choice(SYSTEMS)}, table: {rng.choice(WORDS)}_{m}}}",
    ]
    if rng.random() < 0.8:
        lines.append(f"    feeds: [{rng.choice(kpis)}]")
    return "\n".join(lines)


def team_file(
    rng: random.Random, team: int, kpis: int = 10, metrics: int = 10, goals: int | None = None
) -> str:
    """The text of one team's file."""
    goal_count = goals if goals is not None else rng.randint(1, 2)
    group = team - team % 10
    parent = f"t{group:05d}-goal-0" if group != team else None
    goal_ids = [f"t{team:05d}-goal-{g}" for g in range(goal_count)]
    metric_ids = [f"t{team:05d}-metric-{m}" for m in range(metrics)]
    kpi_ids = [f"t{team:05d}-kpi-{k}" for k in range(kpis)]
    parts = ["# generated by bench/corpus_gen.py", "kpispec: 1", f"scope: team-{team}", "goals:"]
    parts += [_goal(rng, team, g, parent) for g in range(goal_count)]
    parts.append("kpis:")
    parts += [_kpi(rng, team, k, goal_ids, metric_ids) for k in range(kpis)]
    parts.append("metrics:")
    parts += [_metric(rng, team, m, kpi_ids) for m in range(metrics)]
    text = "\n".join(parts) + "\n"
    roll = rng.random()
    if roll < 0.01:  # a schema violation: an unknown key
        text = text.replace("    unit: count\n", "    units: count\n", 1)
    elif roll < 0.02:  # a near-miss reference: "did you mean"
        text = text.replace(f"goal: t{team:05d}-goal-0", f"goal: t{team:05d}-goa1-0", 1)
    elif roll < 0.03:  # a suppression comment
        text = text.replace(
            f"  - id: t{team:05d}-kpi-0\n",
            f"  - id: t{team:05d}-kpi-0  # kpispec: disable=KS107\n",
            1,
        )
        text = text.replace("kpis:\n", "kpis:  # kpispec: disable-file=KS204\n", 1)
    return text


def _project(folder: Path, stamp: str) -> bool:
    """Prepare ``folder`` as a project; False when it already holds this exact corpus."""
    marker = folder / ".corpus"
    if marker.is_file() and marker.read_text() == stamp:
        return False
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "kpis").mkdir(parents=True)
    (folder / "kpispec.toml").write_text("# benchmark corpus: its own project root\n")
    return True


def _done(folder: Path, stamp: str) -> None:
    (folder / ".corpus").write_text(stamp)


def many_files(folder: Path, files: int, seed: int = 5) -> list[Path]:
    """``files`` team files under ``folder/kpis`` (kept when already generated)."""
    stamp = f"{VERSION} many {files} {seed}"
    fresh = _project(folder, stamp)
    paths = [folder / "kpis" / f"team-{i // 1000:03d}" / f"t{i:05d}.yaml" for i in range(files)]
    if fresh:
        rng = random.Random(seed)
        for i, path in enumerate(paths):
            path.parent.mkdir(exist_ok=True)
            path.write_text(team_file(rng, i), encoding="utf-8")
        _done(folder, stamp)
    return paths


def one_big_file(folder: Path, kpis: int = 20_000, seed: int = 5) -> Path:
    """One file with ``kpis`` KPIs (and a metric and goal per ten), the single-file case."""
    stamp = f"{VERSION} big {kpis} {seed}"
    path = folder / "kpis" / "big.yaml"
    if _project(folder, stamp):
        rng = random.Random(seed)
        text = team_file(rng, 0, kpis=kpis, metrics=max(2, kpis // 10), goals=max(1, kpis // 100))
        path.write_text(text, encoding="utf-8")
        _done(folder, stamp)
    return path


def one_small_file(folder: Path, seed: int = 5) -> Path:
    """One ordinary team file, on its own: the pre-commit case."""
    stamp = f"{VERSION} one {seed}"
    path = folder / "kpis" / "team.yaml"
    if _project(folder, stamp):
        path.write_text(team_file(random.Random(seed), 0), encoding="utf-8")
        _done(folder, stamp)
    return path
