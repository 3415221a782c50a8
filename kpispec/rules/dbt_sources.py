"""What the dbt rules (KS601-KS608) share: the ``data_source`` entries that say
``system: dbt``, in the files reported on, and how to name what they read; and the data
health record of one entry (:func:`health_of`), which reports show.

A dbt data source names exactly one of ``metric``, ``semantic_model``, ``model`` or
``source`` (``SOURCE_NAME.TABLE_NAME``), a name optionally qualified by its package
(``jaffle_shop.orders``), and for a versioned model optionally ``version``. One that
breaks that shape is a schema finding (KS002) and the dbt rules leave it alone (no
cascades). The rules read the manifest only through ``ctx.dbt`` (see
:class:`kpispec.dbt.index.DbtLink`), which the pipeline builds once for the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kpispec.catalog import Catalog, Entry
from kpispec.record import FrozenRecord

CONFIG_HINT = (
    'add [tool.kpispec.dbt] manifest = "target/manifest.json" to pyproject.toml '
    "([dbt] in kpispec.toml; the path is relative to the project root)"
)


class DbtRef(FrozenRecord):
    """What an entry's data_source names in the dbt project. Frozen."""

    FIELDS = ("entry", "kind", "name", "version")
    entry: Entry
    kind: str  # metric | semantic_model | model | source
    name: str
    version: Any

    def __init__(self, entry: Entry, kind: str, name: str, version: Any = None) -> None:
        self._init((entry, kind, name, version))

    @property
    def what(self) -> str:
        """``model 'customers' v1``, as messages name it."""
        from kpispec.dbt.names import KIND_WORDS  # here: only a run with dbt names one

        version = f" v{self.version}" if self.version is not None else ""
        return f"{KIND_WORDS[self.kind]} '{self.name}'{version}"


def dbt_entries(catalog: Catalog) -> Iterator[Entry]:
    """Entries of the files reported on whose data_source says ``system: dbt``."""
    for entry in catalog.entries:
        if not entry.file.reported or entry.kind == "goal":
            continue
        source = entry.dict_field("data_source")
        if source is not None and source.get("system") == "dbt":
            yield entry


def dbt_refs(catalog: Catalog) -> Iterator[DbtRef]:
    """The well-formed dbt data sources of the files reported on."""
    for entry in dbt_entries(catalog):
        yield from _refs_of(entry)


def _refs_of(entry: Entry) -> Iterator[DbtRef]:
    """The entry's dbt data source, when it is well-formed (at most one)."""
    from kpispec.dbt.index import KINDS  # here: a run without dbt never loads the index

    source = entry.data["data_source"]
    kinds = [kind for kind in KINDS if kind in source]
    if len(kinds) != 1:
        return
    name = source[kinds[0]]
    version = source.get("version")
    if not isinstance(name, str) or not name.strip():
        return
    if version is not None and (
        kinds[0] != "model" or isinstance(version, bool) or not isinstance(version, (int, str))
    ):
        return
    yield DbtRef(entry, kinds[0], name.strip(), version)


def index_of(ctx: Any) -> Any:
    """The manifest's index, or None (not configured: KS605; unusable: KS604)."""
    link = getattr(ctx, "dbt", None)
    return link.index if link is not None else None


def manifest_name(ctx: Any) -> str:
    return ctx.dbt.written


def looked_up(catalog: Catalog, ctx: Any, status: str) -> Iterator[tuple[DbtRef, Any, Any]]:
    """(reference, what the manifest's index says of it, the index) for each dbt data
    source whose lookup has ``status`` (missing, disabled, found); nothing when the
    manifest is not configured or cannot be used (KS604, KS605 say so)."""
    index = index_of(ctx)
    if index is None:
        return
    for ref in dbt_refs(catalog):
        found = index.lookup(ref.kind, ref.name, ref.version)
        if found.status == status:
            yield ref, found, index


# -- the last dbt run (KS606-KS608) and the data health record ----------------------


def evidence_of(ctx: Any) -> Any:
    """What the last dbt run and freshness check say (a
    :class:`kpispec.dbt.health.Evidence`), or None: no manifest configured (KS605) or
    usable (KS604)."""
    link = getattr(ctx, "dbt", None)
    return link.evidence(ctx.today) if link is not None else None


def with_evidence(catalog: Catalog, ctx: Any) -> Iterator[tuple[DbtRef, dict, Any]]:
    """(reference, the manifest node it names, the evidence) of each dbt data source
    the manifest has; nothing when no dbt data source is reported on (no artifact is
    read) or the manifest cannot be used."""
    evidence = None
    for ref, found, _ in looked_up(catalog, ctx, "found"):
        if evidence is None:
            evidence = evidence_of(ctx)
            if evidence is None:
                return
        yield ref, found.node, evidence


def built_on(node: dict, upstream: str) -> str:
    """``, built on model 'stg_orders'``: the node upstream a message is about, when it
    is not the node the data source names ("" then)."""
    from kpispec.dbt.names import describe

    return "" if upstream == node["id"] else f", built on {describe(upstream)}"


def health_of(entry: Entry, ctx: Any) -> Any:
    """The data health of an entry whose ``data_source`` is a well-formed dbt one (a
    :class:`kpispec.dbt.health.Health`: state, what it reads and their last status and
    when, failures, freshness); None for any other entry, or when no dbt manifest is
    configured. What a report shows per KPI, and counts by state (``health.STATES``)."""
    link = getattr(ctx, "dbt", None)
    if link is None:
        return None
    source = entry.dict_field("data_source")
    if source is None or source.get("system") != "dbt":
        return None
    for ref in _refs_of(entry):
        return link.health(ref.kind, ref.name, ref.version, ctx.today)
    return None


def health_counts(entries: Any, ctx: Any) -> dict[str, int]:
    """How many of ``entries`` (KPIs, say) read healthy, failing, stale and unknown dbt
    data: the scorecard's counts (entries not backed by dbt are not counted)."""
    from kpispec.dbt.health import STATES

    counts = dict.fromkeys(STATES, 0)
    for entry in entries:
        found = health_of(entry, ctx)
        if found is not None:
            counts[found.state] += 1
    return counts
