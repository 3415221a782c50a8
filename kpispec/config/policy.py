"""Team policies: the ``[tool.kpispec.policy]`` table (``[policy]`` in kpispec.toml).

A policy states what one organisation requires on top of the general rules: who may own
an entry, which systems a data source may name, which extra fields each kind of entry
must fill in, how many KPIs a scope may hold and how many a goal needs. Config loading
calls :func:`parse_policy` once, so a bad policy is a :class:`ConfigError` naming the key
and the file (exit 2) before anything is linted; the rules KS401-KS404 (and KS201 for
``max-kpis``) then read the parsed :class:`Policy` through :func:`policy_of`. With no
policy configured those rules report nothing.

    [tool.kpispec.policy]
    owners-file = "owners.yaml"          # or owners = ["finance-team", ...], or CODEOWNERS
    data-sources = ["warehouse", "stripe"]
    required.kpi = ["description", "target.baseline", "tags"]
    max-kpis = {marketing = 5}
    min-kpis-per-goal = 2

    [tool.kpispec.policy.scopes.finance]  # a scope narrows data-sources, adds required
    data-sources = ["warehouse"]
    required.kpi = ["data_source.query"]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path
from typing import Any

from kpispec.config.paths import config_path
from kpispec.errors import ConfigError
from kpispec.record import FrozenRecord
from kpispec.safefile import ReadError, check_size, read_input

KINDS = ("goal", "kpi", "metric")
KEYS = (
    "owners",
    "owners-file",
    "data-sources",
    "required",
    "max-kpis",
    "min-kpis-per-goal",
    "scopes",
)
SCOPE_KEYS = ("data-sources", "required")
YAML_SUFFIXES = (".yaml", ".yml")
# patterns as text: re compiles (and caches) each at its first use, by a run with a policy
_SLUG = r"[a-z0-9][a-z0-9._-]*\Z"
# GitLab CODEOWNERS section headers: "[Section]", "^[Optional]", "[Section][2]"
_SECTION = r"\^?\[[^\]]*\](\[\d+\])?"
# what a CODEOWNERS file names after a path: @user, @org/team, GitLab's @@role, or an
# e-mail address; a file with any other word is not a list of owners
_OWNER_WORD = r"@{1,2}[^\s@]+|[^\s@]+@[^\s@]+"

Fail = Callable[[str, str], ConfigError]


class ScopePolicy(FrozenRecord):
    """What one scope adds: its own data sources (instead of the global list) and
    required fields (on top of the global ones). Frozen."""

    FIELDS = ("data_sources", "required")
    data_sources: tuple[str, ...] | None
    required: dict[str, tuple[str, ...]]  # kind -> field paths

    def __init__(
        self,
        data_sources: tuple[str, ...] | None = None,
        required: dict[str, tuple[str, ...]] | None = None,  # None: none
    ) -> None:
        self._init((data_sources, {} if required is None else required))


class Policy(FrozenRecord):
    """``[tool.kpispec.policy]``, read (:func:`parse_policy`). Frozen; a table left out
    (None) is an empty one."""

    FIELDS = tuple(
        "source owners owners_origin data_sources required scopes max_kpis "
        "min_kpis_per_goal".split()
    )
    source: Path  # the config file, for messages
    owners: tuple[str, ...] | None  # None: any owner goes
    owners_origin: str  # where the owners were listed ("owners.yaml", "the policy")
    data_sources: tuple[str, ...] | None
    required: dict[str, tuple[str, ...]]  # kind -> field paths
    scopes: dict[str, ScopePolicy]
    max_kpis: dict[str, int]
    min_kpis_per_goal: int | None

    def __init__(
        self,
        source: Path,
        owners: tuple[str, ...] | None = None,
        owners_origin: str = "",
        data_sources: tuple[str, ...] | None = None,
        required: dict[str, tuple[str, ...]] | None = None,
        scopes: dict[str, ScopePolicy] | None = None,
        max_kpis: dict[str, int] | None = None,
        min_kpis_per_goal: int | None = None,
    ) -> None:
        self._init(
            (
                source,
                owners,
                owners_origin,
                data_sources,
                {} if required is None else required,
                {} if scopes is None else scopes,
                {} if max_kpis is None else max_kpis,
                min_kpis_per_goal,
            )
        )

    def owner_known(self, owner: str) -> bool:
        return self.owners is None or owner_key(owner) in {owner_key(o) for o in self.owners}

    def data_sources_for(self, scope: str) -> tuple[str, ...] | None:
        scoped = self.scopes.get(scope)
        if scoped is not None and scoped.data_sources is not None:
            return scoped.data_sources
        return self.data_sources

    def required_for(self, kind: str, scope: str) -> list[tuple[str, str | None]]:
        """(field path, scope that requires it or None for every scope), in order."""
        fields: list[tuple[str, str | None]] = [
            (path, None) for path in self.required.get(kind, ())
        ]
        scoped = self.scopes.get(scope)
        if scoped is not None:
            fields += [
                (path, scope)
                for path in scoped.required.get(kind, ())
                if path not in self.required.get(kind, ())
            ]
        return fields


def owner_key(owner: str) -> str:
    """Owners compare without case and without a leading ``@`` (CODEOWNERS writes
    ``@finance-team``, a KPI file ``finance-team``; e-mail addresses ignore case)."""
    return owner.strip().lstrip("@").casefold()


def suggest(wrong: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The closest allowed value, for "did you mean ...?" (compared as owners compare:
    case and a leading ``@`` do not hide a match)."""
    from kpispec.spelling import best  # only when there is something to suggest

    by_key = {choice.lstrip("@").casefold(): choice for choice in choices}
    close = best(wrong.lstrip("@").casefold(), list(by_key))
    return by_key[close] if close is not None else None


