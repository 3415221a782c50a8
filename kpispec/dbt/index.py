"""What kpispec knows of a dbt project: an index of its compiled ``manifest.json``.

The manifest (written by ``dbt parse``, ``dbt compile``, ``dbt build``...) is read with
the standard library's :mod:`json`; kpispec never imports dbt-core. Of it the index keeps
only what the dbt rules (KS601-KS608) and ``kpispec import dbt`` need:

- metrics, semantic models, models and sources by name (a source as
  ``SOURCE_NAME.TABLE_NAME``), each with its package; a model with its ``version``,
  ``latest_version`` and ``deprecation_date`` (nothing else: most models of a large
  project then store nothing beyond their name);
- the ``disabled`` map (nodes switched off with ``enabled: false``), by the same names;
- ``depends_on.nodes`` of metrics and semantic models, to follow a metric or semantic
  model to the model it is built on (KS603);
- for metrics: label, description, group, and whether it is private (``access:
  private`` or ``is_private: true`` in its config or meta); groups with their owners;
- the graph: every enabled node's ``depends_on.nodes`` (a data test's ``attached_node``),
  packed in one string that only the join with the last run's results unpacks
  (:mod:`kpispec.dbt.health`: KS606-KS608).

Known ``metadata.dbt_schema_version`` values: :data:`SCHEMA_VERSIONS` (v12 is what dbt
1.8 to 1.10 write, the versions tested here with the real dbt). Any other version, a
missing file, one that is not JSON (truncated by an interrupted run, say), over
:data:`MAX_BYTES` or not a dbt manifest is a :class:`UnusableManifest`: one KS604
finding, and no KS601-KS608.

Cost: a large dbt project has a 50 MB manifest, which ``json`` parses in about half a
second -- too slow for a pre-commit run on one file. The index (a few names per node)
is kept in the content cache (:class:`kpispec.load.cache.FileCache`) under a key made of the
manifest's bytes (BLAKE2b), and the file's identity (path, size, modification and
change times, inode) points at that key, so a warm run neither parses nor even reads the
manifest: one ``stat`` and two small queries (:mod:`kpispec.dbt.store`, which reads the
run results and freshness results the same way). Measured on 50 MB here: reading 24 ms,
BLAKE2b 58 ms (OpenSSL's; CPython's own 83 ms), CRC-32 23 ms, Adler-32 29 ms -- the bytes
are hashed only when the file's identity changed (after a ``dbt parse``, whose own run
took seconds), so the strong hash costs nothing that matters and never serves a stale
index. Within one process an index is built once per manifest (the commit gate lints
two catalogs with it).
"""

from __future__ import annotations

import marshal
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpispec.dbt import store
from kpispec.dbt.names import KIND_WORDS
from kpispec.safefile import LIMITS, read_input

FORMAT = 3  # of the cached index; bumped when its layout changes
SCHEMA_VERSIONS = ("v12",)
KINDS = ("metric", "semantic_model", "model", "source")  # the data_source keys, in order
# the manifest's sections of enabled nodes that a dbt command runs or reads: the graph
# the run's results are followed through (kpispec.dbt.health)
GRAPH_SECTIONS = ("nodes", "sources", "metrics", "semantic_models", "unit_tests")
MAX_BYTES = LIMITS["dbt manifest"].max_bytes  # over it (1 GiB), refused before it is read
_VERSION_RE = re.compile(r"/manifest/(v[0-9]+)\.json\Z")
_PRIVATE = "private"


class UnusableManifest(store.Unusable):
    """The manifest cannot be used; the message says why (KS604 adds what to do)."""


@dataclass(frozen=True)
class Lookup:
    """What a ``data_source`` names: ``status`` is ``found`` (``node`` set), ``disabled``
    (``node``: the disabled one), or ``missing`` (``close``: the nearest names; ``why``:
    what was wrong when the name exists but not as asked, a version say)."""

    status: str
    node: dict | None = None
    close: tuple[str, ...] = ()
    why: str = ""


