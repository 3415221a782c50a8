"""What the last dbt run left behind: ``run_results.json`` and ``sources.json``, indexed.

``dbt build`` (``run``, ``test``, ``seed``, ``snapshot``, ``retry``) writes
``target/run_results.json``: one result per node it ran, with its ``status``
(``success``, ``error``, ``skipped`` for models, seeds and snapshots; ``pass``,
``fail``, ``warn``, ``error``, ``skipped`` for tests), dbt's ``message`` and its
``timing``. ``dbt source freshness`` writes ``target/sources.json``: per source table
with a ``freshness`` block, its ``status`` (``pass``, ``warn``, ``error``, or ``runtime
error`` when the check itself failed), ``max_loaded_at`` and the ``criteria`` it was
judged by. Both are read as JSON (kpispec never imports dbt) and indexed as the manifest
is (:mod:`kpispec.dbt.store`: cached by content, a warm run reads neither), keeping only
what the dbt health rules (KS606-KS608) and the per-KPI health record need:

- run results: the schema version, ``generated_at``, ``invocation_id``, the command
  (``args.which``), the results that are not a success (``bad``: status, dbt's message
  cut to what a finding quotes, when), and every result's status and time (packed: only
  a health record unpacks them);
- sources: the same metadata, and per source its status, ``max_loaded_at``,
  ``snapshotted_at``, the thresholds (``warn_after``, ``error_after``) in words, and the
  error of a ``runtime error``.

Known ``metadata.dbt_schema_version`` values: :data:`RUN_RESULTS_VERSIONS` (v4 to v6)
and :data:`SOURCES_VERSIONS` (v1 to v3): what dbt-core 1.8 to 1.10 write. Any other
version, an artifact of another kind (a manifest named as run results), a file that is
empty, cut short, not JSON, or over :data:`MAX_BYTES` is an :class:`UnusableArtifact`:
one KS608 finding, and nothing from it.
"""

from __future__ import annotations

import marshal
import re
from pathlib import Path
from typing import Any

from kpispec.dbt import store
from kpispec.safefile import LIMITS

FORMAT = 1  # of the cached indexes; bumped when their layout changes
MAX_BYTES = LIMITS["dbt artifact"].max_bytes  # over it (256 MiB), refused unread
RUN_RESULTS_VERSIONS = ("v4", "v5", "v6")
SOURCES_VERSIONS = ("v1", "v2", "v3")
# what each artifact is in dbt's schema URLs (.../dbt/<kind>/vN.json), and in words
KINDS = {"run-results": "run results", "sources": "source freshness results"}
# the commands whose results say how the data was built; `dbt compile`, `dbt docs
# generate`, `dbt show`... write run_results.json too, without running anything
RUN_COMMANDS = frozenset({"build", "run", "test", "seed", "snapshot", "retry"})
# statuses of a node that did not build (a test's fail/error count against the node it
# is attached to); "partial success": a microbatch model some of whose batches failed
FAILED = frozenset({"error", "skipped", "partial success"})
TEST_FAILED = frozenset({"fail", "error"})
STALE = frozenset({"warn", "error", "runtime error"})
MESSAGE_LIMIT = 200  # characters of dbt's message kept for a finding
_SCHEMA_RE = re.compile(r"/dbt/([a-z-]+)/(v[0-9]+)\.json\Z")
# dbt's heading of a node's error ("Runtime Error in model orders (models/orders.sql)"):
# the line after it says what went wrong
_HEADING_RE = re.compile(r"\A[A-Za-z ]*Error in [a-z_ ]+ \S+ \(.*\)\Z")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


class UnusableArtifact(store.Unusable):
    """A run results or sources file that cannot be used; the message says why."""


class Artifact:
    """The index of one artifact: plain dicts (what :mod:`marshal` stores)."""

    kind = ""

    def __init__(self, data: dict):
        self.data = data
        self.key = ""  # the content key it is cached under ("" without a cache)

    @property
    def schema_version(self) -> str:
        return self.data.get("schema") or ""

    @property
    def generated_at(self) -> str:
        """``metadata.generated_at`` (ISO 8601, UTC), "" when dbt did not say."""
        return self.data.get("generated_at") or ""

    @property
    def invocation_id(self) -> str:
        return self.data.get("invocation") or ""


