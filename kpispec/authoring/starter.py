"""``kpispec init [DIR]``: start a catalog (contract section 12).

Writes, in DIR (created when missing, as ``git init`` does):

- ``kpis/starter.yaml``: one goal, two KPIs that pull against each other and the metrics
  that feed them, every key explained in a comment. Its dates run from January 1st of this
  year to December 31st five years on, so it lints clean today and for years; it is meant
  to be edited into your own catalog. Not written when DIR already holds KPI files (the
  include patterns match some): a starter's goal and KPIs would join that catalog.
- ``[tool.kpispec]`` appended to ``pyproject.toml`` when DIR has one (every byte before it
  kept, its line endings followed), else ``kpispec.toml``. Neither when a config exists.

and prints the ``.pre-commit-config.yaml`` snippet and what to do next.

It never overwrites or edits what exists: run again, it says what it found and exits 0,
as ``git init`` does in an existing repository, so a setup script or a README may run it
unconditionally. Exit 2 (nothing written) when ``pyproject.toml`` is not valid TOML or a
file cannot be written.
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kpispec.authoring.emit import verify_yaml
from kpispec.authoring.origin import REPO_URL, Origin, find_origin
from kpispec.errors import InitError
from kpispec.safefile import (
    Exists,
    ReadError,
    Snapshot,
    WriteError,
    load_toml,
    snapshot,
    verify_toml,
    write_atomic,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

STARTER = Path("kpis") / "starter.yaml"


def starter_text(today: _dt.date) -> str:
    """The starter file; its timeframe is this year to the end of the fifth year on."""
    start = f"{today.year}-01-01"
    end = f"{today.year + 5}-12-31"
    return f"""\
# A starter catalog, written by 'kpispec init'. Make it yours: replace the goal, the KPIs
# and the metrics below with your own, then run 'kpispec lint' (it passes on this file as
# written). 'kpispec explain KS102' says what any finding means and how to fix it.
#
# A KPI is a metric that is linked to a goal, has a target and a timeframe with an end,
# an owner who answers for it and a data source that measures it. Keep 3 to 7 per scope,
# and give every goal two or more KPIs that pull against each other, so that no single
# number can be gamed (Goodhart's law). Everything else is a metric, and welcome.
kpispec: 1                        # the file format version: always 1
scope: support                    # optional: the team or area of the entries below

goals:                            # what you want to achieve
  - id: support-loved             # a lowercase id, unique across the catalog: KPIs link to it
    title: Customers get fast, helpful answers from support   # the goal, in words
    owner: head-of-support@example.com   # who answers for the goal
    due: {end}                # when it should be reached (YYYY-MM-DD)

kpis:                             # the few numbers that say whether a goal is being reached
  - id: first-response-hours
    name: Median first response time
    description: Hours from a ticket being opened to the first reply by a person.
    goal: support-loved           # the goal this KPI is key to (a goal id, or a list of them)
    owner: support-lead@example.com   # the person or team who answers for the number
    target:
      value: 2                    # where the number should be by the deadline
      unit: hours                 # optional: what it is counted in
      direction: decrease         # which way is better: increase | decrease | maintain
      baseline: 8                 # the figure today: progress is judged against it
    timeframe:
      start: {start}            # optional: when the period starts
      end: {end}              # the deadline for the target
      review: weekly              # how often it is looked at: daily | weekly | monthly | quarterly | annually
    data_source:                  # where the number comes from: nothing measures it, it is no KPI
      system: zendesk             # the system that holds the data (required in data_source)
      table: tickets              # optional: the table, or query: ..., or url: ...
    inputs: [tickets-opened]      # optional: ids of the metrics that feed this KPI

  # The counterweight: replies that are fast but do not help show up here, so neither
  # number can be pushed at the other's cost.
  - id: support-csat
    name: Customer satisfaction with support
    description: Share of survey answers that rate the support received good or great.
    goal: support-loved
    owner: support-lead@example.com
    target: {{value: 90, unit: "%", direction: increase, baseline: 82}}   # the same keys, on one line
    timeframe: {{start: {start}, end: {end}, review: monthly}}
    data_source: {{system: zendesk, table: satisfaction_ratings}}

metrics:                          # numbers you watch: they explain and feed KPIs (no goal, no target)
  - id: tickets-opened
    name: Tickets opened
    unit: tickets                 # optional: what it is counted in
    data_source: {{system: zendesk, table: tickets}}   # optional for a metric
  - id: survey-responses
    name: Satisfaction survey responses
    data_source: {{system: zendesk, table: satisfaction_ratings}}
    feeds: [support-csat]         # optional: ids of the KPIs this metric feeds
