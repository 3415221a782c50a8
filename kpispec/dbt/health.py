"""Data health: the last dbt run and freshness check, joined with the manifest.

A KPI's data depends on the node its ``data_source`` names and on everything that node is
built on: a metric on its semantic model (or, derived, on other metrics), a semantic
model on its model, a model on models, seeds, snapshots and sources -- the manifest's
``depends_on.nodes``, followed upstream. What the last run says of those nodes is its
data's health:

- **failing** (KS606): one of them has status ``error`` or ``skipped`` (or ``partial
  success``) in the run results, or a data or unit test attached to one of them has
  ``fail`` or ``error``. A node skipped because something upstream of it failed is not
  reported beside that failure: the failure is the cause.
- **stale** (KS607): a source among them has freshness ``warn``, ``error`` or ``runtime
  error`` in ``sources.json``.
- **healthy**: neither, and the nodes the KPI reads (the model named; a metric's or
  semantic model's models; a source named: its freshness) ran with success (passed).
- **unknown**: no usable results, or a node the KPI reads was not part of the last run
  (a node that did not run is not a failure: nothing is known of it).

The results count as evidence only when they describe this code and are recent
(:class:`Evidence.problems`, KS608): results naming nodes the manifest does not have were
written for other code, and results older than ``max-age`` (by ``metadata.generated_at``)
say nothing of today. Either way that artifact is not used at all. (dbt gives every
command its own ``invocation_id``: ``dbt build`` then ``dbt source freshness`` leave
three artifacts with two ids, so ids alone prove nothing.)

Cost: the join (which nodes are downstream of each failure) is made once per set of
artifacts and kept in the content cache under their three content keys; a warm run
loads it with one query and looks each KPI's node up in it. A health record (the
report's) also walks the manifest's graph; the rules never do.
"""

from __future__ import annotations

import marshal
from typing import TYPE_CHECKING, Any, NamedTuple

from kpispec.dbt import artifacts, store, when
from kpispec.dbt.names import TESTS, describe, kind_of

if TYPE_CHECKING:
    import datetime as _dt

    from kpispec.config.dbt import DbtConfig
    from kpispec.dbt.artifacts import Freshness, RunResults

FORMAT = 1  # of the cached join
STATES = ("healthy", "failing", "stale", "unknown")
SHOWN = 3  # unknown node ids a KS608 message lists
# what a failing KPI's message names first: a node that did not build, then a test, then
# a skip nothing upstream explains
_FAILURE_ORDER = {"error": 0, "partial success": 1, "fail": 2, "skipped": 3}
_DATA_KINDS = ("model", "seed", "snapshot", "source")  # what data is read from


class Failure(NamedTuple):
    """A node the KPI's data depends on that did not build, or a test on it that
    failed: ``node`` (unique id), ``test`` (the test's unique id, or None), ``status``,
    dbt's ``message`` (one line) and ``at`` (ISO instant the result was written)."""

    node: str
    test: str | None
    status: str
    message: str
    at: str

    @property
    def subject(self) -> str:
        """``model 'orders'``, or ``test 'unique_orders_id' on model 'orders'``."""
        if self.test is None:
            return describe(self.node)
        return f"{describe(self.test)} on {describe(self.node)}"

    def to_json(self) -> dict:
        return {
            "node": self.node,
            "test": self.test,
            "name": self.subject,
            "status": self.status,
            "message": self.message,
            "at": self.at,
        }


class SourceCheck(NamedTuple):
    """A source's freshness as ``dbt source freshness`` found it."""

    source: str  # unique id
    status: str  # pass | warn | error | runtime error
    max_loaded_at: str | None
    snapshotted_at: str | None
    warn_after: str  # "12 hours"; "" when not set
    error_after: str
    error: str  # a runtime error's message (one line)
    at: str  # when the check ran (sources.json's generated_at when snapshotted_at is missing)

    @property
    def stale(self) -> bool:
        return self.status in artifacts.STALE

    @property
    def severity(self) -> str:
        """KS607's: a warning for ``warn``, an error for ``error``/``runtime error``."""
        return "warning" if self.status == "warn" else "error"

    @property
    def threshold(self) -> str:
        """The threshold it was judged by: ``error_after 2 days`` for an error, else
        ``warn_after``."""
        if self.status == "error" and self.error_after:
            return f"error_after {self.error_after}"
        if self.warn_after:
            return f"warn_after {self.warn_after}"
        return f"error_after {self.error_after}" if self.error_after else ""

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "name": describe(self.source),
            "status": self.status,
            "max_loaded_at": self.max_loaded_at,
            "snapshotted_at": self.snapshotted_at,
            "warn_after": self.warn_after or None,
            "error_after": self.error_after or None,
            "error": self.error or None,
            "at": self.at,
        }


