"""``kpispec report --format html``: one self-contained page that works offline.

What it shows (contract sections 11 and 14): the headline; the scorecard per scope (KPIs
against the 3-7 band, merely metrics, goals without KPI or with one, the coverage of
each trait); the timeline, an SVG drawn here (:mod:`kpispec.report.timeline_svg`); the
goal tree, each KPI with what it promises and by when, each goal with its due date; the
entries table (each KPI's target, baseline, timeframe, review cadence, owner, data
source); the data health of each KPI backed by dbt (the last dbt run's status and when,
freshness), counted per scope in the scorecard; the goals (due date, owner); the findings, errors first; the waivers (findings
an inline directive silenced, with its reason and until), when there are any.

Usable at any size: the tree, the entries, the goals and the findings are data in the
page (one ``application/json`` script) that the page's own script draws -- every row at
once up to :data:`EAGER_ROWS` rows, beyond that a first slice and the next ones as they
scroll into view; a subtree when it is opened (a small tree opens whole). The filter box,
the state filters and sorting by a column work on the data, not on what is drawn. So a
20,000-entry catalog is a page of a few megabytes that opens in a second or two.

Nothing is fetched: styles and script are inline, no CDN, no font, no image, and a
Content-Security-Policy that allows no request at all says so to the browser. No table
cell breaks a word: ids, dates, targets and locations never wrap, other text wraps at
blanks only, and a table wider than the window scrolls in its own box. The page explains
itself (what a KPI is, a legend of the states) for someone who has never heard of
kpispec.

Every text from the catalog is HTML-escaped here or set as text by the script (never as
markup), and the data script cannot be closed early (``<``, ``>``, ``&`` are written as
JSON escapes). The output is deterministic (no date but ``--today``, no random id), so
the page of a commit can be compared with the page of the next.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from kpispec.report import health
from kpispec.report.model import (
    BANDS,
    STATES,
    TRAITS,
    GoalPromise,
    Node,
    Report,
    plural,
    waiver_until,
)
from kpispec.report.text import (
    HEALTH_HEADER,
    TRAIT_NAMES,
    band_text,
    health_cells,
    health_counts_text,
    health_rows,
)
from kpispec.report.timeline_svg import svg as timeline_svg

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
BAND_COLORS = {"none": "#5b6b82", "below": "#8a5a00", "within": "#2e7d32", "over": "#b02a1c"}
NBSP = "\u00a0"
EAGER_ROWS = 2000  # a table of this many rows or fewer is drawn whole at once
OPEN_TREE = 400  # a tree of this many nodes or fewer is drawn open

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
.legend{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(330px,100%),1fr));
 gap:6px 18px;padding:0;list-style:none;margin:8px 0}
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
.node .commit{font-size:12px;font-weight:600;color:#143d1c;white-space:nowrap}
.node .commit.late{color:#b02a1c}
.badge{font-size:11px;border-radius:8px;padding:0 6px;color:#fff;background:#c0392b;
 white-space:nowrap}
.badge.warning{background:#b7791f}.badge.info{background:#5b6b82}
.again{font-size:12px;color:#666;font-style:italic}
.scroll{overflow-x:auto;margin:6px 0 10px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top;
 overflow-wrap:normal;word-break:normal;hyphens:manual}
th{background:#f4f5f7;white-space:nowrap}
table.sortable th{cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
tbody tr:nth-child(even){background:#fafbfc}
td.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
td.mono,td.nw{white-space:nowrap}
td.num{text-align:right;white-space:nowrap}
td.prose{min-width:11em}
td .sub{font-size:12px;color:#555;white-space:normal;font-family:system-ui,sans-serif}
td.mono .sub{font:11px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:nowrap}
.sev-error{color:#b02a1c;font-weight:600}.sev-warning{color:#8a5a00;font-weight:600}
.late{color:#b02a1c;font-weight:600}
.health-failing{color:#b02a1c;font-weight:600}.health-stale{color:#8a5a00;font-weight:600}
.health-healthy{color:#2e7d32;font-weight:600}.health-unknown{color:#5b6b82;font-weight:600}
.node .data{font-size:12px;white-space:nowrap}
.band{font-weight:600;white-space:nowrap}
.bar{display:inline-block;width:36px;height:8px;background:#eceff3;border-radius:4px;
 margin-right:6px;vertical-align:middle;overflow:hidden}
.bar i{display:block;height:100%;background:#2e7d32}
.more{color:#555;font-size:12px;margin:4px 0}
.note-line{background:#fff8e6;border:1px solid #f0d9a0;padding:6px 10px;border-radius:4px}
.timeline{overflow-x:auto;border:1px solid #e3e6eb;border-radius:4px}
.timeline svg{display:block}
[hidden]{display:none!important}
footer{max-width:1200px;margin:30px auto;padding:0 20px;color:#777;font-size:12px}
"""

