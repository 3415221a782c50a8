"""``kpispec report --format mermaid``: the goal tree as a Mermaid flowchart, alone
(the markdown report fences the same text in a ```` ```mermaid ```` block, beside the
timeline as a Mermaid ``gantt`` block, :func:`gantt`).

Readable (contract section 14): every top goal (and each group of loose entries) is a
subgraph of its own, the subgraphs set out in a few columns rather than one tall column;
labels wrap at word boundaries, never cut inside a word, and a title too long to show
whole keeps its numbers (``… 99.95%``); a KPI's label says what it promises and by when,
a goal's its due date; a KPI backed by dbt its data health ("dbt data failing");
"(1 error: KS102)" names the codes; a sub-goal hangs from its
parent by a thick link, a KPI by a plain arrow, a metric by a dotted one; a legend
subgraph shows every shape, colour and line style used.

Nothing from the catalog reaches the diagram's syntax: node ids are generated (``n1``,
``n2``, ...), so an entry called ``end`` or ``graph`` is no keyword, and every label is
quoted with each character outside a small safe set written as Mermaid's entity code
(``#35;`` for ``#``, ``#34;`` for ``"``, ``#233;`` for ``é``: Mermaid's "entity codes to
escape characters", numbers in base 10). The diagram stays within Mermaid's default
limits (``maxTextSize`` 50,000 characters, ``maxEdges`` 500), which GitHub applies when
it renders a diagram: folded further when it would not.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from kpispec.report.commitment import Commitment, shorten
from kpispec.report.model import STATES, Node, Tree
from kpispec.report.timeline import Timeline

MAX_TEXT = 50_000  # Mermaid's default maxTextSize: a longer diagram is refused
# no ":" either: before it decodes entities, Mermaid drops the last ";" of any line matching
# "style.*:\S*#.*;" or "classDef.*:\S*#.*;" (for its style statements), which would cut
# the entity of a label such as "style n1 fill:#f00;"; with ":" written "#58;" no label
# line can match
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,_-/()'+")
# state -> (class name, fill, stroke, extra style); class names are plain words
CLASSES = {
    "goal": ("goal", "#e3efff", "#1f5fbf", ""),
    "single-kpi-goal": ("single", "#fff4d6", "#b7791f", ""),
    "goal-without-kpi": ("nokpi", "#fde4e1", "#c0392b", ""),
    "kpi": ("kpi", "#ddf5e3", "#2e7d32", ""),
    "merely-metric": ("merely", "#fff4d6", "#b7791f", ",stroke-dasharray: 5 3"),
    "metric": ("metric", "#eef1f6", "#5b6b82", ""),
    "orphan-metric": ("orphan", "#f3f3f3", "#8a8a8a", ",stroke-dasharray: 2 2"),
    "group": ("grp", "#fafafa", "#9e9e9e", ",stroke-dasharray: 3 3"),
}
SHAPES = {
    "goal": ('(["', '"])'),
    "kpi": ('["', '"]'),
    "metric": ('("', '")'),
    "group": ('[["', '"]]'),
}
# the link from a parent to a child of each kind: a sub-goal thick, a KPI an arrow, a
# metric dotted
LINKS = {"goal": "==>", "kpi": "-->", "metric": "-.->", "group": "-->"}
# characters per label line: Mermaid wraps a label wider than 200 px again (its
# wrappingWidth, which GitHub keeps), and the browser may then break at a hyphen inside a
# date or an id; 24 characters of its 16 px font stay under that
WIDTH = 24
TITLE = 120  # characters of a title shown (its numbers always)
MAX_COLUMNS = 3  # subgraphs side by side, at most (GitHub scales a wide diagram down)


def escape(text: str) -> str:
    """``text`` as the inside of a quoted Mermaid label: safe characters as they are,
    line breaks and other controls as spaces, everything else as ``#<code>;``."""
    out = []
    for char in text:
        if char in _SAFE:
            out.append(char)
        elif char in "\r\n\t" or not char.isprintable():
            out.append(" ")
        else:
            out.append(f"#{ord(char)};")
    return "".join(out)


