"""``kpispec report --format mermaid``: the goal tree as a Mermaid flowchart, alone
(the markdown report fences the same text in a ```` ```mermaid ```` block).

Nothing from the catalog reaches the diagram's syntax: node ids are generated (``n1``,
``n2``, ...), so an entry called ``end`` or ``graph`` is no keyword, and every label is
quoted with each character outside a small safe set written as Mermaid's entity code
(``#35;`` for ``#``, ``#34;`` for ``"``, ``#233;`` for ``é``: Mermaid's "entity codes to
escape characters", numbers in base 10). Labels are shortened so the diagram stays within
Mermaid's default limits (``maxTextSize`` 50,000 characters, ``maxEdges`` 500), which
GitHub applies when it renders a diagram.
"""

from __future__ import annotations

from typing import Any

from kpispec.report.model import STATES, Node, Tree

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


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def label(node: Node) -> str:
    """The node's lines: id (or a group's heading), title, state and note."""
    lines = []
    if node.id:
        lines.append(escape(shorten(node.id, 48)))
    if node.title:
        lines.append(escape(shorten(node.title, 40)))
    state = STATES[node.state][0] if node.kind != "group" else ""
    detail = " - ".join(part for part in (state, node.note) if part)
    errors = node.findings.get("error", 0)
    if errors:
        detail += f" ({errors} error{'s' if errors != 1 else ''})"
    if detail:
        lines.append(escape(shorten(detail, 70)))
    return "<br/>".join(lines) or " "


def flowchart(tree: Tree) -> str:
    """The Mermaid text of ``tree``, ending with a newline."""
    lines = ["flowchart LR"]
    if tree.folded:
        lines.append("%% " + " ".join(tree.folded.split()))
    used: dict[str, list[str]] = {}
    for node in tree.nodes.values():
        opening, closing = SHAPES[node.kind]
        lines.append(f"  {node.key}{opening}{label(node)}{closing}")
        used.setdefault(CLASSES[node.state][0], []).append(node.key)
    for parent, child in tree.edges:
        dotted = tree.nodes[child].kind == "metric"
        lines.append(f"  {parent} {'-.-' if dotted else '-->'} {child}")
    for name, fill, stroke, extra in CLASSES.values():
        if name in used:
            lines.append(f"  classDef {name} fill:{fill},stroke:{stroke},color:#1b1b1b{extra}")
    for name, keys in used.items():
        for start in range(0, len(keys), 50):  # short lines: a class statement each 50 nodes
            lines.append(f"  class {','.join(keys[start : start + 50])} {name}")
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


def render(report: Any, **options: Any) -> str:
    return fitting(report)[1]