# The page's script: draws the tree, the tables, filters and sorts them from the data.
# Catalog text is only ever set with textContent.
SCRIPT = """
(function(){
var D=JSON.parse(document.getElementById('report-data').textContent),S=D.states;
var EAGER=D.eager,FIRST=200,STEP=500;
function el(t,c,x){var e=document.createElement(t);if(c)e.className=c;if(x!=null)e.textContent=x;return e;}
function chip(s){var v=S[s],c=el('span','chip',v[0]);c.style.background=v[1];c.style.borderColor=v[2];return c;}
var q=document.getElementById('q'),boxes=[].slice.call(document.querySelectorAll('.toolbar input[data-state]'));
var on={},text='',filtered=false;
function ok(state,hay){return(!state||on[state]!==false)&&(!text||hay.indexOf(text)>=0);}
/* the tree: nodes [key,kind,id,title,state,note,commitment,late,children,location,badges,
   data health] */
var N={};D.tree.nodes.forEach(function(n){N[n[0]]=n;});
var first={};(function(){var st=D.tree.roots.slice().reverse().map(function(k){return[k,null];});
 while(st.length){var it=st.pop(),k=it[0];if(k in first)continue;first[k]=it[1];
  var ch=N[k][8];for(var i=ch.length-1;i>=0;i--)st.push([ch[i],k]);}})();
function hay(n){return n.h||(n.h=[n[2],n[3],S[n[4]][0],n[5],n[6],n[9],n[11]?'dbt data '+n[11]:''].join(' ').toLowerCase());}
function box(n,again){
 var d=el('div','node k-'+n[1]+' s-'+n[4]),v=S[n[4]];d.style.background=v[1];d.style.borderColor=v[2];
 if(n[9])d.title=n[9];
 if(n[1]!=='group')d.appendChild(el('span','state',v[0]));
 if(n[2])d.appendChild(el('span','id',n[2]));
 if(n[3])d.appendChild(el('span','title',n[3]));
 if(n[6])d.appendChild(el('span','commit'+(n[7]?' late':''),n[6]));
 if(n[5])d.appendChild(el('span','note',n[5]));
 if(n[11])d.appendChild(el('span','data health-'+n[11],'dbt data '+n[11]));
 n[10].forEach(function(b){d.appendChild(el('span','badge '+b[0],b[1]));});
 if(again)d.appendChild(el('span','again','(shown above)'));
 return d;}
function item(key,parent,show){
 var n=N[key],li=el('li');li.dataset.node=key;li.dataset.kind=n[1];li.dataset.state=n[4];
 if(n[2])li.dataset.id=n[2];
 var again=first[key]!==parent&&n[8].length>0;
 var kids=again?[]:n[8].filter(function(c){return!show||show.has(c);});
 if(!kids.length){li.appendChild(box(n,again));return li;}
 var det=el('details'),sum=el('summary');sum.appendChild(box(n,false));det.appendChild(sum);li.appendChild(det);
 function fill(){if(det.filled)return;det.filled=1;var ul=el('ul');
  kids.forEach(function(c){ul.appendChild(item(c,key,show));});det.appendChild(ul);}
 if(show||D.tree.open){det.open=true;fill();}else det.addEventListener('toggle',function(){if(det.open)fill();});
 return li;}
var treeList=document.getElementById('tree-list');
function drawTree(){
 var show=null;
 if(filtered){show=new Set();D.tree.nodes.forEach(function(n){if(ok(n[4],hay(n))){
  var k=n[0];while(k!=null&&!show.has(k)){show.add(k);k=first[k];}}});}
 var f=document.createDocumentFragment();
 D.tree.roots.forEach(function(k){if(!show||show.has(k))f.appendChild(item(k,null,show));});
 treeList.textContent='';treeList.appendChild(f);}
/* the tables: columns [name,kind]; a row its cells; a cell a text or [text, sort key or
   null, line below]; spec.state and spec.key: the columns holding the row's state, its id */
function Table(id,spec){
 var t=this,sec=document.getElementById(id);t.spec=spec;t.rows=spec.rows;t.view=t.rows;t.shown=0;
 t.word=spec.word;t.hays=[];
 var wrap=el('div','scroll'),table=el('table','sortable'),head=el('thead'),tr=el('tr');
 table.id=id+'-table';
 spec.cols.forEach(function(c,i){var th=el('th',null,c[0]);th.addEventListener('click',function(){t.sort(i,th);});tr.appendChild(th);});
 head.appendChild(tr);table.appendChild(head);t.body=el('tbody');table.appendChild(t.body);
 wrap.appendChild(table);sec.appendChild(wrap);t.more=el('p','more');sec.appendChild(t.more);
 if('IntersectionObserver' in window){t.io=new IntersectionObserver(function(es){
  if(es.some(function(e){return e.isIntersecting;}))t.next();},{rootMargin:'1200px 0px'});t.io.observe(t.more);}}
function txt(c){return Array.isArray(c)?c[0]+(c[2]?' '+c[2]:''):c;}
Table.prototype.hay=function(i){var r=this.rows[i];return this.hays[i]||(this.hays[i]=r.map(txt).join(' ').toLowerCase());};
Table.prototype.state=function(r){var i=this.spec.state;if(i<0)return'';var c=r[i];return Array.isArray(c)?c[0]:c;};
Table.prototype.draw=function(){this.body.textContent='';this.shown=0;this.next();};
Table.prototype.next=function(){var t=this,cols=t.spec.cols,n=t.view.length;
 if(t.shown>=n&&t.shown){return;}
 var end=Math.min(n,t.shown?t.shown+STEP:(n<=EAGER?n:FIRST)),f=document.createDocumentFragment();
 for(var i=t.shown;i<end;i++){var r=t.view[i],tr=el('tr'),st=t.state(r),id=r[t.spec.key];
  if(st)tr.dataset.state=st;id=Array.isArray(id)?id[0]:id;if(id)tr.dataset.id=id;
  for(var j=0;j<cols.length;j++){var c=r[j],kind=cols[j][1],td;
   var x=Array.isArray(c)?c[0]:c;
   if(kind==='chip'){td=el('td');td.appendChild(chip(x));}
   else if(kind==='sev'){td=el('td','sev-'+x,x);}
   else if(kind==='late'){td=el('td','nw'+(/ended|overdue/.test(x)?' late':''),x);}
   else if(kind==='health'){td=el('td','nw health-'+x,x);}
   else td=el('td',kind==='text'?null:kind,x);
   if(Array.isArray(c)&&c[2])td.appendChild(el('div','sub',c[2]));
   tr.appendChild(td);}
  f.appendChild(tr);}
 t.body.appendChild(f);t.shown=end;
 t.more.textContent=end<n?('showing '+end.toLocaleString('en')+' of '+n.toLocaleString('en')+' '+t.word+'; more as you scroll'):'';
 if(end<n&&t.io){requestAnimationFrame(function(){var r=t.more.getBoundingClientRect();if(r.top<innerHeight+1200)t.next();});}};
Table.prototype.sort=function(col,th){var t=this,dir=th.getAttribute('aria-sort')==='ascending'?-1:1;
 th.parentNode.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort');});
 th.setAttribute('aria-sort',dir>0?'ascending':'descending');
 function key(r){var c=r[col];return Array.isArray(c)?(c[1]!=null?c[1]:c[0]):c;}
 t.order=t.rows.slice().sort(function(a,b){var x=key(a),y=key(b);
  if(typeof x==='number'&&typeof y==='number')return dir*(x-y);return dir*String(x).localeCompare(String(y));});
 t.filter();};
Table.prototype.filter=function(){var t=this;
 if(!filtered)t.view=t.order||t.rows;
 else t.view=(t.order||t.rows).filter(function(r){return ok(t.state(r),t.hay(r.i));});
 t.draw();};
var tables=D.tables.filter(function(s){
 if(s.rows.length)return true;document.getElementById(s.id).appendChild(el('p','muted','No '+s.word+'.'));return false;
}).map(function(s){var t=new Table(s.id,s);t.rows.forEach(function(r,i){r.i=i;});return t;});
var count=document.getElementById('count'),entries=tables.filter(function(t){return t.spec.id==='entries';})[0];
function apply(){
 text=q.value.trim().toLowerCase();filtered=!!text;on={};
 boxes.forEach(function(b){on[b.dataset.state]=b.checked;if(!b.checked)filtered=true;});
 drawTree();tables.forEach(function(t){t.filter();});
 if(entries){var m=entries.rows.length;count.textContent=filtered?('showing '+entries.view.length+' of '+m+' entries'):(m+' entries');}}
q.addEventListener('input',apply);boxes.forEach(function(b){b.addEventListener('change',apply);});
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


def _badges(node: Node) -> list[list[str]]:
    """[[severity, "1 error: KS102"], ...] for the node's findings."""
    out = []
    for level in ("error", "warning", "info"):
        count = node.findings.get(level, 0)
        if count:
            codes = ", ".join(node.codes.get(level, []))
            out.append([level, plural(count, level) + (f": {codes}" if codes else "")])
    return out


