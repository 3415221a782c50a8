"""The timeline of the html report as an SVG drawn here, in Python: no script, no font,
nothing fetched (contract section 14). Readable in a 1280 px window: 1160 px wide, a
label column on the left (a goal's title, a KPI's id and target), the calendar on the
right with a line per year (and per quarter over a short span), today a red line.

A group per goal: its row holds the goal's due date (a diamond; red and "overdue" when it
has passed), the rows below it its KPIs (a bar from the timeframe's start to its end, a
diamond at the end when there is no start; grey with a red edge and "ended" when the end
has passed; dashed when the KPI is merely a metric). Every date drawn is written beside
its mark, so the picture says what the json says. Text is escaped; the output is
deterministic.
"""

from __future__ import annotations

import datetime as _dt
from html import escape

from kpispec.report.commitment import shorten
from kpispec.report.timeline import Item, Timeline

WIDTH = 1160
LABEL = 340  # the label column
RIGHT = 24  # margin after the calendar
TOP = 34  # the axis
ROW = 22
CHAR = 6.6  # the width of a character of the 12 px labels, about (for placing text)
SPAN_YEARS = 40  # a calendar longer than this is cut around today (typos such as 2300)
FILL = {
    "kpi": ("#ddf5e3", "#2e7d32"),
    "merely-metric": ("#fff4d6", "#b7791f"),
    "kpis": ("#ddf5e3", "#2e7d32"),
}
ENDED = ("#e6e6e6", "#c0392b")


def _e(text: str) -> str:
    return escape(text, quote=True)


def _day(text: str) -> _dt.date:
    return _dt.date.fromisoformat(text)