class Index:
    """The index of one manifest: plain dicts (what :mod:`marshal` stores).

    ``data["names"][kind][name]`` lists ``[package, version, unique_id]`` for every
    enabled node of that kind and name (a source's name is ``source_name.table``),
    ``data["disabled"]`` the same for disabled nodes, ``data["nodes"][unique_id]`` the
    record of each (``kind``, ``name``, ``package``, and what that kind carries)."""

    def __init__(self, data: dict):
        self.data = data
        self.project: str = data.get("project") or ""
        self.schema_version: str = data.get("schema") or ""
        self._lookups: dict[tuple, Lookup] = {}
        self._nodes: dict[str, dict] = {}
        self._graph: dict[str, tuple] | None = None
        self._fetch: Any = None
        self.key = ""  # the content key it is cached under ("" without a cache)

    def detach(self) -> dict[str, bytes]:
        """The graph, taken out to be cached apart (see :mod:`kpispec.dbt.store`)."""
        graph = self.data.pop("graph", None)
        return {"graph": graph} if isinstance(graph, bytes) else {}

    def attach(self, fetch: Any) -> None:
        self._fetch = fetch

    def graph(self) -> dict[str, tuple]:
        """Every enabled node's unique id -> what it is built on (``depends_on.nodes``;
        for a data test, the node it is attached to): read and unpacked on first use."""
        if self._graph is None:
            packed = self.data.get("graph")
            if packed is None and self._fetch is not None:
                packed = self._fetch("graph")
            try:
                graph = marshal.loads(packed) if isinstance(packed, bytes) else {}
            except (EOFError, ValueError, TypeError):
                graph = {}
            self._graph = graph if isinstance(graph, dict) else {}
        return self._graph

    def node(self, uid: str) -> dict | None:
        """The record of a node by unique id (unpacked on first use: a warm run loads
        the packed index in milliseconds and unpacks only the few nodes it looks at)."""
        found = self._nodes.get(uid)
        if found is None:
            packed = self.data["nodes"].get(uid)
            if packed is None and not uid.startswith("model."):
                return None
            found = _unslim(uid, marshal.loads(packed) if packed is not None else {})
            self._nodes[uid] = found
        return found

    def known(self, uid: str) -> dict:
        """The record of a node the index lists by name (it always has one)."""
        node = self.node(uid)
        assert node is not None, uid  # every name's candidates were recorded as nodes
        return node

    def _names(self, table: str, kind: str, name: str) -> list:
        packed = self.data[table].get(kind, {}).get(name)
        if packed is None:
            return []
        if isinstance(packed, str):  # one node, in package ``packed``, its id the plain one
            return [[packed, None, f"{kind}.{packed}.{name}"]]
        return marshal.loads(packed)

    # -- what a data_source names -----------------------------------------------------

    def lookup(self, kind: str, name: str, version: Any = None) -> Lookup:
        key = (kind, name, None if version is None else str(version))
        found = self._lookups.get(key)
        if found is None:
            found = self._lookups[key] = self._lookup(kind, name, key[2])
        return found

    def _lookup(self, kind: str, name: str, version: str | None) -> Lookup:
        package, bare = split_name(kind, name)
        enabled = _candidates(self._names("names", kind, bare), package, self.project)
        if enabled:
            if kind != "model":
                return Lookup("found", self.node(enabled[0][2]))
            return self._version(enabled, version, name)
        disabled = _candidates(self._names("disabled", kind, bare), package, self.project)
        if disabled:
            chosen = [c for c in disabled if version is None or str(c[1]) == version]
            return Lookup("disabled", self.node((chosen or disabled)[0][2]))
        return Lookup("missing", close=self.suggest(kind, name))

    def _version(self, candidates: list, version: str | None, name: str) -> Lookup:
        """dbt's resolution of a versioned model: the version asked for, else the latest
        (``latest_version``, else the highest)."""
        package = candidates[0][0]
        same = [c for c in candidates if c[0] == package]
        versions = [c for c in same if c[1] is not None]
        if not versions:  # not a versioned model
            if version is None:
                return Lookup("found", self.node(same[0][2]))
            return Lookup(
                "missing",
                why=f"model '{name}' v{version}, but that model is not versioned: drop 'version'",
            )
        if version is None:
            node = self.known(versions[0][2])
            latest = node.get("latest")
            wanted = (
                str(latest)
                if latest is not None
                else max((str(c[1]) for c in versions), key=_version_order)
            )
        else:
            wanted = version
        for candidate in versions:
            if str(candidate[1]) == wanted:
                return Lookup("found", self.node(candidate[2]))
        listed = ", ".join(sorted((str(c[1]) for c in versions), key=_version_order))
        return Lookup(
            "missing",
            why=f"model '{name}' v{wanted}, a version it does not have (its versions: {listed})",
        )

    def suggest(self, kind: str, name: str) -> tuple[str, ...]:
        """The closest names of ``kind`` (enabled ones), for "did you mean ...?"."""
        from kpispec.spelling import suggestions  # only on this error path

        names = list(self.data["names"].get(kind, {}))
        _, bare = split_name(kind, name)
        close = suggestions(bare, names)
        if not close and "." in name:  # qualified: compare the whole name too
            qualified = [f"{c[0]}.{n}" for n in names for c in self._names("names", kind, n)]
            close = suggestions(name, qualified)
        return tuple(close)

    def other_kinds(self, kind: str, name: str) -> list[str]:
        """The other kinds under which ``name`` exists (``model: revenue`` where revenue
        is a metric)."""
        found = []
        for other in KINDS:
            if other == kind:
                continue
            package, bare = split_name(other, name)
            if _candidates(self._names("names", other, bare), package, self.project):
                found.append(other)
        return found

    # -- what a node is built on ------------------------------------------------------

    def deprecated_base(self, node: dict, today: Any) -> tuple[dict, list[dict]] | None:
        """The first model with a ``deprecation_date`` before ``today`` that ``node`` is
        or is built on (following ``depends_on.nodes`` of metrics and semantic models),
        with the nodes in between; None when there is none."""
        seen = {node["id"]}
        queue: list[tuple[dict, list[dict]]] = [(node, [])]
        while queue:
            current, via = queue.pop(0)
            if current["kind"] == "model":
                date = current.get("deprecation")
                if date and date < today.isoformat():
                    return current, via
                continue
            for uid in current.get("deps", ()):
                following = self.node(uid) if uid not in seen else None
                if following is None:
                    continue
                seen.add(uid)
                queue.append((following, via + ([current] if current is not node else [])))
        return None

    # -- for `kpispec import dbt` -----------------------------------------------------

    def metrics(self) -> Iterator[dict]:
        """Every enabled, non-private metric, sorted by package and name: ``name``,
        ``package``, ``label``, ``description``, ``group``, ``owner`` (the group owner's
        email, else name; None without a group), ``unique_id``."""
        groups = self.data.get("groups", {})
        found = []
        for name in self.data["names"].get("metric", {}):
            for package, _, uid in self._names("names", "metric", name):
                node = self.known(uid)
                if node.get("private"):
                    continue
                group = groups.get(node.get("group") or "")
                owner = (group.get("email") or group.get("name")) if group else None
                found.append(
                    {
                        "name": node["name"],
                        "package": package,
                        "label": node.get("label") or node["name"],
                        "description": node.get("description") or "",
                        "group": node.get("group"),
                        "owner": owner,
                        "unique_id": uid,
                    }
                )
        return iter(sorted(found, key=lambda m: (m["package"], m["name"])))