def _late(node: Node) -> bool:
    return node.promise is not None and node.promise.status in ("ended", "overdue")


def tree_data(report: Report) -> dict:
    tree = report.tree
    nodes = [
        [
            node.key,
            node.kind,
            node.id,
            node.title,
            node.state,
            node.note,
            node.commitment,
            1 if _late(node) and node.commitment else 0,
            list(node.children),
            node.location,
            _badges(node),
            node.health,
        ]
        for node in tree.nodes.values()
    ]
    return {"nodes": nodes, "roots": list(tree.roots), "open": len(nodes) <= OPEN_TREE}


def entry_table(report: Report) -> dict:
    """The entries: a KPI's target with its baseline below, its deadline with the start
    and review cadence below (a cell ``[text, sort key, line below]``)."""
    rows = []
    for r in report.entries:
        c = r.commitment
        kpi = r.declared == "kpi" and c is not None
        target: Any = ""
        deadline: Any = ""
        if kpi and c is not None:
            # a number and its unit kept together on the line below (a no-break space)
            below = f"baseline {c.baseline_text.replace(' ', NBSP)}" if c.baseline_text else ""
            target = [c.target_text, None, below] if below else c.target_text
            when = (c.end or "") + (" (ended)" if c.status == "ended" else "")
            below = ", ".join(
                p for p in (f"from {c.start}" if c.start else "", c.review or "") if p
            )
            deadline = [when, c.end or "", below] if below else when
        lacks = "lacks " + ", ".join(r.lacks) if r.lacks else ""
        rows.append(
            [
                [r.id, None, f"{r.entry.file.display}:{r.entry.line}"],
                r.name,
                [r.state, None, lacks] if lacks else r.state,
                target,
                deadline,
                r.owner,
                ", ".join(r.goals),
                c.source_text if c is not None else "",
                r.scope,
            ]
        )
    cols = [
        ["id", "mono"],
        ["name", "prose"],
        ["state", "chip"],
        ["target", "nw"],
        ["deadline", "late"],
        ["owner", "nw"],
        ["goal", "mono"],
        ["data source", "prose"],
        ["scope", "mono"],
    ]
    return {"id": "entries", "word": "entries", "cols": cols, "rows": rows, "state": 2, "key": 0}