class NodeRun(NamedTuple):
    """A node a KPI reads, and what the last run says of it (``status`` None: it was
    not part of the run)."""

    node: str
    status: str | None
    at: str | None

    def to_json(self) -> dict:
        return {
            "node": self.node,
            "name": describe(self.node),
            "status": self.status,
            "at": self.at,
        }


class Health(NamedTuple):
    """One KPI's data health (see the module's docstring): ``state`` one of
    :data:`STATES`; ``reads``: the nodes it reads and their last status; ``failures``
    (KS606) and ``stale`` (KS607, the stale sources upstream) as the rules report them;
    ``freshness``: every source upstream that ``dbt source freshness`` checked; ``why``:
    for ``unknown``, what is missing; ``run_at`` and ``checked_at``: when the run and the
    freshness check that are evidence wrote their results (None: none is)."""

    state: str
    reads: tuple[NodeRun, ...] = ()
    failures: tuple[Failure, ...] = ()
    stale: tuple[SourceCheck, ...] = ()
    freshness: tuple[SourceCheck, ...] = ()
    why: str = ""
    run_at: str | None = None
    checked_at: str | None = None

    def to_json(self) -> dict:
        return {
            "state": self.state,
            "why": self.why or None,
            "run_at": self.run_at,
            "checked_at": self.checked_at,
            "reads": [r.to_json() for r in self.reads],
            "failures": [f.to_json() for f in self.failures],
            "stale": [s.to_json() for s in self.stale],
            "freshness": [s.to_json() for s in self.freshness],
        }


def unknown(why: str) -> Health:
    return Health("unknown", why=why)


# -- the evidence of one run --------------------------------------------------------


class Evidence:
    """What the artifacts say, once usable ones are told from the others (``problems``:
    ``(key, sentence)`` for each artifact that is not evidence, ``run-results`` or
    ``sources``: KS608). ``run`` and ``checks`` are None when there is no usable run
    results / sources file."""

    def __init__(self, index: Any, run: RunResults | None = None, checks: Freshness | None = None):
        self.index = index  # the manifest's Index
        self.run = run
        self.checks = checks
        self.problems: list[tuple[str, str]] = []
        self.no_run = "no dbt run results (run dbt build)"  # why health is unknown without `run`
        self.joined: dict = {}

    def failures(self, uid: str) -> list[Failure]:
        """What fails upstream of ``uid`` (itself included), causes first: a node
        skipped while something upstream failed is left out."""
        if self.run is None:
            return []
        table = self.joined["failures"]
        found = [Failure(*table[i]) for i in self.joined["failed"].get(uid, ())]
        if any(f.status != "skipped" for f in found):
            found = [f for f in found if f.status != "skipped"]
        found.sort(key=lambda f: (_FAILURE_ORDER.get(f.status, 1), f.node, f.test or ""))
        return found

    def stale(self, uid: str) -> list[SourceCheck]:
        """The stale sources upstream of ``uid`` (itself included), errors first."""
        if self.checks is None:
            return []
        found = [self.check(source) for source in self.joined["stale"].get(uid, ())]
        checks = [c for c in found if c is not None]
        checks.sort(key=lambda c: (c.severity != "error", c.source))
        return checks

    def check(self, source: str) -> SourceCheck | None:
        if self.checks is None:
            return None
        raw = self.checks.results().get(source)
        if raw is None:
            return None
        at = raw[2] or self.checks.generated_at
        return SourceCheck(source, raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], at)

    def health(self, node: dict) -> Health:
        """The health record of a KPI reading ``node`` (a manifest index record)."""
        uid = node["id"]
        graph = self.index.graph()
        upstream = _upstream(graph, uid)
        failures = tuple(self.failures(uid))
        stale = tuple(self.stale(uid))
        freshness = tuple(
            c for c in (self.check(s) for s in sorted(upstream) if kind_of(s) == "source") if c
        )
        reads = tuple(self._reads(graph, uid))
        run_at = self.run.generated_at if self.run is not None else None
        checked_at = self.checks.generated_at if self.checks is not None else None
        state = "failing" if failures else "stale" if stale else ""
        why = "" if state else self._unknown(reads)
        return Health(
            state or ("unknown" if why else "healthy"),
            reads=reads,
            failures=failures,
            stale=stale,
            freshness=freshness,
            why=why,
            run_at=run_at,
            checked_at=checked_at,
        )

    def _reads(self, graph: dict, uid: str) -> list[NodeRun]:
        found = []
        for read in _read_nodes(graph, uid):
            if kind_of(read) == "source":
                check = self.check(read)
                found.append(
                    NodeRun(read, check.status if check else None, check.at if check else None)
                )
                continue
            result = self.run.result(read) if self.run is not None else None
            found.append(
                NodeRun(read, result[0] if result else None, result[1] if result else None)
            )
        return found

    def _unknown(self, reads: tuple[NodeRun, ...]) -> str:
        """Why a KPI that neither fails nor is stale is not known to be healthy ("" when
        it is healthy)."""
        if not reads:
            return "it reads no model or source dbt runs"
        for read in reads:
            if kind_of(read.node) == "source":
                if self.checks is None:
                    return f"{describe(read.node)}: no usable dbt source freshness results"
                if read.status is None:
                    return f"{describe(read.node)} has no freshness check (no freshness block, or not in the last dbt source freshness)"
                continue
            if self.run is None:
                return self.no_run
            if read.status is None:
                return f"{describe(read.node)} was not part of the last dbt {self.run.command or 'run'}"
            if read.status not in ("success", "pass"):
                return f"{describe(read.node)} has status {read.status} in the last dbt {self.run.command or 'run'}"
        return ""