class RunResults(Artifact):
    kind = "run-results"

    def __init__(self, data: dict):
        super().__init__(data)
        self._all: dict | None = None
        self._fetch: Any = None

    def detach(self) -> dict[str, bytes]:
        """Every result's status, taken out to be cached apart (see
        :mod:`kpispec.dbt.store`): only a health record and the join read them."""
        packed = self.data.pop("all", None)
        return {"all": packed} if isinstance(packed, bytes) else {}

    def attach(self, fetch: Any) -> None:
        self._fetch = fetch

    @property
    def command(self) -> str:
        """``args.which``: ``build``, ``run``, ``test``..., "" when dbt did not say."""
        return self.data.get("command") or ""

    @property
    def ran(self) -> bool:
        """Whether the command builds or tests data (``dbt compile`` does not)."""
        return not self.command or self.command in RUN_COMMANDS

    def bad(self) -> dict[str, list]:
        """unique id -> ``[status, message, when]`` of every result that is not a
        success or a pass (a test's ``warn`` included: the rules decide)."""
        return self.data.get("bad") or {}

    def result(self, uid: str) -> tuple[str, str] | None:
        """(status, when) of a node in this run; None when the run did not include it."""
        if self._all is None:
            packed = self.data.get("all")
            if packed is None and self._fetch is not None:
                packed = self._fetch("all")
            try:
                self._all = marshal.loads(packed) if isinstance(packed, bytes) else {}
            except (EOFError, ValueError, TypeError):
                self._all = {}
        found = self._all.get(uid)
        return (found[0], found[1] or self.generated_at) if found else None

    def uids(self) -> list[str]:
        self.result("")
        return list(self._all or ())


class Freshness(Artifact):
    kind = "sources"

    def results(self) -> dict[str, list]:
        """unique id -> ``[status, max_loaded_at, snapshotted_at, warn_after,
        error_after, error]`` of every source checked (thresholds in words, "" when
        not set; ``error``: the first line of a runtime error)."""
        return self.data.get("results") or {}


# -- building the indexes -----------------------------------------------------------


def schema_version(doc: Any, kind: str, known: tuple[str, ...]) -> str:
    if not isinstance(doc, dict):
        raise UnusableArtifact(f"it is not a JSON object: not dbt {KINDS[kind]}")
    metadata = doc.get("metadata")
    url = metadata.get("dbt_schema_version") if isinstance(metadata, dict) else None
    if not isinstance(url, str):
        raise UnusableArtifact(f"it has no metadata.dbt_schema_version: not dbt {KINDS[kind]}")
    match = _SCHEMA_RE.search(url)
    if match and match.group(1) != kind:
        other = match.group(1)
        what = f"dbt {KINDS[other]}" if other in KINDS else f"a dbt {other.replace('-', ' ')}"
        raise UnusableArtifact(f"it is {what} ({url}), not dbt {KINDS[kind]}")
    version = match.group(2) if match else url
    if version not in known:
        raise UnusableArtifact(
            f"its dbt_schema_version is {version} ({url}), which kpispec does not know "
            f"(it reads {kind} {', '.join(known)}: dbt-core 1.8 to 1.10)"
        )
    return version


def _metadata(doc: dict, version: str) -> dict:
    metadata = doc["metadata"]
    return {
        "format": FORMAT,
        "schema": version,
        "generated_at": _instant(metadata.get("generated_at")) or "",
        "invocation": _text(metadata.get("invocation_id")),
    }


def build_run_results(doc: Any) -> dict:
    """The index of a parsed ``run_results.json`` (plain data). Results of an
    unexpected shape are left out rather than fail the run."""
    version = schema_version(doc, "run-results", RUN_RESULTS_VERSIONS)
    data = _metadata(doc, version)
    args = doc.get("args") if isinstance(doc.get("args"), dict) else {}
    data["command"] = _text(args.get("which"))
    results = doc.get("results")
    if not isinstance(results, list):
        raise UnusableArtifact("it has no list of results: not dbt run results")
    bad: dict[str, list] = {}
    every: dict[str, tuple] = {}
    for raw in results:
        if not isinstance(raw, dict):
            continue
        uid, status = raw.get("unique_id"), raw.get("status")
        if not isinstance(uid, str) or not isinstance(status, str):
            continue
        when = _finished(raw.get("timing"))
        every[uid] = (status, when)
        if status not in ("success", "pass"):
            bad[uid] = [status, message_line(raw.get("message")), when]
    data["bad"] = bad
    data["all"] = marshal.dumps(every)
    return data