def goal_table(report: Report) -> dict:
    rows = []
    for node in report.goals:
        promise = node.promise if isinstance(node.promise, GoalPromise) else None
        location = f"{node.entry.file.display}:{node.entry.line}" if node.entry else ""
        rows.append(
            [
                [node.id, None, location],
                node.title,
                node.state,
                (promise.due or "") if promise else "",
                (promise.status or "") if promise else "",
                (promise.owner or "") if promise else "",
                node.note,
            ]
        )
    cols = [
        ["id", "mono"],
        ["title", "prose"],
        ["state", "chip"],
        ["due", "nw"],
        ["status", "late"],
        ["owner", "nw"],
        ["KPIs", "text"],
    ]
    return {"id": "goals", "word": "goals", "cols": cols, "rows": rows, "state": 2, "key": 0}


def finding_table(report: Report) -> dict:
    order = sorted(range(len(report.findings)), key=lambda i: report.findings[i].sort_key())
    where = {index: rank for rank, index in enumerate(order)}  # the location column's order
    rows = [
        [
            [f.severity, rank],
            f.code,
            f.name,
            [f"{f.path}:{f.line}:{f.column}", where[rank]],
            f.entry or "",
            f.message,
        ]
        for rank, f in enumerate(report.findings)
    ]
    cols = [
        ["severity", "sev"],
        ["code", "mono"],
        ["rule", "text"],
        ["location", "mono"],
        ["entry", "mono"],
        ["message", "prose"],
    ]
    return {"id": "findings", "word": "findings", "cols": cols, "rows": rows, "state": -1, "key": 4}