class _Scale:
    def __init__(self, timeline: Timeline):
        days = [_day(d) for d in timeline.dates()]
        today = _day(timeline.today)
        low, high = min(days), max(days)
        if high.year - low.year > SPAN_YEARS:
            low = max(low, today.replace(year=max(1, today.year - SPAN_YEARS // 3)))
            high = min(high, today.replace(year=today.year + SPAN_YEARS * 2 // 3))
        self.low = _dt.date(low.year, 1, 1)
        self.high = _dt.date(high.year + 1, 1, 1)
        self.left = LABEL + 10
        self.right = WIDTH - RIGHT
        self.days = max((self.high - self.low).days, 1)

    def x(self, day: _dt.date) -> float:
        day = min(max(day, self.low), self.high)
        return round(self.left + (day - self.low).days * (self.right - self.left) / self.days, 1)

    def ticks(self) -> list[tuple[_dt.date, str, bool]]:
        """(date, label, major) for the grid: years, quarters too over 4 years or less."""
        out = []
        quarters = self.high.year - self.low.year <= 4
        for year in range(self.low.year, self.high.year + 1):
            out.append((_dt.date(year, 1, 1), str(year), True))
            if quarters and year < self.high.year:
                out += [(_dt.date(year, m, 1), "", False) for m in (4, 7, 10)]
        return out


def _text(x: float, y: float, text: str, cls: str, anchor: str = "start") -> str:
    return (
        f'<text x="{x}" y="{y}" class="{cls}"'
        + (f' text-anchor="{anchor}"' if anchor != "start" else "")
        + f">{_e(text)}</text>"
    )


def _label(text: str, x: float, right: float, y: float, cls: str) -> str:
    """A date written beside a mark: after it when it fits, else before it."""
    width = len(text) * CHAR
    if x + 6 + width <= right:
        return _text(x + 6, y, text, cls)
    return _text(x - 6, y, text, cls, "end")


def _diamond(x: float, y: float, fill: str, stroke: str) -> str:
    r = 6
    return (
        f'<path d="M{x} {y - r}L{x + r} {y}L{x} {y + r}L{x - r} {y}Z" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
    )


def _row(item: Item, scale: _Scale, y: float) -> list[str]:
    """The marks of one row (its label is drawn by the caller)."""
    mid = y + ROW / 2
    end = scale.x(_day(item.end))
    late = item.status in ("ended", "overdue")
    out = []
    when = (
        ("due " if item.kind == "goal" else "by ")
        + item.end
        + (f" ({item.status})" if late else "")
    )
    if item.kind == "goal":
        fill, stroke = ("#fde4e1", "#c0392b") if late else ("#e3efff", "#1f5fbf")
        out.append(_diamond(end, mid, fill, stroke))
        out.append(_label(when, end + 2, scale.right + RIGHT, mid + 4, "late" if late else "when"))
        return out
    fill, stroke = ENDED if late else FILL.get(item.state, FILL["kpi"])
    dash = ' stroke-dasharray="4 3"' if item.state == "merely-metric" else ""
    if item.start is None:
        out.append(_diamond(end, mid, fill, stroke))
    else:
        start = scale.x(_day(item.start))
        out.append(
            f'<rect x="{start}" y="{y + 5}" width="{max(end - start, 2):.1f}" height="{ROW - 10}" '
            f'rx="3" fill="{fill}" stroke="{stroke}" stroke-width="1.2"{dash}/>'
        )
    out.append(_label(when, end + 2, scale.right + RIGHT, mid + 4, "late" if late else "when"))
    return out


def svg(timeline: Timeline) -> str:
    """The SVG of ``timeline`` (one ``<svg>`` element, inline in the page)."""
    scale = _Scale(timeline)
    rows: list[tuple[str, Item | None, str]] = []  # (kind, item, label)
    for group in timeline.groups:
        title = group.title or group.goal_id
        rows.append(("group", group.goal, title))
        for item in group.items:
            label = " ".join(p for p in (item.id, item.text) if p) or item.label
            rows.append(("item", item, label))
    height = TOP + ROW * len(rows) + 12
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="timeline-svg" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="timeline-title">',
        f'<title id="timeline-title">Timeline of {len(timeline.groups):,} goals and their '
        f"KPIs; today {_e(timeline.today)}</title>",
        "<style>.axis{font:11px system-ui,sans-serif;fill:#555}"
        ".goal{font:600 12px system-ui,sans-serif;fill:#1b1b1b}"
        ".kpi{font:12px ui-monospace,Menlo,Consolas,monospace;fill:#1b1b1b}"
        ".when{font:11px system-ui,sans-serif;fill:#333}"
        ".late{font:600 11px system-ui,sans-serif;fill:#b02a1c}"
        ".today{font:600 11px system-ui,sans-serif;fill:#c0392b}</style>",
    ]
    band = 0
    for index, (kind, _, _) in enumerate(rows):  # a band of colour per group
        if kind == "group":
            band += 1
        if band % 2 == 0:
            out.append(
                f'<rect x="0" y="{TOP + index * ROW}" width="{WIDTH}" height="{ROW}" '
                'fill="#f6f8fb"/>'
            )
    for day, text, major in scale.ticks():
        x = scale.x(day)
        out.append(
            f'<line x1="{x}" y1="{TOP - 6}" x2="{x}" y2="{height - 8}" '
            f'stroke="{"#c9ced6" if major else "#e6e9ee"}" stroke-width="1"/>'
        )
        if text and day < scale.high:
            out.append(_text(x + 3, TOP - 10, text, "axis"))
    for index, (kind, mark, label) in enumerate(rows):
        y = TOP + index * ROW
        if kind == "group":
            out.append(_text(8, y + 15, shorten(label, 46), "goal"))
        else:
            out.append(_text(22, y + 15, shorten(label, 44), "kpi"))
        if mark is not None:
            out += _row(mark, scale, y)
    today = scale.x(_day(timeline.today))
    out.append(
        f'<line x1="{today}" y1="{TOP - 20}" x2="{today}" y2="{height - 8}" '
        'stroke="#c0392b" stroke-width="2"/>'
    )
    out.append(_label(f"today {timeline.today}", today, WIDTH, TOP - 22, "today"))
    out.append("</svg>")
    return "".join(out)