def wrap(text: str, width: int = WIDTH) -> list[str]:
    """``text`` as lines of at most ``width`` characters, broken at blanks only (a word
    longer than that is a line of its own, whole)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


def wrap_id(text: str, width: int = WIDTH) -> list[str]:
    """An id as lines, broken after a ``-``, ``.`` or ``_`` when longer than ``width``."""
    lines, line = [], ""
    start = 0
    for index, char in enumerate(text):
        if char in "-._" or index == len(text) - 1:
            part = text[start : index + 1]
            if line and len(line) + len(part) > width:
                lines.append(line)
                line = ""
            line += part
            start = index + 1
    if line:
        lines.append(line)
    return lines or [text]


def findings_text(node: Node) -> str:
    """``(1 error: KS102)``, ``(2 errors: KS101, KS102)``; "" without errors."""
    count = node.findings.get("error", 0)
    if not count:
        return ""
    codes = ", ".join(node.codes.get("error", []))
    return f"({count} error{'s' if count != 1 else ''}{': ' + codes if codes else ''})"


def label_lines(node: Node) -> list[str]:
    """The node's lines, unescaped: id (or a group's heading), title, what it promises,
    state and note, errors with their codes."""
    lines = []
    if node.id:
        lines += wrap_id(node.id, WIDTH)
    if node.title:
        lines += wrap(shorten(node.title, TITLE))
    promise = node.promise if node.commitment else None
    if isinstance(promise, Commitment) and node.kind == "kpi" and promise.target_text:
        lines += wrap(promise.target_text)  # the target on a line, its deadline below
        lines += wrap(node.commitment[len(promise.target_text) :].strip())
    elif node.commitment:
        lines += wrap(node.commitment)
    state = STATES[node.state][0] if node.kind != "group" else ""
    data = f"dbt data {node.health}" if node.health else ""
    detail = " - ".join(part for part in (state, node.note, data) if part)
    errors = findings_text(node)
    if detail or errors:
        lines += wrap(shorten(" ".join(p for p in (detail, errors) if p), 2 * TITLE))
    return lines


def label(node: Node) -> str:
    return "<br/>".join(escape(line) for line in label_lines(node)) or " "


def _owners(tree: Tree) -> list[list[str]]:
    """The node keys of each root's subtree, in order: a node belongs to the first root
    that reaches it (keys are made depth first, root by root)."""
    owner: dict[str, int] = {}
    for index, root in enumerate(tree.roots):
        todo = [root]
        while todo:
            key = todo.pop()
            if key in owner:
                continue
            owner[key] = index
            todo.extend(reversed(tree.nodes[key].children))
    groups: list[list[str]] = [[] for _ in tree.roots]
    for key in tree.nodes:
        if key in owner:
            groups[owner[key]].append(key)
    return groups


LEGEND = [  # (key, kind, state, text)
    ("lg1", "goal", "goal", "goal"),
    ("lg2", "goal", "single-kpi-goal", "sub-goal (thick link), one KPI"),
    ("lg3", "kpi", "kpi", "KPI: goal, target, deadline"),
    ("lg4", "kpi", "merely-metric", "merely a metric"),
    ("lg5", "metric", "metric", "metric feeding a KPI (dotted link)"),
    ("lg6", "goal", "goal-without-kpi", "goal without KPI"),
    ("lg7", "metric", "orphan-metric", "orphan metric"),
]


def _legend(used: dict[str, list[str]]) -> list[str]:
    lines = ['  subgraph legend["Legend"]', "    direction LR"]
    for key, kind, state, text in LEGEND:
        opening, closing = SHAPES[kind]
        lines.append(f"    {key}{opening}{escape(text)}{closing}")
        used.setdefault(CLASSES[state][0], []).append(key)
    lines += ["    lg1 ==> lg2", "    lg2 --> lg3", "    lg3 -.-> lg5", "  end"]
    return lines


def flowchart(tree: Tree) -> str:
    """The Mermaid text of ``tree``, ending with a newline."""
    lines = ["flowchart TB"]
    if tree.folded:
        lines.append("%% " + " ".join(tree.folded.split()))
    used: dict[str, list[str]] = {}
    groups = _owners(tree)
    members: list[list[tuple[str, str]]] = [[(key, key) for key in keys] for keys in groups]
    group_of = {key: index for index, keys in enumerate(groups) for key in keys}
    edges: list[str] = []
    linked: set[str] = set()
    for parent, child in tree.edges:
        node = tree.nodes[child]
        target = child
        if child in linked and node.kind != "goal":
            # an entry linked a second time (a KPI of two goals, a metric feeding two
            # KPIs) is drawn again beside this parent, a leaf, rather than a long link
            # across the diagram to where it first is
            target = f"{child}x{len(edges)}"
            members[group_of.get(parent, 0)].append((target, child))
        linked.add(child)
        edges.append(f"  {parent} {LINKS[node.kind]} {target}")
    for index, keys in enumerate(members):
        lines.append(f'  subgraph t{index + 1}[" "]')
        lines.append("    direction LR")
        for key, original in keys:
            node = tree.nodes[original]
            opening, closing = SHAPES[node.kind]
            lines.append(f"    {key}{opening}{label(node)}{closing}")
            used.setdefault(CLASSES[node.state][0], []).append(key)
        lines.append("  end")
    lines += edges
    if tree.nodes:
        lines += _legend(used)
        # the legend, then the subgraphs, in a few columns: each below the one a row
        # before it (an invisible link)
        names = ["legend"] + [f"t{i + 1}" for i in range(len(groups))]
        columns = min(MAX_COLUMNS, math.ceil(math.sqrt(len(names))))
        for index in range(columns, len(names)):
            lines.append(f"  {names[index - columns]} ~~~ {names[index]}")
    for name, fill, stroke, extra in CLASSES.values():
        if name in used:
            lines.append(f"  classDef {name} fill:{fill},stroke:{stroke},color:#1b1b1b{extra}")
    for name, members_of in used.items():
        for start in range(0, len(members_of), 50):  # short lines: a class statement each 50
            lines.append(f"  class {','.join(members_of[start : start + 50])} {name}")
    if not tree.nodes:
        lines.append('  n0["no goal, KPI or metric to show"]')
    return "\n".join(lines) + "\n"


def fitting(report: Any, limit: int = MAX_TEXT) -> tuple[Tree, str]:
    """The report's tree and its Mermaid text, folded further while the text is longer
    than ``limit`` characters."""
    tree = report.tree
    text = flowchart(tree)
    nodes = report.max_nodes
    while len(text) > limit and nodes > 8:
        nodes = max(8, min(nodes // 2, len(tree.nodes) // 2))
        tree = report.refold(nodes)
        text = flowchart(tree)
    return tree, text


# -- the timeline --------------------------------------------------------------------

GANTT_ROWS = 60  # rows of a gantt block before it folds (GitHub draws it in a comment)


def _task_name(text: str) -> str:
    """A gantt task or section name: escaped as a label is, and no ``:`` (which ends a
    task's name) nor ``#`` outside an entity."""
    return escape(" ".join(text.split())) or "-"


def gantt(timeline: Timeline) -> str:
    """The timeline as a Mermaid ``gantt`` diagram, ending with a newline: a section per
    goal (its due date a milestone, its KPIs bars from start to end, or milestones at
    their end without a start), ``crit`` what ended or is overdue, today a milestone of
    its own (the report's --today, not the reader's clock)."""
    lines = [
        "gantt",
        "  dateFormat YYYY-MM-DD",
        "  axisFormat %Y-%m",
        "  todayMarker off",
    ]
    if timeline.folded:
        lines.append("%% " + " ".join(timeline.folded.split()))
    lines += [
        "  section Today",
        f"  today {timeline.today} :milestone, today, {timeline.today}, 0d",
    ]
    count = 0
    for group in timeline.groups:
        lines.append(f"  section {_task_name(shorten(group.title, 60))}")
        rows = ([group.goal] if group.goal else []) + group.items
        for item in rows:
            count += 1
            if item.kind == "goal":
                name = f"due {item.end}"
            else:
                name = " ".join(p for p in (item.id, item.text) if p) or item.label
            if item.status in ("ended", "overdue"):
                name += f" ({item.status})"
            tags = []
            if item.status in ("ended", "overdue"):
                tags.append("crit")
            elif item.state == "merely-metric":
                tags.append("done")  # drawn grey: declared, but not a KPI
            if item.start is None or item.kind == "goal":
                tags.append("milestone")
                span = f"{item.end}, 0d"
            else:
                span = f"{item.start}, {_day_after(item.end)}"
            tags.append(f"r{count}")
            lines.append(f"  {_task_name(shorten(name, 70))} :{', '.join(tags)}, {span}")
    return "\n".join(lines) + "\n"


def _day_after(day: str) -> str:
    """The end of a bar: Mermaid's end date is exclusive, a timeframe's end inclusive."""
    return (_dt.date.fromisoformat(day) + _dt.timedelta(days=1)).isoformat()


def gantt_fitting(report: Any, limit: int, rows: int = GANTT_ROWS) -> tuple[Timeline, str]:
    """The report's timeline and its gantt text, folded further while the text is longer
    than ``limit`` characters."""
    timeline = report.timeline(rows)
    text = gantt(timeline)
    while len(text) > limit and rows > 4:
        rows //= 2
        timeline = report.timeline(rows)
        text = gantt(timeline)
    return timeline, text


def render(report: Any, **options: Any) -> str:
    return fitting(report)[1]