def health_table(report: Report) -> dict:
    """Each declared KPI backed by dbt: its data health, the last status of what it
    reads and when, the freshness of its sources, its data source."""
    rows = [
        [[cells[0], None, f"{r.entry.file.display}:{r.entry.line}"], *cells[1:], r.scope]
        for cells, r in zip(health_rows(report), _dbt_kpis(report))
    ]
    cols = [
        ["id", "mono"],
        ["data", "health"],
        ["last dbt run", "prose"],
        ["freshness", "prose"],
        ["data source", "prose"],
        ["scope", "mono"],
    ]
    return {"id": "data", "word": "KPIs", "cols": cols, "rows": rows, "state": -1, "key": 0}


def _dbt_kpis(report: Report) -> list:
    """The entry rows :func:`kpispec.report.text.health_rows` lists, in its order."""
    return [r for r in report.entries if r.declared == "kpi" and r.health is not None]


def waiver_table(report: Report) -> dict:
    """The findings an inline directive silenced, with its reason and until."""
    rows = [
        [
            w.finding.code,
            w.finding.name,
            f"{w.finding.path}:{w.finding.line}:{w.finding.column}",
            w.finding.entry or "",
            w.reason or "(no reason given)",
            waiver_until(w) or "no end",
            w.finding.message,
        ]
        for w in report.waivers
    ]
    cols = [
        ["waived", "mono"],
        ["rule", "text"],
        ["location", "mono"],
        ["entry", "mono"],
        ["reason", "prose"],
        ["until", "nw"],
        ["message", "prose"],
    ]
    return {"id": "waivers", "word": "waivers", "cols": cols, "rows": rows, "state": -1, "key": 3}


