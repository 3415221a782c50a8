"""What ``kpispec lsp`` answers: document sync, hover, definition, references,
completion and code actions. Each answer is computed on the server's loop from the
buffer's current text and the last check's catalog (see :mod:`kpispec.lsp.server`)."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from lsprotocol import types as T

from kpispec.catalog import ID_RE, REFERENCE_FIELDS, Catalog, Entry
from kpispec.findings import suppress
from kpispec.lsp import text as tx
from kpispec.lsp.engine import Project, real
from kpispec.lsp.server import ID_KEYS, KIND_LABEL, KpispecServer, _path
from kpispec.rules import doc as rule_doc
from kpispec.rules import registry
from kpispec.text import markdown_text, shorten

MAX_LINKS = 20  # entries listed in a hover before "and N more"
MAX_SHOWN = 200  # characters of a name, an owner, a reason shown in a hover
SECTION_KIND = {"goals": "goal", "kpis": "kpi", "metrics": "metric"}


# -- the schema, for key completion ---------------------------------------------------


@cache
def _schema() -> dict:
    from kpispec.load.schema import schema

    return schema()


def _resolve(node: dict) -> dict:
    defs = _schema().get("$defs", {})
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 10:
        target = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
    return node if isinstance(node, dict) else {}


def properties_at(path: tuple) -> dict[str, dict]:
    """The keys a mapping at ``path`` may hold, each with its (resolved) schema."""
    root = _schema()
    if path == ():
        props = root.get("properties", {})
    elif len(path) >= 2 and path[0] in SECTION_KIND and path[1] == "-":
        node = _resolve(root.get("$defs", {}).get(SECTION_KIND[path[0]], {}))
        for step in path[2:]:
            node = _resolve(node.get("properties", {}).get(step, {}))
        props = node.get("properties", {})
    else:
        return {}
    return {name: _resolve(sub) for name, sub in props.items()}


def _description(sub: dict) -> str:
    text = sub.get("markdownDescription") or sub.get("description") or ""
    enum = sub.get("enum")
    if enum:
        meanings = sub.get("markdownEnumDescriptions") or sub.get("enumDescriptions") or []
        lines = [
            f"- `{value}`" + (f": {meanings[i]}" if i < len(meanings) else "")
            for i, value in enumerate(enum)
        ]
        text = (text + "\n\n" if text else "") + "\n".join(lines)
    return text


def _enum_at(path: tuple, key: str) -> tuple[list, list]:
    sub = properties_at(path).get(key, {})
    enum = sub.get("enum") or []
    meanings = sub.get("markdownEnumDescriptions") or sub.get("enumDescriptions") or []
    return list(enum), list(meanings)


# -- what an id is ------------------------------------------------------------------


def _kind_of(path: tuple) -> str | None:
    return SECTION_KIND.get(path[0]) if len(path) >= 2 and path[1] == "-" else None


def id_at(lines: list[str], line: int, column: int) -> tuple[str, str | None, int, int] | None:
    """The id under the cursor when it is the value of ``id``, ``goal``, ``parent``,
    ``inputs`` or ``feeds``: (id, kind it must name or None for ``id``, start, end)."""
    ctx = tx.context_at(lines, line, column)
    if ctx.in_comment or not ctx.in_value or ctx.key not in ID_KEYS or len(ctx.path) != 2:
        return None
    word, start, end = tx.word_at(lines[line], column, tx.ID_CHARS)
    if not word or not ID_RE.match(word):
        return None
    return word, ID_KEYS[ctx.key], start, end


def _name(entry: Entry) -> str:
    data = entry.data
    for key in ("name", "title"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def md(text: object) -> str:
    """Text from the catalog as hover markdown: shown, never markup (contract section 16)."""
    return markdown_text(shorten(str(text), MAX_SHOWN))


def md_code(text: object) -> str:
    """An id, a path, a value from the catalog as a code span."""
    return markdown_text(shorten(str(text), MAX_SHOWN), code=True)


def fenced(text: str) -> str:
    """Text in a fenced block (a rule's doc, a plugin's too): its fence longer than any
    run of backticks in it, so nothing in it closes the block early."""
    runs = re.findall(r"`{3,}", text)
    fence = "`" * max([3] + [len(run) + 1 for run in runs])
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def describe(catalog: Catalog, entry_id: str, want: str | None) -> str:
    """The hover of an id: each entry that has it (class, owner, scope, where it is
    defined, what links to it), or that none has, with a near miss. Everything taken
    from the catalog is escaped (:func:`md`, :func:`md_code`)."""
    entries = catalog.by_id.get(entry_id, [])
    if not entries:
        message = f"{md_code(entry_id)}: no entry in the catalog has this id"
        if want:
            close = catalog.suggest(entry_id, want)
            if close:
                message += f"; did you mean {md_code(close)}?"
        return message
    parts = [_describe_entry(catalog, entry, want) for entry in entries]
    if len(entries) > 1:
        parts.insert(0, f"⚠ {md_code(entry_id)} is defined {len(entries)} times (KS004)")
    return "\n\n---\n\n".join(parts)


def _describe_entry(catalog: Catalog, entry: Entry, want: str | None) -> str:
    head = f"**{KIND_LABEL[entry.kind]}** {md_code(entry.id)}"
    name = _name(entry)
    if name:
        head += f" — {md(name)}"
    lines = [head, "", *_facts(entry)]
    if want and entry.kind != want:
        lines.append(
            f"⚠ a {KIND_LABEL[entry.kind]}, not a {KIND_LABEL[want]}: this link "
            "does not resolve (KS005)"
        )
    lines.append(f"defined in {md_code(f'{entry.file.display}:{entry.line}')}")
    lines += _linked_from(catalog, entry)
    return "\n".join(lines)


def _facts(entry: Entry) -> list[str]:
    """Its class (a goal: its due date), owner and scope."""
    lines = []
    if entry.kind == "kpi":
        if entry.is_kpi:
            lines.append("class: **a KPI** (goal, target and timeframe)")
        else:
            lines.append(f"class: **merely a metric** — lacks {', '.join(entry.lacks)}")
    elif entry.kind == "metric":
        lines.append("class: metric")
    else:
        due = entry.data.get("due")
        if isinstance(due, str):
            lines.append(f"due: {md(due)}")
    for key in ("owner", "scope"):
        value = entry.data.get(key) if key != "scope" else entry.scope
        if isinstance(value, str) and value:
            lines.append(f"{key}: {md_code(value)}")
    return lines


def _linked_from(catalog: Catalog, entry: Entry) -> list[str]:
    links = [ref for ref in catalog.references if ref.target is entry]
    if not links:
        return ["nothing links to it"]
    lines = ["", f"linked from ({len(links)}):"]
    for ref in links[:MAX_LINKS]:
        lines.append(
            f"- {KIND_LABEL[ref.source.kind]} {md_code(ref.source.id)} ({ref.key}) "
            f"in {md_code(f'{ref.source.file.display}:{ref.source.line}')}"
        )
    if len(links) > MAX_LINKS:
        lines.append(f"- and {len(links) - MAX_LINKS} more")
    return lines


def directive_at(line: str, column: int) -> tuple[int, int, list[suppress.Directive]] | None:
    """The suppression directive under the cursor: its columns (start, end) and what
    :func:`kpispec.findings.suppress.parse` reads from it (one Directive per code)."""
    if "kpispec:" not in line:
        return None
    parsed = suppress.parse(line)
    for match in suppress.ANY_DIRECTIVE.finditer(line):
        start = match.start()
        mine = [
            d
            for d in parsed
            if start < d.column <= start + len(d.text or d.code) + 1 or d.column == start + 1
        ]
        if not mine:
            continue
        end = start + max(len(d.text or d.code) for d in mine)
        if start <= column <= end:
            return start, end, mine
    return None


def _today(project: Any) -> _dt.date:
    config = project.config if isinstance(project, Project) else None
    return (config.today if config is not None else None) or _dt.date.today()


def describe_directive(directives: list[suppress.Directive], rules: dict, today: _dt.date) -> str:
    """A directive's hover: what it silences, where, why (its reason) and until when
    (contract section 13), or why it silences nothing. Its reason is shown, escaped."""
    first = directives[0]
    if first.malformed:
        lines = ["**kpispec directive**, malformed: it silences nothing (KS901)"]
        if first.bad_until is not None:
            lines.append(f"until {md_code(first.bad_until)} is not a date: write until=YYYY-MM-DD")
        elif first.bad_reason:
            lines.append("its reason cannot be read: write " + md_code('reason="..."'))
        else:
            lines.append("write it as " + md_code('# kpispec: disable=CODE reason="..."'))
        return "\n\n".join(lines)
    where = "in the whole file" if first.whole_file else "on this line and in the entry it starts"
    names = {mod.NAME: code for code, mod in rules.items()}
    shown = []
    for directive in directives:
        code = names.get(directive.code, directive.code.upper())
        rule = rules.get(code)
        shown.append(md_code(code) + (f" {rule.NAME}" if rule is not None else " (no such rule)"))
    lines = [f"**kpispec directive**: silences {', '.join(shown)} {where}"]
    lines.append(f"reason: {md(first.reason)}" if first.reason else "reason: none given")
    until = first.until
    if until is None:
        lines.append("until: none given: it does not expire")
    elif until < today:
        days = (today - until).days
        lines.append(
            f"until: {until.isoformat()}: **expired** {days} day{'s' if days != 1 else ''} "
            "ago, so it silences nothing (KS903)"
        )
    else:
        days = (until - today).days
        lines.append(
            f"until: {until.isoformat()}, the last day it silences "
            f"({days} day{'s' if days != 1 else ''} left)"
        )
    return "\n\n".join(lines)


def _rules(project: Any) -> dict:
    return project.rules if isinstance(project, Project) else registry()


def code_at(project: Any, line: str, column: int) -> str | None:
    """A rule code (or, in a suppression comment, a rule name) under the cursor."""
    word, _, _ = tx.word_at(line, column)
    rules = _rules(project)
    if word.upper() in rules:
        return word.upper()
    if word and "kpispec:" in line:
        by_name = {mod.NAME: code for code, mod in rules.items()}
        return by_name.get(word)
    return None


# -- registration ---------------------------------------------------------------------


def register(server: KpispecServer, guarded: Callable) -> None:
    def feature(name: str, options: Any = None) -> Callable:
        def wrap(handler: Callable) -> Callable:
            server.feature(name, options)(guarded(server, handler))
            return handler

        return wrap

    @feature(T.INITIALIZE)
    def initialize(params: T.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict):
            debounce = options.get("debounceMs")
            if isinstance(debounce, (int, float)) and debounce >= 0:
                server.debounce = debounce / 1000
            goalposts = options.get("goalposts")
            if isinstance(goalposts, bool):
                server.goalposts = goalposts
            watch = options.get("watchFiles")
            if watch in (True, False, "auto"):
                server.watch_files = watch
            docs = options.get("ruleDocsUrl")
            if isinstance(docs, str):
                server.rule_docs = docs  # a template with {code}; "" turns links off
            elif docs is False:
                server.rule_docs = ""

    @feature(T.INITIALIZED)
    def initialized(params: T.InitializedParams) -> None:
        """Who watches the files on disk: the client when it offers to (dynamic
        registration of didChangeWatchedFiles) and watchFiles is "auto" (the default),
        else the server itself (watchFiles true, or a client that does not offer:
        Neovim on Linux), or nobody (watchFiles false)."""
        caps = server.client_capabilities
        watch = caps.workspace.did_change_watched_files if caps.workspace else None
        offered = watch is not None and bool(watch.dynamic_registration)
        if server.watch_files is False:
            server.watching = "off"
        elif server.watch_files is True or not offered:
            server.watching = "self"
            for project in list(server.projects.values()):
                server.watch(project.root)
        else:
            server.watching = "client"
        if server.watching == "client":
            options = T.DidChangeWatchedFilesRegistrationOptions(
                watchers=[
                    T.FileSystemWatcher(glob_pattern=pattern)
                    for pattern in (
                        "**/*.yaml",
                        "**/*.yml",
                        "**/kpispec.toml",
                        "**/pyproject.toml",
                        "**/manifest.json",
                        "**/run_results.json",  # dbt's last run (KS606-KS608)
                        "**/sources.json",
                    )
                ]
            )
            server.client_register_capability(
                T.RegistrationParams(
                    registrations=[
                        T.Registration(
                            id="kpispec-watch",
                            method=T.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=options,
                        )
                    ]
                ),
                callback=lambda *_: None,
            )

    @feature(T.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: T.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        server.opened(doc.uri, doc.text, doc.version)

    @feature(T.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: T.DidChangeTextDocumentParams) -> None:
        doc = server.workspace.get_text_document(params.text_document.uri)
        server.changed(doc.uri, doc.source, params.text_document.version)

    @feature(T.TEXT_DOCUMENT_DID_SAVE, T.SaveOptions(include_text=False))
    def did_save(params: T.DidSaveTextDocumentParams) -> None:
        doc = server.workspace.get_text_document(params.text_document.uri)
        server.changed(doc.uri, doc.source, doc.version, now=True)

    @feature(T.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: T.DidCloseTextDocumentParams) -> None:
        server.closed(params.text_document.uri)

    @feature(T.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(params: T.DidChangeWatchedFilesParams) -> None:
        server.watched(params.changes)

    @feature(T.TEXT_DOCUMENT_HOVER)
    def hover(params: T.HoverParams) -> T.Hover | None:
        project, lines, line, column = server.at(params.text_document.uri, params.position)
        text = lines[line] if line < len(lines) else ""
        code = code_at(project, text, column)
        waiver = directive_at(text, column)
        if code is not None:
            word, start, end = tx.word_at(text, column)
            value = fenced(rule_doc(code, _rules(project)))
            if waiver is not None:  # a code of a directive: what the directive says too
                value = describe_directive(waiver[2], _rules(project), _today(project)) + (
                    "\n\n---\n\n" + value
                )
            return T.Hover(
                contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=value),
                range=server.range_of(lines, line, start, end),
            )
        if waiver is not None:
            start, end, directives = waiver
            return T.Hover(
                contents=T.MarkupContent(
                    kind=T.MarkupKind.Markdown,
                    value=describe_directive(directives, _rules(project), _today(project)),
                ),
                range=server.range_of(lines, line, start, end),
            )
        found = id_at(lines, line, column)
        if found is None or not isinstance(project, Project):
            return None
        entry_id, want, start, end = found
        if project.catalog is None:
            value = f"{md_code(entry_id)}: kpispec is still reading the catalog"
        else:
            value = describe(project.catalog, entry_id, want)
        return T.Hover(
            contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=value),
            range=server.range_of(lines, line, start, end),
        )

    @feature(T.TEXT_DOCUMENT_DEFINITION)
    def definition(params: T.DefinitionParams) -> list[T.Location] | None:
        project, lines, line, column = server.at(params.text_document.uri, params.position)
        found = id_at(lines, line, column)
        if found is None or not isinstance(project, Project) or project.catalog is None:
            return None
        entry_id, want, _, _ = found
        entries = project.catalog.by_id.get(entry_id, [])
        if want is not None:  # the entries of the kind wanted, else any (a wrong kind)
            entries = [e for e in entries if e.kind == want] or entries
        return [server.definition_of(entry) for entry in entries] or None

    @feature(T.TEXT_DOCUMENT_REFERENCES)
    def references(params: T.ReferenceParams) -> list[T.Location] | None:
        project, lines, line, column = server.at(params.text_document.uri, params.position)
        found = id_at(lines, line, column)
        if found is None or not isinstance(project, Project) or project.catalog is None:
            return None
        entry_id = found[0]
        catalog = project.catalog
        out = []
        if params.context.include_declaration:
            out += [server.definition_of(entry) for entry in catalog.by_id.get(entry_id, [])]
        out += [
            server.reference_location(ref)
            for ref in catalog.references
            if ref.target_id == entry_id
        ]
        return out

    @feature(
        T.TEXT_DOCUMENT_COMPLETION,
        T.CompletionOptions(trigger_characters=[":", " ", "[", ",", "-", "="]),
    )
    def completion(params: T.CompletionParams) -> T.CompletionList | None:
        project, lines, line, column = server.at(params.text_document.uri, params.position)
        text = lines[line] if line < len(lines) else ""
        ctx = tx.context_at(lines, line, column)
        items: list[T.CompletionItem] = []

        def edit_range(chars: re.Pattern = tx.ID_CHARS) -> T.Range:
            word, start, end = tx.word_at(text, column, chars)
            if not word:
                start = end = column
            return server.range_of(lines, line, start, end)

        def add(
            label: str,
            kind: T.CompletionItemKind,
            detail: str = "",
            docs: str = "",
            insert: str | None = None,
            chars: re.Pattern = tx.ID_CHARS,
        ) -> None:
            items.append(
                T.CompletionItem(
                    label=label,
                    kind=kind,
                    detail=detail or None,
                    documentation=T.MarkupContent(kind=T.MarkupKind.Markdown, value=docs)
                    if docs
                    else None,
                    text_edit=T.TextEdit(range=edit_range(chars), new_text=insert or label),
                )
            )

        if ctx.in_comment:
            if suppress.COMMENT.search(text[:column] + "X") or text[:column].rstrip().endswith(
                ("disable=", "disable-file=", ",")
            ):
                for code, mod in _rules(project).items():
                    add(code, T.CompletionItemKind.Value, mod.NAME, chars=tx.WORD_CHARS)
            return T.CompletionList(is_incomplete=False, items=items)
        kind = _kind_of(ctx.path)
        catalog = project.catalog if isinstance(project, Project) else None
        if ctx.in_value and ctx.key is not None:
            want = REFERENCE_FIELDS.get((kind, ctx.key)) if kind and len(ctx.path) == 2 else None
            if want is not None and catalog is not None:
                label_kind = {
                    "goal": T.CompletionItemKind.Module,
                    "kpi": T.CompletionItemKind.Function,
                    "metric": T.CompletionItemKind.Variable,
                }[want]
                seen = set()
                for entry in {
                    "goal": catalog.goals,
                    "kpi": catalog.kpis,
                    "metric": catalog.metrics,
                }[want]:
                    if entry.id in seen:
                        continue
                    seen.add(entry.id)
                    add(
                        entry.id,
                        label_kind,
                        _name(entry),
                        f"{KIND_LABEL[entry.kind]} in "
                        + md_code(f"{entry.file.display}:{entry.line}"),
                    )
            elif ctx.key == "owner" and isinstance(project, Project):
                for owner in project.owners():
                    add(
                        owner,
                        T.CompletionItemKind.Constant,
                        "owner (team policy)",
                        chars=re.compile(r"[^\s,\[\]{}#]+"),
                    )
            elif (
                ctx.key == "system"
                and ctx.path[-1:] == ("data_source",)
                and isinstance(project, Project)
            ):
                for system in project.data_sources():
                    add(
                        system,
                        T.CompletionItemKind.Value,
                        "data source (team policy)",
                        chars=re.compile(r"[^\s,\[\]{}#]+"),
                    )
            else:
                values, meanings = _enum_at(ctx.path, ctx.key)
                for index, value in enumerate(values):
                    add(
                        str(value),
                        T.CompletionItemKind.EnumMember,
                        meanings[index] if index < len(meanings) else "",
                        chars=tx.WORD_CHARS,
                    )
            return T.CompletionList(is_incomplete=False, items=items)
        # a key: those the schema allows here, less those already written
        present = set(ctx.flow_keys) if ctx.flow_keys is not None else _siblings(lines, line, ctx)
        for name, sub in properties_at(ctx.path).items():
            if name in present:
                continue
            nested = sub.get("type") == "object" or sub.get("type") == "array"
            insert = f"{name}:" + ("" if nested else " ")
            add(
                name,
                T.CompletionItemKind.Property,
                _short(sub),
                _description(sub),
                insert,
                chars=re.compile(r"[A-Za-z0-9_]+"),
            )
        return T.CompletionList(is_incomplete=False, items=items)

    @feature(
        T.TEXT_DOCUMENT_CODE_ACTION,
        T.CodeActionOptions(code_action_kinds=[T.CodeActionKind.QuickFix]),
    )
    def code_action(params: T.CodeActionParams) -> list[T.CodeAction] | None:
        uri = params.text_document.uri
        doc = server.workspace.get_text_document(uri)
        lines = tx.split_lines(doc.source)
        actions: list[T.CodeAction] = []  # the fixes first (preferred), then "Disable"
        disable: list[T.CodeAction] = []
        for diagnostic in params.context.diagnostics:
            if (
                diagnostic.source != "kpispec"
                or not isinstance(diagnostic.code, str)
                or diagnostic.code == "config"
            ):
                continue
            data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
            code = diagnostic.code
            actions += fixes(server, uri, lines, diagnostic, data)
            target = data.get("entry_line") or data.get("line") or diagnostic.range.start.line + 1
            edit = suppression_edit(server, lines, int(target) - 1, code, whole_file=False)
            if edit is not None:
                where = "this entry" if data.get("entry_line") else "this line"
                disable.append(
                    T.CodeAction(
                        title=f"Disable {code} for {where} (# kpispec: disable={code})",
                        kind=T.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        edit=T.WorkspaceEdit(changes={uri: [edit]}),
                    )
                )
            edit = suppression_edit(server, lines, 0, code, whole_file=True)
            if edit is not None:
                disable.append(
                    T.CodeAction(
                        title=f"Disable {code} for this file (# kpispec: disable-file={code})",
                        kind=T.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        edit=T.WorkspaceEdit(changes={uri: [edit]}),
                    )
                )
        return actions + disable


def _short(sub: dict) -> str:
    kind = sub.get("type")
    if sub.get("enum"):
        return " | ".join(map(str, sub["enum"]))
    if isinstance(kind, list):
        return " or ".join(kind)
    if sub.get("format") == "date":
        return "date YYYY-MM-DD"
    if not isinstance(kind, str):
        return ""
    return {"object": "mapping", "array": "list"}.get(kind, kind)


def _siblings(lines: list[str], line: int, ctx: tx.Context) -> set[str]:
    """The keys already written in the mapping the cursor is in."""
    present: set[str] = set()
    indent = ctx.indent
    for step in (-1, 1):
        index = line + step
        while 0 <= index < len(lines):
            text = lines[index]
            if tx._skip(text):
                index += step
                continue
            content, dash = tx._layout(text)
            if content < indent or (dash is not None and content == indent and step == 1):
                if dash is not None and content == indent and step == -1:
                    found = tx._key_at(text, content)
                    if found:
                        present.add(found[0])
                break
            if content == indent:
                found = tx._key_at(text, content)
                if found:
                    present.add(found[0])
                if dash is not None:  # the first key of this item: the mapping starts here
                    break
            index += step
    current = tx._key_at(lines[line], tx._layout(lines[line])[0]) if line < len(lines) else None
    if current and ctx.key is None:
        present.discard(current[0])
    return present


def suppression_edit(
    server: KpispecServer, lines: list[str], line: int, code: str, whole_file: bool
) -> T.TextEdit | None:
    """The edit that adds ``code`` to the directive on ``line`` (or a new directive at
    its end); for the whole file, a ``disable-file`` line after ``kpispec: 1``."""
    kind = "disable-file" if whole_file else "disable"
    if whole_file:
        for index, text in enumerate(lines):
            match = suppress.COMMENT.search(text)
            if match and match.group(1) == kind:
                return _append_code(server, lines, index, match, code)
        after = next((i + 1 for i, text in enumerate(lines) if re.match(r"kpispec\s*:", text)), 0)
        position = server.to_client(lines, after, 0)
        return T.TextEdit(
            range=T.Range(start=position, end=position),
            new_text=f"# kpispec: disable-file={code}\n",
        )
    if not 0 <= line < len(lines):
        return None
    text = lines[line]
    for match in suppress.COMMENT.finditer(text):
        if match.group(1) == kind:
            codes = [c.strip().upper() for c in match.group(2).split(",")]
            if code in codes:
                return None
            return _append_code(server, lines, line, match, code)
    end = len(text.rstrip())
    position = server.to_client(lines, line, end)
    return T.TextEdit(
        range=T.Range(start=position, end=server.to_client(lines, line, len(text))),
        new_text=f"  # kpispec: disable={code}",
    )


def _append_code(
    server: KpispecServer, lines: list[str], line: int, match: re.Match, code: str
) -> T.TextEdit:
    position = server.to_client(lines, line, match.end(2))
    return T.TextEdit(range=T.Range(start=position, end=position), new_text=f",{code}")


def fixes(
    server: KpispecServer, uri: str, lines: list[str], diagnostic: T.Diagnostic, data: dict
) -> list[T.CodeAction]:
    """The fixes the finding's rule offers (the ones ``kpispec fix`` applies, through
    :mod:`kpispec.authoring.fixer`), as edits of the buffer: each checked as the fixer checks it
    (the edited text parses, and its data is what the fix promised). Unsafe fixes are
    offered too, marked so. None when the buffer changed since the last check."""
    from kpispec.findings import fix as fixer

    path = server_path(uri)
    project = server.where.get(path) if path is not None else None
    code = diagnostic.code  # a str: code_action passes kpispec's diagnostics only
    if path is None or not isinstance(project, Project) or project.catalog is None:
        return []
    rule = project.rules.get(code) if isinstance(code, str) else None
    if rule is None or not fixer.fixable(rule):
        return []
    text = project.texts.get(path)
    source = project.source_of(path)
    if text is None or source is None or "\n".join(lines) != "\n".join(tx.split_lines(text)):
        return []  # the buffer changed since the check: the next check offers them
    found = [
        f for f in project.findings.get(path, ()) if f.code == code and f.line == data.get("line")
    ]
    if not found:
        return []
    doc = fixer.Document(text)
    doc.catalog = project.catalog
    unsafe = bool(getattr(rule, "FIX_UNSAFE", False))
    return [
        _fix_action(server, uri, lines, text, diagnostic, fix, unsafe)
        for fix in list(rule.fix(source, found, doc) or ())
        if fix is not None and fix.edits and _sound(fixer, source, text, fix)
    ]


def _fix_action(
    server: KpispecServer,
    uri: str,
    lines: list[str],
    text: str,
    diagnostic: T.Diagnostic,
    fix: Any,
    unsafe: bool,
) -> T.CodeAction:
    """A fix as a quick fix: its edits of the buffer (``text``, split into ``lines``)."""
    edits = [
        T.TextEdit(
            range=T.Range(
                start=_offset(server, lines, text, start), end=_offset(server, lines, text, end)
            ),
            new_text=new,
        )
        for start, end, new in fix.edits
    ]
    return T.CodeAction(
        title=f"Fix {diagnostic.code}: {fix.description}" + (" (unsafe)" if unsafe else ""),
        kind=T.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=not unsafe,
        edit=T.WorkspaceEdit(changes={uri: edits}),
    )


def server_path(uri: str) -> str | None:
    path = _path(uri)
    return real(path) if path is not None else None


def _sound(fixer: Any, source: Any, text: str, fix: Any) -> bool:
    import copy

    from kpispec.lint import load_raw

    after = load_raw(fixer.apply_edits(text, [fix]).encode("utf-8"))
    if not after.ok:
        return False
    if fix.expect is None:
        return True
    try:
        return fix.expect(copy.deepcopy(source.loaded.data)) == after.data
    except Exception:
        return False


def _offset(server: KpispecServer, lines: list[str], text: str, offset: int) -> T.Position:
    """A character offset of ``text`` as a position (``lines``: its lines)."""
    before = text[:offset]
    line = len(tx.split_lines(before)) - 1
    column = len(before) - max(before.rfind("\n"), before.rfind("\r")) - 1
    return server.to_client(lines, line, column)