def build_sources(doc: Any) -> dict:
    """The index of a parsed ``sources.json`` (plain data)."""
    version = schema_version(doc, "sources", SOURCES_VERSIONS)
    data = _metadata(doc, version)
    results = doc.get("results")
    if not isinstance(results, list):
        raise UnusableArtifact("it has no list of results: not dbt source freshness results")
    found: dict[str, list] = {}
    for raw in results:
        if not isinstance(raw, dict):
            continue
        uid, status = raw.get("unique_id"), raw.get("status")
        if not isinstance(uid, str) or not isinstance(status, str):
            continue
        criteria = raw.get("criteria")
        if not isinstance(criteria, dict):
            criteria = {}
        found[uid] = [
            status,
            _instant(raw.get("max_loaded_at")),
            _instant(raw.get("snapshotted_at")),
            _period(criteria.get("warn_after")),
            _period(criteria.get("error_after")),
            message_line(raw.get("error")) if status == "runtime error" else "",
        ]
    data["results"] = found
    return data


def _finished(timing: Any) -> str | None:
    """When a result's last step ended (``timing[-1].completed_at``); None for a node
    that never ran (a skipped one)."""
    if isinstance(timing, list):
        for step in reversed(timing):
            if isinstance(step, dict):
                when = _instant(step.get("completed_at"))
                if when:
                    return when
    return None


def _period(value: Any) -> str:
    """``{count: 2, period: day}`` -> ``2 days``; "" when not set."""
    if not isinstance(value, dict):
        return ""
    count, period = value.get("count"), value.get("period")
    if isinstance(count, bool) or not isinstance(count, int) or not isinstance(period, str):
        return ""
    from kpispec.text import plural

    return plural(count, _clean(period)[:20])


def message_line(message: Any) -> str:
    """What a finding quotes of dbt's message: its first line -- after dbt's heading
    ("Runtime Error in model orders (models/orders.sql)"), the line that says what went
    wrong joined to it -- one line, at most :data:`MESSAGE_LIMIT` characters."""
    if not isinstance(message, str):
        return ""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return ""
    text = lines[0]
    if len(lines) > 1 and _HEADING_RE.match(text):
        text = f"{text}: {lines[1]}"
    from kpispec.text import shorten

    return shorten(_clean(text), MESSAGE_LIMIT)


def _clean(text: str) -> str:
    return _CONTROL_RE.sub(" ", text).strip()


def _text(value: Any) -> str:
    return _clean(value)[:100] if isinstance(value, str) else ""


def _instant(value: Any) -> str | None:
    """An ISO 8601 instant as dbt writes it, checked and kept as written (UTC); None
    when it is not one."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    from kpispec.dbt.when import parse_instant

    return value if parse_instant(value) is not None else None


# -- loading, with the cache --------------------------------------------------------

# this process, per kind: file identity -> index or UnusableArtifact
_MEMO: dict[str, dict[tuple, Any]] = {"run-results": {}, "sources": {}}
_BUILD = {"run-results": (build_run_results, RunResults), "sources": (build_sources, Freshness)}


def load(kind: str, path: Path, cache: Any = None) -> Any:
    """The index of the ``kind`` artifact (``run-results`` or ``sources``) at ``path``:
    a :class:`RunResults` or :class:`Freshness`. Raises :class:`UnusableArtifact`."""
    build, made = _BUILD[kind]

    def parse(raw: bytes) -> Any:
        doc = store.parse_json(raw, UnusableArtifact)
        if isinstance(doc, UnusableArtifact):
            return doc
        try:
            return made(build(doc))
        except UnusableArtifact as problem:
            return problem

    kind_of = store.Kind(
        what=f"dbt {KINDS[kind]}",
        salt=lambda: store.source_salt(
            b"dbt-artifact", kind.encode(), b"%d" % FORMAT, files=("artifacts.py", "when.py")
        ),
        parse=parse,
        made=made,
        format=FORMAT,
        read=lambda path: _read(path),  # looked up when called: a test sees what is read
        unusable=UnusableArtifact,
        max_bytes=MAX_BYTES,
    )
    return store.load(path, cache, _MEMO[kind], kind_of)


def _read(path: Path) -> bytes:
    return path.read_bytes()
