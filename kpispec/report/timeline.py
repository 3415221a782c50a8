"""The timeline of a report (contract section 14): goals and the KPIs declared under
them placed on a calendar by their dates, grouped by goal, today marked, what ended or
is overdue said so. The data only: markdown draws it as a Mermaid ``gantt`` block, html
as an SVG (:mod:`kpispec.report.timeline_svg`), json lists it.

A group per goal shown (catalog order), holding the goal's due date and the KPIs that
name it first among the goals shown; KPIs linked to no goal shown make a last group. A
KPI is placed by its timeframe (``start`` to ``end``; a KPI with an end and no start is
a point at its end); a KPI without an end cannot be placed and is counted in
:attr:`Timeline.undated`. Beyond ``max_rows`` rows, the KPIs of each group fold into
one row (their count and their span), then the groups past the limit are left out;
:attr:`Timeline.folded` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kpispec import text

DEFAULT_ROWS = 150  # rows a timeline draws before it folds (html; markdown asks fewer)


def plural(count: int, word: str) -> str:
    return text.plural(count, word, grouped=True)


@dataclass
class Item:
    kind: str  # goal | kpi | kpis (KPIs folded into one row)
    id: str  # the entry's id ("" for folded KPIs)
    label: str  # the goal's title, the KPI's name, "12 KPIs" for folded ones
    start: str | None  # YYYY-MM-DD; None: a point at ``end``
    end: str  # the KPI's timeframe end, the goal's due date
    status: str  # ended (a KPI's end passed) | overdue (a goal's due date passed) | open
    state: str  # the node state (kpi, merely-metric, goal, single-kpi-goal, ...)
    text: str = ""  # what is promised: the KPI's target ("≥ 40,000,000 USD")

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.id or None,
            "label": self.label,
            "start": self.start,
            "end": self.end,
            "status": self.status,
            "state": self.state,
            "target": self.text or None,
        }


@dataclass
class Group:
    goal_id: str  # "" for the KPIs linked to no goal shown
    title: str
    goal: Item | None  # the goal's own row (None: no due date, or no goal)
    items: list[Item] = field(default_factory=list)  # its KPIs (or one folded row)

    @property
    def rows(self) -> int:
        return (1 if self.goal else 0) + len(self.items)

    def to_json(self) -> dict:
        return {
            "goal": self.goal_id or None,
            "title": self.title,
            "due": self.goal.to_json() if self.goal else None,
            "kpis": [item.to_json() for item in self.items],
        }


@dataclass
class Timeline:
    today: str
    groups: list[Group]
    undated: int = 0  # declared KPIs shown that have no end date: not placed
    folded: str = ""  # the line saying what was folded ("" when nothing was)

    @property
    def rows(self) -> int:
        return sum(group.rows for group in self.groups)

    def dates(self) -> list[str]:
        """Every date drawn, today included."""
        out = [self.today]
        for group in self.groups:
            for item in ([group.goal] if group.goal else []) + group.items:
                out.append(item.end)
                if item.start:
                    out.append(item.start)
        return out

    def to_json(self) -> dict:
        return {
            "today": self.today,
            "groups": [group.to_json() for group in self.groups],
            "undated_kpis": self.undated,
            "folded": self.folded or None,
        }


def fold(full: Timeline, max_rows: int) -> Timeline:
    """``full`` with at most ``max_rows`` rows: each group's KPIs as one row first, then
    only the first groups."""
    if full.rows <= max_rows:
        return full
    groups = [_folded_group(group) for group in full.groups]
    notes = [
        f"the KPIs of each goal are drawn as one bar (their count and span): "
        f"{plural(full.rows, 'row')} would be drawn, more than {max_rows:,}"
    ]
    kept: list[Group] = []
    rows = 0
    for group in groups:
        if rows + group.rows > max_rows and kept:
            break
        kept.append(group)
        rows += group.rows
    if len(kept) < len(groups):
        left = len(groups) - len(kept)
        notes.append(f"{plural(left, 'more group')} left out")
    folded = (
        "The timeline is folded: "
        + "; ".join(notes)
        + ". --goal ID or --scope NAME draws a part of it in full."
    )
    return Timeline(full.today, kept, full.undated, folded)


def _folded_group(group: Group) -> Group:
    if len(group.items) <= 1:
        return group
    starts = [item.start or item.end for item in group.items]
    ends = [item.end for item in group.items]
    ended = sum(1 for item in group.items if item.status == "ended")
    label = plural(len(group.items), "KPI") + (f", {ended:,} ended" if ended else "")
    row = Item(
        "kpis",
        "",
        label,
        min(starts),
        max(ends),
        "ended" if ended == len(group.items) else "open",
        "kpi",
    )
    return Group(group.goal_id, group.title, group.goal, [row])