def _version_order(version: str) -> tuple:
    try:
        return (0, float(version), version)
    except ValueError:
        return (1, 0.0, version)


def split_name(kind: str, name: str) -> tuple[str | None, str]:
    """``(package or None, name)``: ``jaffle_shop.orders`` -> (jaffle_shop, orders); a
    source is ``SOURCE.TABLE`` or ``PACKAGE.SOURCE.TABLE``."""
    parts = name.split(".")
    plain = 2 if kind == "source" else 1
    if len(parts) > plain:
        return parts[0], ".".join(parts[1:])
    return None, name


def _candidates(found: list, package: str | None, project: str) -> list:
    """Of the ``[package, version, unique_id]`` of one name, those in ``package`` (when
    given); unqualified, the root project's first, as dbt resolves a ``ref``."""
    if package is not None:
        return [c for c in found if c[0] == package]
    return sorted(found, key=lambda c: (c[0] != project, c[0]))


# -- building the index -------------------------------------------------------------


def schema_version(manifest: dict) -> str:
    metadata = manifest.get("metadata")
    url = metadata.get("dbt_schema_version") if isinstance(metadata, dict) else None
    if not isinstance(url, str):
        raise UnusableManifest("it has no metadata.dbt_schema_version: not a dbt manifest")
    match = _VERSION_RE.search(url)
    version = match.group(1) if match else url
    if version not in SCHEMA_VERSIONS:
        raise UnusableManifest(
            f"its dbt_schema_version is {version} ({url}), which kpispec does not know "
            f"(it reads {', '.join(SCHEMA_VERSIONS)}: dbt-core 1.8 to 1.10)"
        )
    return version