"""


CONFIG_BODY = """\
# kpispec's settings (README: Configuration); the defaults are shown commented out.
# The files that hold KPI definitions (globs from the project root):
# include = ["**/*.kpi.yaml", "**/*.kpi.yml", "**/kpis/**/*.yaml", "**/kpis/**/*.yml"]
# exclude = []
# At most this many real KPIs per scope (KS201; 3 to 7 is the common advice):
max-kpis = 7
# Rules to skip, by code or name, and severities changed:
# ignore = ["orphan-metric"]
# severity = { KS107 = "info" }
"""


def precommit_snippet(origin: Origin | None = None) -> str:
    """The ``.pre-commit-config.yaml`` snippet for the commit gate, as it works when
    printed: pinned to the commit or the release tag this kpispec was installed from,
    else a ``repo: local`` hook running the kpispec installed here (see
    :mod:`kpispec.authoring.origin`)."""
    origin = origin or find_origin()
    hook = "      - id: kpispec       # runs 'kpispec lint --staged': the catalog as it will be committed"
    if origin.kind == "commit":
        lines = ["repos:"]
        if not origin.shared:
            lines += [
                f"  # {origin.repo} is a clone on this machine: in a file the team shares,",
                "  # pin a commit of a repository they can fetch, or a release tag",
            ]
        lines += [
            f"  - repo: {origin.repo}",
            f"    rev: {origin.rev}   # the commit of kpispec installed here",
            "    hooks:",
            hook,
        ]
        return "\n".join(lines)
    if origin.kind == "release":
        return "\n".join(
            [
                "repos:",
                f"  - repo: {origin.repo}",
                f"    rev: {origin.rev}   # the release of kpispec installed here",
                "    hooks:",
                hook,
            ]
        )
    return "\n".join(
        [
            "repos:",
            "  # runs the kpispec installed here; to pin a release later, replace this entry with",
            f"  #   - repo: {REPO_URL}",
            "  #     rev: <a release tag>",
            "  #     hooks: [{id: kpispec}]",
            "  - repo: local",
            "    hooks:",
            "      - id: kpispec",
            "        name: kpispec",
            f"        entry: {installed_command()} lint --staged   # the catalog as it will be committed",
            "        language: system",
            "        types: [yaml]",
            "        always_run: true",
            "        require_serial: true",
        ]
    )


def installed_command() -> str:
    """How a hook runs the kpispec installed here: ``kpispec`` when that is the one on
    PATH, else this Python with ``-m kpispec``."""
    import shlex
    import shutil
    import sysconfig

    found = shutil.which("kpispec")
    scripts = sysconfig.get_path("scripts")
    if found and scripts and Path(found).resolve().parent == Path(scripts).resolve():
        return "kpispec"
    return f"{shlex.quote(sys.executable)} -m kpispec"


def _show(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _catalog_files(folder: Path, config_path: Path | None) -> list[Path]:
    """The KPI files DIR already holds (its config's include patterns, else the default)."""
    from kpispec.config import Config, load_config
    from kpispec.load.files import project_files

    config = load_config(config_path) if config_path else Config(root=folder)
    config.root = folder
    return project_files(config)


@dataclass
class _Found:
    """What DIR holds that ``init`` looks at."""

    pyproject: Snapshot | None = None  # pyproject.toml as read, when there is one
    has_table: bool = False  # ... with a [tool.kpispec] table
    kpispec_toml: bool = False


@dataclass
class _Action:
    path: Path
    data: bytes
    how: str  # "create" | "append"
    verify: Callable[[bytes], object]
    expect: Snapshot | None = None  # append: the file as read


@dataclass
class _Plan:
    lines: list[str] = field(default_factory=list)  # what was found
    actions: list[_Action] = field(default_factory=list)  # what to write


def init(folder: Path, today: _dt.date | None = None) -> list[str]:
    """Start a catalog in ``folder``; returns the lines to print. Everything is checked
    before the first byte is written."""
    if folder.exists() and not folder.is_dir():
        raise InitError(f"{folder.as_posix()}: not a folder")
    found = _look(folder)
    plan = _Plan()
    _plan_config(folder, found, plan)
    _plan_starter(folder, found, today or _dt.date.today(), plan)
    _write(folder, plan)
    return _report(folder, plan)


def _look(folder: Path) -> _Found:
    """Read what is there: the config files, pyproject.toml parsed."""
    pyproject = folder / "pyproject.toml"
    found = _Found(kpispec_toml=(folder / "kpispec.toml").is_file())
    if not pyproject.is_file():
        return found
    try:
        found.pyproject = snapshot(pyproject, _show(pyproject, folder), "config")
        tool = load_toml(found.pyproject.data, "config", _show(pyproject, folder)).get("tool")
    except OSError as exc:
        raise InitError(f"{_show(pyproject, folder)}: cannot read: {exc.strerror or exc}") from None
    except (WriteError, ReadError) as exc:
        raise InitError(str(exc)) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InitError(
            f"{folder.as_posix()}/pyproject.toml is not valid TOML ({exc}); nothing "
            "written: fix it, then run kpispec init again"
        ) from None
    found.has_table = isinstance(tool, dict) and "kpispec" in tool
    return found


def _plan_config(folder: Path, found: _Found, plan: _Plan) -> None:
    """The config: kept when there is one, else appended to pyproject.toml, else
    kpispec.toml created."""
    if found.kpispec_toml:
        plan.lines.append("kpispec.toml exists: left as it is (it is the config)")
    elif found.has_table:
        plan.lines.append("pyproject.toml already has [tool.kpispec]: left as it is")
    elif found.pyproject is not None:
        raw = found.pyproject.data
        newline = "\r\n" if b"\r\n" in raw else "\n"
        lead = "" if not raw or raw.endswith(b"\n") else newline
        gap = newline if raw.strip() else ""
        table = ("[tool.kpispec]\n" + CONFIG_BODY).replace("\n", newline)
        data = raw + (lead + gap + table).encode("utf-8")
        _appendable(folder, data)
        plan.actions.append(
            _Action(folder / "pyproject.toml", data, "append", verify_toml, found.pyproject)
        )
    else:
        plan.actions.append(
            _Action(folder / "kpispec.toml", CONFIG_BODY.encode("utf-8"), "create", verify_toml)
        )


def _appendable(folder: Path, data: bytes) -> None:
    """pyproject.toml with [tool.kpispec] appended is still TOML (not when it writes its
    tool table inline, ``tool = {black = {...}}``): else one line saying what to add by
    hand."""
    try:
        verify_toml(data)
    except ValueError as exc:
        raise InitError(
            f"{folder.as_posix()}/pyproject.toml: appending [tool.kpispec] would make it "
            f"invalid ({exc}; is its tool table written inline, tool = {{...}}?); nothing "
            "written: add kpispec = {max-kpis = 7} to that table by hand, or create "
            "kpispec.toml"
        ) from None


def _plan_starter(folder: Path, found: _Found, today: _dt.date, plan: _Plan) -> None:
    """The starter file, unless it exists or DIR already holds KPI files."""
    from kpispec.errors import ConfigError

    starter = folder / STARTER
    if starter.exists():
        plan.lines.append(f"{STARTER.as_posix()} exists: left as it is")
        return
    config_path = (
        folder / "kpispec.toml"
        if found.kpispec_toml
        else (folder / "pyproject.toml" if found.has_table else None)
    )
    try:
        existing = _catalog_files(folder, config_path) if folder.is_dir() else []
    except ConfigError as exc:
        raise InitError(str(exc)) from None
    if existing:
        names = ", ".join(_show(p, folder) for p in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        plan.lines.append(
            f"KPI files exist ({names}{more}): no starter written, the catalog is started"
        )
    else:
        plan.actions.append(
            _Action(starter, starter_text(today).encode("utf-8"), "create", verify_yaml)
        )


def _write(folder: Path, plan: _Plan) -> None:
    """Every action through the one writer: a new file never replaces one (one that
    appeared since it was checked is left as it is), an append only replaces the file
    it was read from."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InitError(f"{folder.as_posix()}: cannot write: {exc.strerror or exc}") from None
    for action in plan.actions:
        shown = _show(action.path, folder)
        try:
            write_atomic(
                action.path,
                action.data,
                name=shown,
                force=False if action.how == "create" else None,
                verify=action.verify,
                expect=action.expect,
                parents=True,
            )
        except Exists:  # appeared since it was checked: still not replaced
            raise InitError(f"{shown}: exists; not overwritten") from None
        except WriteError as exc:
            raise InitError(str(exc)) from None
        plan.lines.append(
            f"appended [tool.kpispec] to {shown}" if action.how == "append" else f"created {shown}"
        )


def _report(folder: Path, plan: _Plan) -> list[str]:
    """What was found and written, the pre-commit snippet and what to do next."""
    shown = folder.as_posix()
    here = folder.resolve() == Path.cwd().resolve()
    lines = list(plan.lines)
    if not plan.actions:
        lines.append("nothing written: the catalog is already started")
    if not here:
        lines = [f"in {shown}:"] + [f"  {line}" for line in lines]
    lines.append("")
    hooks = folder / ".pre-commit-config.yaml"
    hooked = hooks.is_file() and "id: kpispec" in hooks.read_text(
        encoding="utf-8", errors="replace"
    )
    if hooked:
        lines.append(".pre-commit-config.yaml already runs the kpispec hook")
    else:
        lines.append("Add the commit gate to .pre-commit-config.yaml (see https://pre-commit.com):")
        lines.append("")
        lines.extend(f"  {line}" for line in precommit_snippet().splitlines())
    lines.append("")
    cd = "" if here else f"cd {shown} && "
    lines.append("Next:")
    lines.append(
        f"  1. Edit {STARTER.as_posix()}: your goals, your KPIs (two or more per goal, "
        "pulling against each other), the metrics that feed them."
    )
    lines.append(
        f"  2. {cd}kpispec lint      # say, entry by entry, what is a KPI and what "
        "is merely a metric"
    )
    lines.append(
        "  3. pre-commit install   # "
        + (
            "every commit is checked"
            if hooked
            else "with the snippet above: every commit is checked"
        )
    )
    lines.append(
        "  A KPI list in a spreadsheet? Save it as CSV, then: kpispec import csv "
        "FILE.csv --output kpis/imported.yaml"
    )
    return lines