def policy_of(ctx: Any) -> Policy | None:
    """The policy of a rule's context (None when no policy is configured)."""
    config = getattr(ctx, "config", None)
    policy = getattr(config, "extra", {}).get("policy") if config is not None else None
    return policy if isinstance(policy, Policy) else None


def policy_requires(ctx: Any, entry: Any, path: str) -> bool:
    """Whether the team policy requires ``path`` of this entry. A built-in warning about
    the same absence (KS106, KS107) then stands aside: KS403 reports it, as an error."""
    policy = policy_of(ctx)
    return policy is not None and any(
        required == path for required, _ in policy.required_for(entry.kind, entry.scope)
    )


def max_kpis_for(ctx: Any, scope: str) -> int:
    """KS201's limit for one scope: the policy's per-scope override, else ``max-kpis``."""
    policy = policy_of(ctx)
    if policy is not None and scope in policy.max_kpis:
        return policy.max_kpis[scope]
    return ctx.max_kpis


# --- parsing -------------------------------------------------------------------------


def parse_policy(
    table: Any,
    path: Path,
    root: Path,
    where: str = "",
    read: Callable[[Path], bytes] | None = None,
) -> Policy:
    """Validate the policy table of the config file ``path`` (project root ``root``;
    ``where``: the table it sits in, ``[tool.kpispec]`` in a pyproject.toml). ``read``
    reads the files it names (the owners file): from disk, or from a git revision."""
    prefix = f"{path}: {where} " if where else f"{path}: "

    def fail(key: str, why: str) -> ConfigError:
        return ConfigError(f"{prefix}'{'policy.' + key if key else 'policy'}': {why}")

    if not isinstance(table, dict):
        raise fail("", "must be a table")
    _no_unknown_keys(table, KEYS, "", fail)
    owners, origin = None, ""
    if "owners" in table:
        owners = _strings(table["owners"], "owners", fail)
        origin = "the policy's owners"
    if "owners-file" in table:
        listed, origin_file = read_owners_file(table["owners-file"], root, fail, read)
        owners = (owners or ()) + tuple(o for o in listed if o not in (owners or ()))
        origin = origin_file if not origin else f"{origin} and {origin_file}"
    data_sources = (
        _strings(table["data-sources"], "data-sources", fail) if "data-sources" in table else None
    )
    return Policy(
        source=path,
        owners=owners,
        owners_origin=origin,
        data_sources=data_sources,
        required=_required(table.get("required", {}), "required", fail),
        scopes=_scopes(table.get("scopes", {}), fail),
        max_kpis=_max_kpis(table.get("max-kpis", {}), fail),
        min_kpis_per_goal=(
            _count(table["min-kpis-per-goal"], "min-kpis-per-goal", fail)
            if "min-kpis-per-goal" in table
            else None
        ),
    )


def _no_unknown_keys(table: dict, known: tuple[str, ...], prefix: str, fail: Fail) -> None:
    for key in table:
        if key not in known:
            from kpispec.spelling import did_you_mean  # only on this error path

            hint = did_you_mean(str(key), known)
            raise fail(f"{prefix}{key}", f"unknown key; {hint}known keys: {', '.join(known)}")


def _strings(value: Any, key: str, fail: Fail) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise fail(key, "must be a non-empty list of strings")
    return tuple(v.strip() for v in value)


def _count(value: Any, key: str, fail: Fail) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise fail(key, f"must be a whole number of 1 or more, not {value!r}")
    return value


def _scope_name(name: Any, key: str, fail: Fail) -> str:
    if not isinstance(name, str) or not re.match(_SLUG, name):
        raise fail(
            key,
            f"names scope {name!r}, which is not a scope id (lowercase, like "
            "'marketing'); it would never match an entry",
        )
    return name


def _max_kpis(value: Any, fail: Fail) -> dict[str, int]:
    if not isinstance(value, dict):
        raise fail("max-kpis", "must be a table of scope = number, e.g. {marketing = 5}")
    return {
        _scope_name(scope, "max-kpis", fail): _count(limit, f"max-kpis.{scope}", fail)
        for scope, limit in value.items()
    }