def build(manifest: Any) -> dict:
    """The index of a parsed manifest (plain data). Nodes of an unexpected shape are
    left out rather than fail the run."""
    if not isinstance(manifest, dict):
        raise UnusableManifest("it is not a JSON object: not a dbt manifest")
    version = schema_version(manifest)
    metadata = manifest["metadata"]
    project = metadata.get("project_name") if isinstance(metadata.get("project_name"), str) else ""
    names, disabled, nodes = _names(manifest)
    # packed: each name's candidates and each node's record a marshal string of its
    # own, so that loading the index makes a few objects per node, not dozens (a 50 MB
    # manifest: 6 ms instead of 65), and only what a run looks up is unpacked
    packed = {
        table: {
            kind: {name: _pack(kind, name, cands) for name, cands in by_kind[kind].items()}
            for kind in KINDS
        }
        for table, by_kind in (("names", names), ("disabled", disabled))
    }
    return {
        "format": FORMAT,
        "schema": version,
        "project": project,
        **packed,
        "nodes": {
            uid: marshal.dumps(slim)
            for uid, slim in ((uid, _slim(uid, record)) for uid, record in nodes.items())
            if slim
        },
        "groups": _groups(manifest),
        # one string, unpacked only when the run's results are joined with it
        "graph": marshal.dumps(_graph(manifest)),
    }


def _names(manifest: dict) -> tuple[dict, dict, dict]:
    """Every enabled and disabled node by kind and name (``[package, version, uid]``
    candidates), and each node's record by unique id."""
    names: dict[str, dict] = {kind: {} for kind in KINDS}
    disabled: dict[str, dict] = {kind: {} for kind in KINDS}
    nodes: dict[str, dict] = {}

    def add(table: dict, raw: Any, uid: str) -> None:
        record = _record(raw, uid)
        if record is None:
            return
        nodes.setdefault(uid, record)
        key = (
            record["name"] if record["kind"] != "source" else f"{record['source']}.{record['name']}"
        )
        table[record["kind"]].setdefault(key, []).append(
            [record["package"], record.get("version"), uid]
        )

    for section in ("nodes", "sources", "metrics", "semantic_models"):
        for uid, raw in _section(manifest, section).items():
            add(names, raw, uid)
    for uid, raws in _section(manifest, "disabled").items():
        for raw in raws if isinstance(raws, list) else ():
            if uid not in nodes or nodes[uid].get("enabled", True) is False:
                add(disabled, raw, uid)
                if uid in nodes:  # where it is switched off, for the message
                    nodes[uid]["enabled"] = False
                    if isinstance(raw.get("original_file_path"), str):
                        nodes[uid]["file"] = raw["original_file_path"]
    return names, disabled, nodes


def _section(manifest: dict, name: str) -> dict:
    items = manifest.get(name)
    return items if isinstance(items, dict) else {}


def _graph(manifest: dict) -> dict[str, tuple]:
    """Each node of the graph sections -> what it is built on (see :func:`_upstream`)."""
    return {
        uid: _upstream(raw)
        for section in GRAPH_SECTIONS
        for uid, raw in _section(manifest, section).items()
        if isinstance(uid, str) and isinstance(raw, dict)
    }


def _groups(manifest: dict) -> dict[str, dict]:
    """Each group's owner (name, e-mail), by group name."""
    groups = {}
    for raw in _section(manifest, "groups").values():
        if isinstance(raw, dict) and isinstance(raw.get("name"), str):
            owner = _dict(raw.get("owner"))
            groups[raw["name"]] = {
                "name": _text(owner.get("name")),
                "email": _text(owner.get("email")),
            }
    return groups


