"""What the dbt rules (KS601-KS605) share: the ``data_source`` entries that say
``system: dbt``, in the files reported on, and how to name what they read.

A dbt data source names exactly one of ``metric``, ``semantic_model``, ``model`` or
``source`` (``SOURCE_NAME.TABLE_NAME``), a name optionally qualified by its package
(``jaffle_shop.orders``), and for a versioned model optionally ``version``. One that
breaks that shape is a schema finding (KS002) and the dbt rules leave it alone (no
cascades). The rules read the manifest only through ``ctx.dbt`` (see
:class:`kpispec.dbt.index.DbtLink`), which the pipeline builds once for the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kpispec.catalog import Catalog, Entry
from kpispec.dbt.index import KIND_WORDS, KINDS

CONFIG_HINT = (
    'add [tool.kpispec.dbt] manifest = "target/manifest.json" to pyproject.toml '
    "([dbt] in kpispec.toml; the path is relative to the project root)"
)


@dataclass(frozen=True)
class DbtRef:
    entry: Entry
    kind: str  # metric | semantic_model | model | source
    name: str
    version: Any = None

    @property
    def what(self) -> str:
        """``model 'customers' v1``, as messages name it."""
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
        source = entry.data["data_source"]
        kinds = [kind for kind in KINDS if kind in source]
        if len(kinds) != 1:
            continue
        name = source[kinds[0]]
        version = source.get("version")
        if not isinstance(name, str) or not name.strip():
            continue
        if version is not None and (
            kinds[0] != "model" or isinstance(version, bool) or not isinstance(version, (int, str))
        ):
            continue
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