def _upstream(graph: dict, uid: str) -> set[str]:
    """``uid`` and everything it is built on (tests left out)."""
    seen = {uid}
    todo = [uid]
    while todo:
        for dep in graph.get(todo.pop(), ()):
            if dep not in seen and kind_of(dep) not in TESTS:
                seen.add(dep)
                todo.append(dep)
    return seen


def _read_nodes(graph: dict, uid: str) -> list[str]:
    """The models (seeds, snapshots, sources) a node reads its data from: itself when it
    is one, else those its metrics and semantic models are built on."""
    found: list[str] = []
    seen = {uid}
    todo = [uid]
    while todo:
        current = todo.pop(0)
        if kind_of(current) in _DATA_KINDS:
            found.append(current)
            continue
        for dep in graph.get(current, ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return sorted(found)


# -- building the evidence ----------------------------------------------------------


def evaluate(
    index: Any,
    settings: DbtConfig,
    run: Any,
    checks: Any,
    today: _dt.date,
    cache: Any = None,
) -> Evidence:
    """The evidence of the artifacts: ``run`` and ``checks`` are the loaded run results
    and sources (an index, an :class:`~kpispec.dbt.artifacts.UnusableArtifact`, or None
    when there is none)."""
    evidence = Evidence(index)
    usable = {}
    for key, loaded in (("run-results", run), ("sources", checks)):
        spec = settings.artifact(key)
        words = artifacts.KINDS[key]
        if loaded is None:
            continue
        if isinstance(loaded, store.Unusable):
            evidence.problems.append(
                (key, f"the dbt {words} {spec.written} cannot be used: {loaded}")
            )
            if key == "run-results":
                evidence.no_run = "the dbt run results cannot be used (KS608)"
            continue
        age = when.age(loaded.generated_at, today)
        if age is not None and age > settings.max_age:
            evidence.problems.append(
                (
                    key,
                    f"the dbt {words} {spec.written} were written {when.show(loaded.generated_at)}, "
                    f"{when.say(age)} ago, older than max-age {settings.max_age_written}",
                )
            )
            if key == "run-results":
                evidence.no_run = (
                    f"the dbt run results are older than max-age {settings.max_age_written} (KS608)"
                )
            continue
        if key == "run-results" and not loaded.ran:
            evidence.no_run = (
                f"the last dbt command that wrote run results, dbt {loaded.command}, runs nothing"
            )
            continue
        usable[key] = loaded
    run, checks = usable.get("run-results"), usable.get("sources")
    joined = _joined(index, run, checks, cache)
    for key, loaded, table in (
        ("run-results", run, "unknown_run"),
        ("sources", checks, "unknown_sources"),
    ):
        if loaded is None:
            continue
        count, shown = joined[table]
        if count:
            spec = settings.artifact(key)
            listed = ", ".join(shown) + (
                f" and {count - len(shown)} more" if count > len(shown) else ""
            )
            evidence.problems.append(
                (
                    key,
                    f"the dbt {artifacts.KINDS[key]} {spec.written} name {count} "
                    f"node{'s' if count != 1 else ''} the dbt manifest ({settings.written}) "
                    f"does not have ({listed}): they are results of other code",
                )
            )
            if key == "run-results":
                run = None
                evidence.no_run = "the dbt run results are of other code (KS608)"
            else:
                checks = None
    evidence.run, evidence.checks, evidence.joined = run, checks, joined
    return evidence


def _joined(index: Any, run: Any, checks: Any, cache: Any) -> dict:
    """The join of the manifest's graph with the results, from the cache when it is
    there (see :func:`join`)."""
    if run is None and checks is None:
        return {
            "unknown_run": [0, []],
            "unknown_sources": [0, []],
            "failures": [],
            "failed": {},
            "stale": {},
        }
    keys = [
        index.key,
        run.key if run is not None else "-",
        checks.key if checks is not None else "-",
    ]
    key = ""
    if cache is not None and all(keys):
        salt = store.source_salt(
            b"dbt-join", b"%d" % FORMAT, files=("health.py", "artifacts.py", "index.py")
        )
        key = cache.blob_key(salt, *(k.encode("ascii") for k in keys))
        blob = cache.get_blob(key)
        if blob:
            try:
                found = marshal.loads(blob)
            except (EOFError, ValueError, TypeError):
                found = None
            if isinstance(found, dict) and found.get("format") == FORMAT:
                return found
    found = join(index.graph(), run, checks)
    if key:
        cache.put_blob(key, marshal.dumps(found))
    return found


def join(graph: dict, run: Any, checks: Any) -> dict:
    """What the rules look up: ``failures`` (a table of ``[node, test, status,
    message, at]``), ``failed`` (unique id -> the failures upstream of it, by their
    place in the table), ``stale`` (unique id -> the stale sources upstream of it),
    and the results' ids the manifest does not have (``[count, the first few]``)."""
    children: dict[str, list[str]] = {}
    for uid, deps in graph.items():
        if kind_of(uid) in TESTS:
            continue
        for dep in deps:
            children.setdefault(dep, []).append(uid)

    def downstream(root: str) -> set[str]:
        seen = {root}
        todo = [root]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen

    failures: list[list] = []
    failed: dict[str, list[int]] = {}
    unknown_run: list[str] = []
    if run is not None:
        unknown_run = sorted(
            uid for uid in run.uids() if uid not in graph and kind_of(uid) != "operation"
        )
        for uid, (status, message, at) in sorted(run.bad().items()):
            at = at or run.generated_at
            if kind_of(uid) in TESTS:
                if status not in artifacts.TEST_FAILED:
                    continue
                roots = [(node, uid) for node in graph.get(uid, ()) if node in graph]
            elif status in artifacts.FAILED and uid in graph:
                roots = [(uid, None)]
            else:
                continue
            for node, test in roots:
                place = len(failures)
                failures.append([node, test, status, message, at])
                for below in downstream(node):
                    failed.setdefault(below, []).append(place)
    stale: dict[str, list[str]] = {}
    unknown_sources: list[str] = []
    if checks is not None:
        for uid, raw in sorted(checks.results().items()):
            if uid not in graph:
                unknown_sources.append(uid)
                continue
            if raw[0] in artifacts.STALE:
                for below in downstream(uid):
                    stale.setdefault(below, []).append(uid)
    return {
        "format": FORMAT,
        "unknown_run": [len(unknown_run), unknown_run[:SHOWN]],
        "unknown_sources": [len(unknown_sources), unknown_sources[:SHOWN]],
        "failures": failures,
        "failed": failed,
        "stale": stale,
    }
