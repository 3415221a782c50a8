"""``kpispec report --format html``: one self-contained page that works offline.

Styles and the little script (the filter box, the state filters, sorting a table by a
column) are inline; the tree is drawn with nested lists and CSS lines, no diagram library;
nothing is fetched: no CDN, no font, no image, and a Content-Security-Policy that allows
no request at all says so to the browser. The page explains itself (what a KPI is, a
legend of the states) for someone who has never heard of kpispec.

Every text from the catalog is HTML-escaped. The output is deterministic (no date, no
random id), so the page of a commit can be compared with the page of the next.
"""

from __future__ import annotations

from html import escape
from typing import Any

from kpispec.report.model import STATES, Node, Report, plural

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)
COLORS = {  # state -> (fill, border)
    "goal": ("#e3efff", "#1f5fbf"),
    "single-kpi-goal": ("#fff4d6", "#b7791f"),
    "goal-without-kpi": ("#fde4e1", "#c0392b"),
    "kpi": ("#ddf5e3", "#2e7d32"),
    "merely-metric": ("#fff4d6", "#b7791f"),
    "metric": ("#eef1f6", "#5b6b82"),
    "orphan-metric": ("#f3f3f3", "#8a8a8a"),
    "group": ("#fafafa", "#9e9e9e"),
}