def _dict(value: Any) -> dict:
    """``value`` when it is a mapping, else an empty one (JSON of an unexpected shape)."""
    return value if isinstance(value, dict) else {}


def _upstream(raw: dict) -> tuple:
    """What a node is built on (``depends_on.nodes``); for a data test, the node it is
    attached to (``attached_node``), else what it reads."""
    attached = raw.get("attached_node")
    if isinstance(attached, str) and attached:
        return (attached,)
    depends = _dict(raw.get("depends_on"))
    deps = depends.get("nodes")
    return tuple(d for d in deps if isinstance(d, str)) if isinstance(deps, list) else ()


def _pack(kind: str, name: str, cands: list) -> Any:
    """A name's ``[package, version, unique_id]`` list, packed: just the package when it
    is one unversioned node with the plain id (most names), else a marshal string."""
    if len(cands) == 1 and cands[0][1] is None and cands[0][2] == f"{kind}.{cands[0][0]}.{name}":
        return cands[0][0]
    return marshal.dumps(sorted(cands, key=lambda c: (c[0], str(c[1]))))


def _slim(uid: str, record: dict) -> dict:
    """A node's record without what its unique id says (``model.PACKAGE.NAME[.vN]``):
    most models of a large project then store nothing at all."""
    slim = {k: v for k, v in record.items() if k not in ("id", "kind", "package", "name")}
    if record["name"] != _name_of(uid):
        slim["name"] = record["name"]
    return slim


def _name_of(uid: str) -> str:
    return uid.split(".", 2)[2] if uid.count(".") >= 2 else uid


def _unslim(uid: str, slim: dict) -> dict:
    parts = uid.split(".", 2)
    record = {
        "id": uid,
        "kind": parts[0],
        "package": parts[1] if len(parts) > 1 else "",
        "name": _name_of(uid),
    }
    record.update(slim)
    return record


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _record(raw: Any, uid: str) -> dict | None:
    if not isinstance(raw, dict) or not isinstance(uid, str):
        return None
    kind = raw.get("resource_type")
    name = raw.get("name")
    package = raw.get("package_name")
    if kind not in KINDS or not isinstance(name, str) or not isinstance(package, str):
        return None
    record: dict[str, Any] = {"id": uid, "kind": kind, "name": name, "package": package}
    config = _dict(raw.get("config"))
    if config.get("enabled") is False:
        record["enabled"] = False
    if kind == "source":
        source = raw.get("source_name")
        if not isinstance(source, str):
            return None
        record["source"] = source
    elif kind == "model":
        version = raw.get("version")
        if isinstance(version, (int, float, str)) and not isinstance(version, bool):
            record["version"] = version
            latest = raw.get("latest_version")
            if isinstance(latest, (int, float, str)) and not isinstance(latest, bool):
                record["latest"] = latest
        date = raw.get("deprecation_date")
        if isinstance(date, str) and len(date) >= 10:
            record["deprecation"] = date[:10]
    else:  # metric, semantic model: what they are built on
        depends = _dict(raw.get("depends_on"))
        deps = depends.get("nodes")
        record["deps"] = [d for d in deps if isinstance(d, str)] if isinstance(deps, list) else []
        if kind == "metric":
            record["label"] = _text(raw.get("label"))
            record["description"] = _text(raw.get("description"))
            group = raw.get("group") or config.get("group")
            record["group"] = group if isinstance(group, str) else None
            record["private"] = _private(raw, config)
    return record


def _private(raw: dict, config: dict) -> bool:
    """``access: private`` or ``is_private: true``, on the node, its config or meta."""
    for where in (raw, config, raw.get("meta"), config.get("meta")):
        if isinstance(where, dict) and (
            where.get("access") == _PRIVATE or where.get("is_private") is True
        ):
            return True
    return False


# -- loading, with the cache --------------------------------------------------------

_MEMO: dict[tuple, Any] = {}  # this process: file identity -> Index or UnusableManifest