def data(report: Report) -> dict:
    tables = [entry_table(report), goal_table(report), finding_table(report)]
    if report.data_health is not None:
        tables.insert(0, health_table(report))
    if report.waivers:
        tables.append(waiver_table(report))
    return {
        "states": {key: [label, *COLORS[key]] for key, (label, _) in STATES.items()},
        "eager": EAGER_ROWS,
        "tree": tree_data(report),
        "tables": tables,
    }


def data_script(report: Report) -> str:
    """The data as JSON inside a script element: nothing in it can end the element."""
    text = json.dumps(data(report), ensure_ascii=False, separators=(",", ":"))
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, code)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'<script id="report-data" type="application/json">{text}</script>'


def scorecard_html(report: Report) -> str:
    if not report.scopes:
        return '<p class="muted">No scope.</p>'
    head = "".join(
        f"<th>{_e(h)}</th>"
        for h in (
            "scope",
            "KPIs",
            "band",
            "declared KPIs",
            "merely metrics",
            "metrics",
            "goals",
            "without KPI",
            "with one KPI",
            *(HEALTH_HEADER if report.data_health is not None else ()),
        )
    )
    rows = []
    for r in report.scopes:
        color = BAND_COLORS[r.band]
        rows.append(
            f'<tr data-scope="{_e(r.scope)}"><td class="mono">{_e(r.scope)}</td>'
            f'<td class="num">{r.kpis:,}</td>'
            f'<td><span class="band" style="color:{color}" title="{_e(BANDS[r.band])}">'
            f"{_e(band_text(r))}</span></td>"
            f'<td class="num">{r.declared:,}</td><td class="num">{r.merely:,}</td>'
            f'<td class="num">{r.metrics:,}</td><td class="num">{r.goals:,}</td>'
            f'<td class="num{" late" if r.goals_without_kpi else ""}">{r.goals_without_kpi:,}</td>'
            f'<td class="num">{r.goals_single_kpi:,}</td>'
            + "".join(
                f'<td class="num{" health-" + state if r.data.get(state) and state != "healthy" else ""}">'
                f"{count}</td>"
                for state, count in zip(health.STATES, health_cells(report, r))
            )
            + "</tr>"
        )
    card = (
        f'<div class="scroll"><table id="scorecard-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    head = "<th>scope</th>" + "".join(f"<th>{_e(TRAIT_NAMES[t])}</th>" for t in TRAITS)
    rows = []
    for r in report.scopes:
        cells = []
        for trait in TRAITS:
            share = r.share(trait)
            if share is None:
                cells.append('<td class="nw muted">-</td>')
                continue
            cells.append(
                f'<td class="nw" data-trait="{trait}"><span class="bar"><i style="width:'
                f'{share * 100:.0f}%"></i></span>{_e(r.coverage_text(trait))}</td>'
            )
        rows.append(f'<tr><td class="mono">{_e(r.scope)}</td>{"".join(cells)}</tr>')
    cover = (
        f'<div class="scroll"><table id="coverage-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    return (
        '<p class="muted">KPIs per scope (entries classed KPI) against the band of 3 up to '
        "the scope's <code>max-kpis</code>: a team should keep only a few. Goals without "
        "KPI are measured by nobody (KS203); a goal with one KPI invites gaming it (KS202)."
        + (
            " Healthy, failing, stale and unknown data: the declared KPIs backed by dbt whose "
            "data the last dbt run found in that state."
            if report.data_health is not None
            else ""
        )
        + f"</p>{card}<h3>Coverage</h3>"
        '<p class="muted">Of the KPIs declared in each scope, how many have each trait: '
        + "; ".join(f"<strong>{_e(TRAIT_NAMES[t])}</strong>: {_e(m)}" for t, m in TRAITS.items())
        + f".</p>{cover}"
    )


def timeline_html(report: Report) -> str:
    timeline = report.timeline()
    if not timeline.groups:
        return '<p class="muted">No goal or KPI has a date to draw.</p>'
    notes = []
    if timeline.folded:
        notes.append(f'<p class="note-line">{_e(timeline.folded)}</p>')
    if timeline.undated:
        notes.append(
            f'<p class="muted">{_e(plural(timeline.undated, "declared KPI"))} without an '
            "end date, not drawn (see the entries table).</p>"
        )
    return (
        '<p class="muted">Each goal with its due date (a diamond) and, below it, its KPIs '
        "from the start of their timeframe to its end (a diamond at the end when there is no "
        f"start). The red line is today, {_e(report.today)}; red marks what has ended or "
        "is overdue; a dashed bar is a declared KPI that is merely a metric.</p>"
        + "".join(notes)
        + f'<div class="timeline">{timeline_svg(timeline)}</div>'
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
    detail = (
        f"{plural(s['entries'], 'entry', 'entries')} in {plural(s['files'], 'file')}: "
        f"{plural(s['kpis'], 'KPI')}, {plural(s['merely_metrics'], 'declared KPI')} "
        f"merely {'a metric' if s['merely_metrics'] == 1 else 'metrics'}, "
        f"{plural(s['metrics'] - s['merely_metrics'], 'metric')}; "
        f"{plural(s['goals'], 'goal')}; {plural(s['errors'], 'error')}, "
        f"{plural(s['warnings'], 'warning')}, {plural(s['infos'], 'info')}. "
        f"As of {report.today}."
    )
    counts = report.data_health
    data_section = (
        '<section id="data"><h2>Data health</h2><p class="muted">The last dbt run behind '
        f"each KPI backed by dbt: {_e(health_counts_text(counts))}. "
        + "; ".join(
            f'<strong class="health-{state}">{state}</strong>: {_e(meaning)}'
            for state, meaning in health.STATES.items()
        )
        + ".</p></section>\n"
        if counts is not None
        else ""
    )
    waivers = (
        '<section id="waivers"><h2>Waivers</h2><p class="muted">Findings silenced by an '
        "inline directive (<code># kpispec: disable=CODE reason=&quot;...&quot; "
        "until=YYYY-MM-DD</code>): what was waived, why, and until when.</p></section>\n"
        if report.waivers
        else ""
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
a KPI, but not a measure of success. The scorecard says how each team's KPIs measure up; the
timeline when each goal and KPI is due; the tree shows each goal (under its parent goal), the
KPIs that say whether it is reached with what they promise, and the metrics that feed them. A
goal measured by a single KPI invites gaming that one number; a goal with no KPI is measured by
nobody. This page was written by <code>kpispec report</code> from KPI definitions kept in git;
the findings at the end say what to fix.</p>
<ul class="legend" id="legend">{legend}</ul>
</details>
</header>
<main>
<div class="toolbar" role="search"><input id="q" type="search"
 placeholder="Filter by id, name, owner, scope, state..." aria-label="Filter">
{boxes}<span id="count" class="muted"></span></div>
<section id="scorecard"><h2>Scorecard</h2>{scorecard_html(report)}</section>
{data_section}<section id="timeline"><h2>Timeline</h2>{timeline_html(report)}</section>
<section id="tree"><h2>Goal tree</h2>{folded}<ul class="tree" id="tree-list"></ul></section>
<section id="entries"><h2>Entries</h2></section>
<section id="goals"><h2>Goals</h2></section>
<section id="findings"><h2>Findings (errors first)</h2></section>
{waivers}</main>
<footer>Written by kpispec. Self-contained: this page loads nothing from the network.</footer>
{data_script(report)}
<script>{SCRIPT}</script>
</body>
</html>
"""