STYLE = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 margin:0;color:#1b1b1b;background:#fff}
header,main{max-width:1200px;margin:0 auto;padding:0 20px}
header{padding-top:18px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.headline{font-size:18px;font-weight:600;margin:4px 0}
.muted{color:#555}
.intro{max-width:75ch}
.legend{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:6px 18px;
 padding:0;list-style:none;margin:8px 0}
.legend li{display:flex;gap:8px;align-items:flex-start}
.chip{display:inline-block;border:1.5px solid;border-radius:4px;padding:0 6px;
 white-space:nowrap;font-size:12px;font-weight:600}
.toolbar{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:8px 0;
 z-index:2;display:flex;flex-wrap:wrap;gap:6px 14px;align-items:center}
.toolbar input[type=search]{font:inherit;padding:5px 8px;width:min(420px,100%);
 border:1px solid #999;border-radius:4px}
.toolbar label{font-size:12px;white-space:nowrap}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:22px}
ul.tree{padding-left:0}
ul.tree li{position:relative;padding:3px 0 3px 16px}
ul.tree ul li::before{content:"";position:absolute;left:0;top:0;bottom:0;
 border-left:1.5px solid #b9c0cc}
ul.tree ul li:last-child::before{bottom:auto;height:17px}
ul.tree ul li::after{content:"";position:absolute;left:0;top:17px;width:14px;
 border-top:1.5px solid #b9c0cc}
ul.tree>li{padding-left:0}
summary{cursor:pointer;list-style-position:outside}
.node{display:inline-flex;flex-wrap:wrap;gap:2px 8px;align-items:baseline;border:1.5px solid;
 border-radius:6px;padding:3px 9px;max-width:100%;vertical-align:top}
.node.k-goal{border-radius:14px;border-width:2px}
.node.s-merely-metric,.node.s-orphan-metric,.node.s-group{border-style:dashed}
.node .id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-weight:600}
.node .state{font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.02em}
.node .note{font-size:12px;color:#444}
.badge{font-size:11px;border-radius:8px;padding:0 6px;color:#fff;background:#c0392b}
.badge.warning{background:#b7791f}.badge.info{background:#5b6b82}
.again{font-size:12px;color:#666;font-style:italic}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top;
 overflow-wrap:anywhere}
th{background:#f4f5f7;cursor:pointer;user-select:none;position:sticky;top:46px}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
tbody tr:nth-child(even){background:#fafbfc}
td.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.sev-error{color:#b02a1c;font-weight:600}.sev-warning{color:#8a5a00;font-weight:600}
.over{color:#b02a1c;font-weight:600}
.note-line{background:#fff8e6;border:1px solid #f0d9a0;padding:6px 10px;border-radius:4px}
[hidden]{display:none!important}
footer{max-width:1200px;margin:30px auto;padding:0 20px;color:#777;font-size:12px}
"""

SCRIPT = """
(function(){
var q=document.getElementById('q'),boxes=[].slice.call(document.querySelectorAll('.toolbar input[data-state]'));
var nodes=[].slice.call(document.querySelectorAll('ul.tree li')).reverse();
var rows=[].slice.call(document.querySelectorAll('table.filterable tbody tr'));
var count=document.getElementById('count');
function apply(){
 var text=q.value.trim().toLowerCase(),on={},filtered=!!text;
 boxes.forEach(function(b){on[b.dataset.state]=b.checked;if(!b.checked)filtered=true;});
 function ok(el){var s=el.dataset.state;return(!s||on[s]!==false)&&(!text||(el.dataset.text||el.textContent).toLowerCase().indexOf(text)>=0);}
 nodes.forEach(function(li){
  var own=ok(li),kid=false,c=li.querySelectorAll(':scope>ul>li,:scope>details>ul>li');
  for(var i=0;i<c.length;i++){if(!c[i].hidden){kid=true;break;}}
  li.hidden=!(own||kid);
  if(filtered&&kid){var d=li.querySelector(':scope>details');if(d)d.open=true;}
 });
 var shown=0,entries=0;
 rows.forEach(function(tr){var v=ok(tr);tr.hidden=!v;if(tr.closest('#entries')){entries++;if(v)shown++;}});
 count.textContent=filtered?('showing '+shown+' of '+entries+' entries'):(entries+' entries');
}
q.addEventListener('input',apply);boxes.forEach(function(b){b.addEventListener('change',apply);});
document.querySelectorAll('table.sortable th').forEach(function(th,index){
 th.addEventListener('click',function(){
  var table=th.closest('table'),body=table.tBodies[0],col=[].indexOf.call(th.parentNode.children,th);
  var dir=th.getAttribute('aria-sort')==='ascending'?-1:1;
  table.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort');});
  th.setAttribute('aria-sort',dir>0?'ascending':'descending');
  var list=[].slice.call(body.rows);
  list.sort(function(a,b){var x=a.cells[col].dataset.sort||a.cells[col].textContent,y=b.cells[col].dataset.sort||b.cells[col].textContent;
   var nx=parseFloat(x),ny=parseFloat(y);
   if(!isNaN(nx)&&!isNaN(ny)&&String(nx)===x.trim()&&String(ny)===y.trim())return dir*(nx-ny);
   return dir*x.localeCompare(y);});
  list.forEach(function(r){body.appendChild(r);});
 });
});
apply();
document.documentElement.dataset.ready='1';
})();
"""


def _e(text: Any) -> str:
    return escape(str(text), quote=True)


def _chip(state: str) -> str:
    fill, border = COLORS[state]
    return (
        f'<span class="chip" style="background:{fill};border-color:{border}">'
        f"{_e(STATES[state][0])}</span>"
    )


def _badges(node: Node) -> str:
    out = []
    for level, word in (("error", "error"), ("warning", "warning"), ("info", "info")):
        count = node.findings.get(level, 0)
        if count:
            out.append(f'<span class="badge {level}">{_e(plural(count, word))}</span>')
    return "".join(out)


def _node(node: Node, again: bool) -> str:
    fill, border = COLORS[node.state]
    parts = []
    if node.kind != "group":
        parts.append(f'<span class="state">{_e(STATES[node.state][0])}</span>')
    if node.id:
        parts.append(f'<span class="id">{_e(node.id)}</span>')
    if node.title:
        parts.append(f'<span class="title">{_e(node.title)}</span>')
    if node.note:
        parts.append(f'<span class="note">{_e(node.note)}</span>')
    where = f' title="{_e(node.location)}"' if node.entry is not None else ""
    body = "".join(parts) + _badges(node)
    if again:
        body += '<span class="again">(shown above)</span>'
    return (
        f'<div class="node k-{node.kind} s-{node.state}" '
        f'style="background:{fill};border-color:{border}"{where}>{body}</div>'
    )


def tree_html(report: Report) -> str:
    tree = report.tree
    expanded: set[str] = set()
    out: list[str] = []

    def item(key: str) -> None:
        node = tree.nodes[key]
        again = key in expanded and bool(node.children)
        attrs = f' data-node="{node.key}" data-kind="{node.kind}" data-state="{node.state}"' + (
            f' data-id="{_e(node.id)}"' if node.id else ""
        )
        text = " ".join(
            part
            for part in (node.id, node.title, STATES[node.state][0], node.note, node.location)
            if part
        )
        attrs += f' data-text="{_e(text)}"'
        if not node.children or again:
            out.append(f"<li{attrs}>{_node(node, again)}</li>")
            return
        expanded.add(key)
        out.append(f"<li{attrs}><details open><summary>{_node(node, False)}</summary><ul>")
        for child in node.children:
            item(child)
        out.append("</ul></details></li>")

    for root in tree.roots:
        item(root)
    return '<ul class="tree">' + "".join(out) + "</ul>"


def _table(cid: str, header: list[str], rows: list[str], empty: str) -> str:
    if not rows:
        return f'<p class="muted">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    return (
        f'<table id="{cid}-table" class="sortable filterable"><thead><tr>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def render(report: Report, **options: Any) -> str:
    s = report.summary
    legend = "".join(
        f"<li>{_chip(key)}<span>{_e(meaning)}</span></li>"
        for key, (label, meaning) in STATES.items()
    )
    boxes = "".join(
        f'<label><input type="checkbox" data-state="{key}" checked> {_e(label)}</label>'
        for key, (label, _) in STATES.items()
        if key != "group"
    )
    notes = []
    if report.filters.get("goal"):
        notes.append(
            f"Cut to goal <code>{_e(report.filters['goal'])}</code> and the goals below it."
        )
    if report.filters.get("scope"):
        notes.append(f"Cut to scope <code>{_e(report.filters['scope'])}</code>.")
    if report.unreadable:
        files = ", ".join(f"<code>{_e(p)}</code>" for p in report.unreadable)
        notes.append(
            f"<strong>{_e(plural(len(report.unreadable), 'file'))} could not be "
            f"read</strong>, so {'its' if len(report.unreadable) == 1 else 'their'} "
            f"entries are missing: {files} (<code>kpispec lint</code> says why)."
        )
    note_html = "".join(f'<p class="note-line">{n}</p>' for n in notes)
    folded = (
        f'<p class="note-line" id="folded">{_e(report.tree.folded)}</p>'
        if report.tree.folded
        else ""
    )

    scope_rows = [
        f'<tr data-text="{_e(r.scope)}"><td class="mono">{_e(r.scope)}</td>'
        f"<td>{r.kpis}</td><td>{r.max_kpis}{' (policy)' if r.limit_from == 'policy' else ''}"
        f"</td><td{' class=over' if r.over else ''}>"
        f"{'over the limit (KS201)' if r.over else 'ok'}</td><td>{r.declared}</td>"
        f"<td>{r.merely}</td><td>{r.metrics}</td></tr>"
        for r in report.scopes
    ]
    entry_rows = []
    for r in report.entries:
        entry_rows.append(
            f'<tr data-state="{r.state}" data-id="{_e(r.id)}">'
            f'<td class="mono">{_e(r.id)}</td><td>{_e(r.name)}</td><td>{r.declared}</td>'
            f"<td>{_chip(r.state)}</td><td>{_e(', '.join(r.lacks))}</td>"
            f'<td class="mono">{_e(", ".join(r.goals))}</td><td>{_e(r.owner)}</td>'
            f'<td class="mono">{_e(r.scope)}</td>'
            f'<td class="mono" data-sort="{_e(r.entry.file.display)}:{r.entry.line:09d}">'
            f"{_e(r.location)}</td></tr>"
        )
    finding_rows = []
    for rank, f in enumerate(report.findings):
        finding_rows.append(
            f'<tr data-severity="{f.severity}"><td class="sev-{f.severity}" '
            f'data-sort="{rank:09d}">{f.severity}</td><td class="mono">{_e(f.code)}</td>'
            f"<td>{_e(f.name)}</td>"
            f'<td class="mono" data-sort="{_e(f.path)}:{f.line:09d}">'
            f"{_e(f.path)}:{f.line}:{f.column}</td>"
            f'<td class="mono">{_e(f.entry or "")}</td><td>{_e(f.message)}</td></tr>'
        )
    detail = (
        f"{plural(s['entries'], 'entry', 'entries')} in {plural(s['files'], 'file')}: "
        f"{plural(s['kpis'], 'KPI')}, {plural(s['merely_metrics'], 'declared KPI')} "
        f"merely {'a metric' if s['merely_metrics'] == 1 else 'metrics'}, "
        f"{plural(s['metrics'] - s['merely_metrics'], 'metric')}; "
        f"{plural(s['goals'], 'goal')}; {plural(s['errors'], 'error')}, "
        f"{plural(s['warnings'], 'warning')}, {plural(s['infos'], 'info')}."
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kpispec">
<title>KPI report: {_e(report.headline)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>KPI report</h1>
<p class="headline" id="headline">{_e(report.headline)}</p>
<p class="muted" id="summary">{_e(detail)}</p>
{note_html}
<details id="about" open><summary><strong>How to read this page</strong></summary>
<p class="intro">A <strong>KPI</strong> (key performance indicator) is a number linked to a
<strong>goal</strong>, with a <strong>target</strong> to reach and a <strong>deadline</strong>;
someone owns it. A number without those is <strong>merely a metric</strong>: useful to explain
a KPI, but not a measure of success. The tree below shows each goal (under its parent goal),
the KPIs that say whether it is reached, and the metrics that feed them. A goal measured by a
single KPI invites gaming that one number; a goal with no KPI is measured by nobody. This page
was written by <code>kpispec report</code> from KPI definitions kept in git; the findings at
the end say what to fix.</p>
<ul class="legend" id="legend">{legend}</ul>
</details>
</header>
<main>
<div class="toolbar" role="search"><input id="q" type="search"
 placeholder="Filter by id, name, owner, scope, state..." aria-label="Filter">
{boxes}<span id="count" class="muted"></span></div>
<section id="tree"><h2>Goal tree</h2>{folded}{tree_html(report)}</section>
<section id="scopes"><h2>Scopes</h2>
<p class="muted">KPIs per scope (entries classed KPI, against the scope's limit,
<code>max-kpis</code>): a team should keep only a few.</p>
{
        _table(
            "scopes",
            ["scope", "KPIs", "max-kpis", "status", "declared KPIs", "merely metrics", "metrics"],
            scope_rows,
            "No scope.",
        )
    }</section>
<section id="entries"><h2>Entries</h2>
{
        _table(
            "entries",
            ["id", "name", "declared", "state", "lacks", "goal", "owner", "scope", "location"],
            entry_rows,
            "No entries.",
        )
    }</section>
<section id="findings"><h2>Findings (errors first)</h2>
{
        _table(
            "findings",
            ["severity", "code", "rule", "location", "entry", "message"],
            finding_rows,
            "No findings.",
        )
    }</section>
</main>
<footer>Written by kpispec. Self-contained: this page loads nothing from the network.</footer>
<script>{SCRIPT}</script>
</body>
</html>
"""