def load(path: Path, cache: Any = None) -> Index:
    """The index of the manifest at ``path``: from this process's memo, else the cache,
    else parsed (and cached). Raises :class:`UnusableManifest`."""
    kind = store.Kind(
        what="a dbt manifest",
        salt=_salt,
        parse=lambda raw: _parse(raw),  # looked up when called: a test counts the parses
        made=Index,
        format=FORMAT,
        read=_read,
        unusable=UnusableManifest,
        max_bytes=MAX_BYTES,
    )
    return store.load(path, cache, _MEMO, kind)


def _read(path: Path) -> bytes:
    return read_input(path, "dbt manifest")


def _salt() -> bytes:
    return store.source_salt(b"dbt-index", b"%d" % FORMAT, files=("index.py",))


def _parse(raw: bytes) -> Any:
    manifest = store.parse_json(raw, UnusableManifest)
    if isinstance(manifest, UnusableManifest):
        return manifest
    try:
        return Index(build(manifest))
    except UnusableManifest as problem:
        return problem


# -- what the pipeline hands the rules ----------------------------------------------


class DbtLink:
    """dbt's artifacts as the rules see them (``ctx.dbt``), each loaded on first use (a
    run whose files name no dbt data source reads none) and then kept.

    ``index`` is the manifest's :class:`Index`, or None when the manifest cannot be used
    (``problem`` then says why: KS604). :meth:`evidence` joins it with the last run's
    results and freshness checks (``run_results.json``, ``sources.json``): what KS606 to
    KS608 report and :meth:`health` says of one KPI's data."""

    def __init__(self, settings: Any, cache: Any = None):
        self.settings = settings
        self.cache = cache
        self._loaded = False
        self._index: Index | None = None
        self._problem: str | None = None
        self._evidence: dict[Any, Any] = {}

    @property
    def written(self) -> str:
        return self.settings.written

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            self._index = load(self.settings.manifest, self.cache)
        except UnusableManifest as problem:
            self._problem = str(problem)

    @property
    def index(self) -> Index | None:
        self._load()
        return self._index

    @property
    def problem(self) -> str | None:
        self._load()
        return self._problem

    def evidence(self, today: Any) -> Any:
        """What the run results and freshness checks say as of ``today`` (a
        :class:`kpispec.dbt.health.Evidence`); None when the manifest cannot be used."""
        if self.index is None:
            return None
        found = self._evidence.get(today)
        if found is None:
            from kpispec.dbt import health  # only a run with dbt data sources gets here

            found = self._evidence[today] = health.evaluate(
                self.index,
                self.settings,
                self._artifact("run-results"),
                self._artifact("sources"),
                today,
                self.cache,
            )
        return found

    def _artifact(self, key: str) -> Any:
        """The index of an artifact; its :class:`~kpispec.dbt.artifacts.UnusableArtifact`
        when it cannot be used; None when it is not there and the config does not name
        it (a project that does not run dbt here)."""
        from kpispec.dbt import artifacts

        spec = self.settings.artifact(key)
        try:
            return artifacts.load(key, spec.path, self.cache)
        except artifacts.UnusableArtifact as problem:
            if not spec.named and not os.path.lexists(spec.path):
                return None
            return problem

    def health(self, kind: str, name: str, version: Any = None, today: Any = None) -> Any:
        """The data health of what a ``data_source`` names (a
        :class:`kpispec.dbt.health.Health`): ``unknown`` with the reason when the
        manifest cannot be used or does not have it."""
        from kpispec.dbt import health

        if self.index is None:
            return health.unknown(f"the dbt manifest cannot be used: {self.problem}")
        found = self.index.lookup(kind, name, version)
        if found.status != "found":
            return health.unknown(f"the dbt manifest has no enabled {KIND_WORDS[kind]} '{name}'")
        import datetime as _dt

        return self.evidence(today or _dt.date.today()).health(found.node)


def link(config: Any, cache: Any = None) -> DbtLink | None:
    """What ``ctx.dbt`` holds for ``config``: None when no manifest is configured."""
    from kpispec.config.dbt import dbt_of

    settings = dbt_of(config)
    return DbtLink(settings, cache) if settings is not None else None