def _required(value: Any, key: str, fail: Fail) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise fail(
            key,
            'must be a table of kind = [fields], e.g. {kpi = ["description", "target.baseline"]}',
        )
    required = {}
    for kind, fields in value.items():
        if kind not in KINDS:
            raise fail(f"{key}.{kind}", f"is not a kind of entry; use one of {', '.join(KINDS)}")
        paths = _strings(fields, f"{key}.{kind}", fail)
        known = known_fields(kind)
        for item in paths:
            if item not in known:
                from kpispec.spelling import best  # only on this error path

                hint = best(item, sorted(known))
                raise fail(
                    f"{key}.{kind}",
                    f"names {item!r}, which is not a field of a {kind}"
                    + (
                        f"; did you mean {hint!r}?"
                        if hint
                        else f"; known fields: {', '.join(sorted(known))}"
                    ),
                )
        required[kind] = paths
    return required


def _scopes(value: Any, fail: Fail) -> dict[str, ScopePolicy]:
    if not isinstance(value, dict):
        raise fail(
            "scopes", "must be a table of scope tables, e.g. [tool.kpispec.policy.scopes.finance]"
        )
    scopes = {}
    for scope, table in value.items():
        _scope_name(scope, "scopes", fail)
        prefix = f"scopes.{scope}."
        if not isinstance(table, dict):
            raise fail(f"scopes.{scope}", "must be a table with data-sources and/or required")
        _no_unknown_keys(table, SCOPE_KEYS, prefix, fail)
        scopes[scope] = ScopePolicy(
            data_sources=(
                _strings(table["data-sources"], prefix + "data-sources", fail)
                if "data-sources" in table
                else None
            ),
            required=_required(table.get("required", {}), prefix + "required", fail),
        )
    return scopes


@cache
def known_fields(kind: str) -> frozenset[str]:
    """Every field path an entry of ``kind`` can have, from the packaged JSON Schema
    (``description``, ``target.baseline``...), so a typo in a policy is caught at once."""
    from kpispec.load.schema import schema

    defs = schema()["$defs"]

    def props(node: dict) -> dict:
        while "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        return node.get("properties", {})

    paths = set()
    for name, sub in props(defs[kind]).items():
        paths.add(name)
        paths.update(f"{name}.{inner}" for inner in props(sub))
    return frozenset(paths)


# --- owners files --------------------------------------------------------------------


def read_owners_file(
    value: Any, root: Path, fail: Fail, read: Callable[[Path], bytes] | None = None
) -> tuple[tuple[str, ...], str]:
    """The owners listed in ``owners-file`` (relative to the project root, inside it; an
    absolute path as given: :func:`~kpispec.config.paths.config_path`): a YAML list (or a
    mapping keyed by owner), or a CODEOWNERS-style file whose owners are every word after
    each path pattern, each an owner (@user, @org/team, an e-mail address). Read through
    the one reader (``read``: from a git revision instead), under the owners file's cap.
    A file that is not a list of owners is an error that quotes none of its words: its
    words are never offered as a did-you-mean. Returns the owners and the file's name for
    messages."""
    if not isinstance(value, str) or not value.strip():
        raise fail("owners-file", "must be a path to a file, relative to the project root")
    file = config_path(root, value, partial(fail, "owners-file"))
    try:
        raw = read(file) if read is not None else read_input(file, "owners")
        check_size(len(raw), "owners", str(file))
    except OSError as exc:
        raise fail("owners-file", f"cannot read {file}: {exc.strerror or exc}") from None
    except ReadError as exc:
        raise fail("owners-file", str(exc)) from None
    if file.suffix.lower() in YAML_SUFFIXES:
        owners = _yaml_owners(raw, file, fail)
    else:
        owners = _codeowners(raw.decode("utf-8", errors="replace"), file, fail)
    if not owners:
        raise fail("owners-file", f"{file} lists no owners")
    return tuple(dict.fromkeys(owners)), value


def _yaml_owners(raw: bytes, file: Path, fail: Fail) -> list[str]:
    from kpispec.load.parse import load_bytes

    loaded = load_bytes(raw)
    if loaded.problems:
        problem = loaded.problems[0]
        raise fail("owners-file", f"{file}:{problem.line}:{problem.column}: {problem.message}")
    data = loaded.data
    if isinstance(data, dict) and all(v is None or isinstance(v, dict) for v in data.values()):
        data = list(data)  # owner -> details (slack channel, manager...)
    if not isinstance(data, list) or not all(isinstance(o, str) and o.strip() for o in data):
        raise fail(
            "owners-file",
            f"{file} must be a YAML list of owners (or a mapping of owner -> details)",
        )
    return [o.strip() for o in data]


def _codeowners(text: str, file: Path, fail: Fail) -> list[str]:
    owners = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        section = re.match(_SECTION, line)
        words = line[section.end() :].split() if section else line.split()[1:]
        for word in words:
            if word.startswith("#"):  # a comment runs to the end of the line
                break
            if not re.fullmatch(_OWNER_WORD, word):  # named by its place only: never quoted
                raise fail(
                    "owners-file",
                    f"{file} is not a list of owners: line {number} names something that "
                    "is neither @user, @org/team nor an e-mail address (a CODEOWNERS file "
                    "names those after each path; a YAML file lists owners)",
                )
            owners.append(word)
    return owners
