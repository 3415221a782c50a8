"""The protocol side of ``kpispec lsp``, on pygls 2 (lsprotocol's types).

Threads: pygls reads and answers on its asyncio loop; every piece of heavy work
(indexing a project, reading a file again, checking) runs on one worker thread, in
order, so the model (:class:`~kpispec.lsp.engine.Project`) needs no finer locking.
Requests (hover, completion...) are answered on the loop from the last check's catalog
and the buffer's current text, so they never wait for a check, nor for indexing.

Diagnostics are scheduled by :meth:`KpispecServer.touch`: a change that comes after a
quiet spell (no change for the debounce interval, 200 ms by default) is checked at
once; changes that follow it closely are gathered until the typing pauses -- for the
debounce interval at most, and for twice what the last check took when that is less:
most edits keep the catalog-wide findings (:mod:`kpispec.lsp.engine`) and are checked in
a few milliseconds, so each key gets its check, while edits that make every rule run on
a large catalog are gathered. A single edit is not delayed at all. After a check every
open file whose diagnostics changed is published, so renaming a goal in one file shows
the broken links in the others at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial, wraps
from pathlib import Path
from typing import Any

from lsprotocol import types as T
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from kpispec import __version__
from kpispec.catalog import Entry, Reference
from kpispec.findings import Finding
from kpispec.lsp import text as tx
from kpispec.lsp import wire
from kpispec.lsp.engine import Project, real
from kpispec.text import shorten

log = logging.getLogger("kpispec.lsp")

DEBOUNCE_MS = 200
SEVERITY = {
    "error": T.DiagnosticSeverity.Error,
    "warning": T.DiagnosticSeverity.Warning,
    "info": T.DiagnosticSeverity.Information,
}
ID_KEYS = {"id": None, "goal": "goal", "parent": "goal", "inputs": "metric", "feeds": "kpi"}
KIND_LABEL = {"goal": "goal", "kpi": "KPI", "metric": "metric"}
CODE_RE = re.compile(r"[A-Za-z]{2}[0-9]{3}\Z")
CONFIG_NAMES = ("kpispec.toml", "pyproject.toml")
HEAD_POLL_S = 2.0  # how often whether HEAD moved is looked at (a few stat calls)
# JSON-RPC's error codes
PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32602, -32603


class Broken:
    """A file whose project cannot be set up (a bad config, a broken plugin)."""

    def __init__(self, message: str):
        self.message = message


class KpispecServer(LanguageServer):
    def __init__(self, debounce_ms: int | None = None) -> None:
        super().__init__(
            "kpispec", __version__, text_document_sync_kind=T.TextDocumentSyncKind.Incremental
        )
        self.debounce = (debounce_ms if debounce_ms is not None else DEBOUNCE_MS) / 1000
        # a rule's page for codeDescription.href: None, each built-in rule's page on the
        # documentation site (kpispec.rules.docs.rule_url); a template with {code}, that
        # page for every rule; "" none (initializationOptions ruleDocsUrl, or the env)
        self.rule_docs: str | None = os.environ.get("KPISPEC_RULE_DOCS_URL")
        self._hrefs: dict[tuple[Project | None, str], str | None] = {}
        self.projects: dict[tuple, Project] = {}
        self.where: dict[str, Project | Broken] = {}  # realpath of an open file -> its project
        self.uris: dict[str, str] = {}  # realpath -> uri, for open files
        self.worker = ThreadPoolExecutor(1, thread_name_prefix="kpispec-lsp")
        self.cache = None
        if not os.environ.get("KPISPEC_NO_CACHE"):
            from kpispec.load.cache import FileCache

            self.cache = FileCache.open(None)
        self._jobs: list[Callable[[], Any]] = []
        self._dirty: set[Project] = set()
        self._indexing: set[Project] = set()
        self._due = 0.0
        self._last_change = -1e9
        self._cost = self.debounce  # what the last check took (s); none yet: the interval
        self._wake: asyncio.Event | None = None
        self._loop_task: asyncio.Task | None = None
        self._published: dict[str, tuple] = {}  # uri -> (version, diagnostics as data)
        self.trace = bool(os.environ.get("KPISPEC_LSP_TRACE"))  # log each check's time
        self.exit_code = 0  # 2: the stream could not be read (one line on stderr)
        # files changed on disk: "client" (it watches for the server), "self" (the server
        # watches its project roots: kpispec.lsp.watch), "off"; set once initialized
        self.watch_files: bool | str = "auto"  # initializationOptions watchFiles
        # KS501-KS506 against HEAD for the open files of a git work tree (goalposts)
        self.goalposts = True
        self._head_task: asyncio.Task | None = None
        self.watching = "off"
        self.watcher: Any = None

    # -- the stream ------------------------------------------------------------------

    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        """Serve on stdin and stdout until the client says exit or the stream ends.

        Messages are read by :class:`kpispec.lsp.wire.Reader` (bounded; a header it
        cannot use does not stop the server) on a thread of their own, and handled on
        the loop by :meth:`receive`, which answers every request: with its result, or
        with a JSON-RPC error when the message is not JSON or its params are not what
        the method takes (pygls would drop it and log a traceback). When the stream
        itself cannot be read any further (a ``Content-Length`` no message may have),
        one line goes to stderr and :attr:`exit_code` is 2."""
        for name in ("pygls", "asyncio"):  # what goes wrong is answered or logged to
            quiet = logging.getLogger(name)  # the client, not dumped on stderr
            quiet.addHandler(logging.NullHandler())
            quiet.propagate = False
        self._stop_event = threading.Event()
        source = stdin or sys.stdin.buffer
        self.protocol.set_writer(_Writer(stdout or sys.stdout.buffer))
        read: Callable[[int], bytes]
        try:
            read = partial(os.read, source.fileno())
        except (AttributeError, OSError, ValueError):  # no file descriptor (a test's stream)
            read = source.read1 if hasattr(source, "read1") else source.read
        try:
            asyncio.run(self._serve(wire.Reader(read)))
        except BrokenPipeError:
            pass  # the client is gone
        except KeyboardInterrupt:
            pass
        except SystemExit as exc:  # pygls's exit notification: 1 when shutdown did not come
            if not self.exit_code and isinstance(exc.code, int):
                self.exit_code = exc.code
        finally:
            if self.watcher is not None:
                self.watcher.stop()
            self.shutdown()

    async def _serve(self, reader: wire.Reader) -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(self._loop_error)
        done = loop.create_future()

        def finish(problem: str | None) -> None:
            if problem is not None:
                print(f"kpispec lsp: {problem}", file=sys.stderr, flush=True)
                self.exit_code = 2
            if not done.done():
                done.set_result(None)

        def pump() -> None:  # on a thread of its own: os.read blocks
            try:
                while (frame := reader.next()) is not None:
                    loop.call_soon_threadsafe(self.receive, frame)
                problem = None
            except wire.StreamError as exc:
                problem = str(exc)
            except OSError as exc:
                problem = f"cannot read the stream: {exc.strerror or exc}"
            try:
                loop.call_soon_threadsafe(finish, problem)
            except RuntimeError:
                pass  # the loop is closed: the client said exit

        threading.Thread(target=pump, name="kpispec-lsp-read", daemon=True).start()
        await done

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict) -> None:
        error = context.get("exception")
        if isinstance(error, (SystemExit, KeyboardInterrupt)):
            raise error
        self.log(f"kpispec lsp: {context.get('message', 'error')}: {error!r}", T.MessageType.Error)

    def receive(self, frame: wire.Frame) -> None:
        """One message from the stream (see :meth:`start_io`)."""
        if frame.body is None:
            self.refuse(None, PARSE_ERROR, f"{frame.problem}, and what followed was no message")
            return
        try:
            data = json.loads(frame.body)
        except (ValueError, RecursionError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
            self.refuse(None, PARSE_ERROR, f"the message is not JSON ({reason})")
            return
        if not isinstance(data, dict):
            self.refuse(None, INVALID_REQUEST, "a message is a JSON object")
            return
        raw_id = data.get("id")
        ident = raw_id if isinstance(raw_id, (int, str)) and not isinstance(raw_id, bool) else None
        request = "id" in data and "method" in data
        method = data.get("method")
        if data.get("jsonrpc") != "2.0":
            self.refuse(ident, INVALID_REQUEST, 'a message says "jsonrpc": "2.0"', "id" in data)
            return
        if frame.problem is not None:
            self.refuse(ident, INVALID_REQUEST, f"{frame.problem}: not handled", request)
            return
        if request and getattr(self.protocol, "_shutdown", False):
            self.refuse(ident, INVALID_REQUEST, "the server is shutting down (shutdown came)")
            return
        try:
            message = self.protocol.structure_message(data)
        except Exception as exc:
            code = INVALID_PARAMS if request and isinstance(method, str) else INVALID_REQUEST
            self.refuse(ident, code, _invalid(method, exc), request)
            return
        try:
            self.protocol.handle_message(message)
        except (SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            self.refuse(ident, INTERNAL_ERROR, f"{type(exc).__name__}: {exc}", request)

    def refuse(self, ident: Any, code: int, message: str, answer: bool = True) -> None:
        """A JSON-RPC error for the request ``ident`` (None: one that could not be read),
        and the same in the client's log; a notification (``answer`` False) is only
        logged, since nothing may answer it."""
        self.log(f"kpispec lsp: {message}", T.MessageType.Error)
        if answer:
            self.protocol._send_data(
                {"jsonrpc": "2.0", "id": ident, "error": {"code": code, "message": message}}
            )

    # -- logging -------------------------------------------------------------------

    def log(self, message: str, kind: T.MessageType = T.MessageType.Info) -> None:
        try:
            self.window_log_message(T.LogMessageParams(type=kind, message=message))
        except Exception:  # pragma: no cover - the client is gone
            log.warning("%s", message)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls's out-of-band errors (a message that cannot be read, say): a log line,
        not a pop-up; the server goes on."""
        self.log(f"kpispec lsp: {type(error).__name__}: {error}", T.MessageType.Error)

    # -- projects ------------------------------------------------------------------

    def project_for(self, path: Path) -> Project | Broken:
        from kpispec.config import load_config
        from kpispec.errors import ConfigError

        try:
            config = load_config(start=path.parent)
            key = (
                str(config.source),
                str(config.root),
                _mtime(config.source) if config.source else None,
            )
            project = self.projects.get(key)
            if project is None:
                project = self.projects[key] = Project(config, self.cache, self.goalposts)
                if self.watching == "self":
                    self.watch(project.root)
            return project
        except (ConfigError, Exception) as exc:  # a bad config or plugin: say it, go on
            if not isinstance(exc, ConfigError):
                self.log(
                    f"kpispec lsp: cannot set up the project of {path}:\n" + traceback.format_exc(),
                    T.MessageType.Error,
                )
            return Broken(str(exc))

    def watch(self, root: Path) -> None:
        """Watch ``root`` for files changed on disk (the client does not)."""
        from kpispec.lsp.watch import Watcher

        if self.watcher is None:
            loop = asyncio.get_running_loop()

            def notify(changes: list[tuple[str, str]]) -> None:  # on the watching thread
                try:
                    loop.call_soon_threadsafe(self.disk_changed, changes)
                except RuntimeError:
                    pass  # the loop is closed: the server is stopping

            poll = os.environ.get("KPISPEC_LSP_WATCH") == "poll"
            self.watcher = Watcher(notify, poll=poll)
        if root not in self.watcher.roots:
            how = self.watcher.watch(root, partial(self.files_under, root))
            self.log(f"kpispec: watching {root} for files changed on disk ({how})")

    def files_under(self, root: Path) -> list[Path]:
        """What the poller stats under ``root``: each project's catalog files and config."""
        found: list[Path] = []
        for project in list(self.projects.values()):
            if project.root == root:
                found += project.watched_files()
        return found

    def disk_changed(self, changes: list[tuple[str, str]]) -> None:
        kinds = {
            "created": T.FileChangeType.Created,
            "changed": T.FileChangeType.Changed,
            "deleted": T.FileChangeType.Deleted,
        }
        if self.trace:
            self.log(f"kpispec: changed on disk: {changes}")
        self.watched(
            [T.FileEvent(uri=from_fs_path(path), type=kinds[kind]) for kind, path in changes]
        )

    def touch(self, project: Project | None = None, now: bool = False) -> None:
        """Schedule a check (see the module's docstring)."""
        loop = asyncio.get_running_loop()
        if self._wake is None:
            self._wake = asyncio.Event()
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = loop.create_task(self._lint_loop())
        if self.goalposts and (self._head_task is None or self._head_task.done()):
            self._head_task = loop.create_task(self._head_loop())
        if project is not None:
            self._dirty.add(project)
        moment = loop.time()
        quiet = moment - self._last_change >= self.debounce
        self._last_change = moment
        wait = min(self.debounce, 2 * self._cost)
        self._due = moment if (now or quiet) else moment + wait
        self._wake.set()

    async def _head_loop(self) -> None:
        """Every :data:`HEAD_POLL_S` seconds, whether ``HEAD`` moved in a project (a
        commit made in a terminal changes no open file): then its catalog at ``HEAD``
        is read again and its files checked."""
        while True:
            await asyncio.sleep(HEAD_POLL_S)
            for project in list(self.projects.values()):
                head = project.head
                if head is None or not project.indexed or project in self._dirty:
                    continue
                try:
                    moved = head.moved()
                except Exception:
                    moved = False
                if moved:
                    if self.trace:
                        self.log(f"kpispec: HEAD moved under {project.root}")
                    self.job(project.read_head)
                    self.touch(project, now=True)

    def job(self, work: Callable[[], Any]) -> None:
        self._jobs.append(work)

    async def _lint_loop(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._wake is not None
        while True:
            await self._wake.wait()
            while (delay := self._due - loop.time()) > 0:
                await asyncio.sleep(delay)
            self._wake.clear()
            jobs, self._jobs = self._jobs, []
            dirty, self._dirty = self._dirty, set()
            try:
                results = await loop.run_in_executor(self.worker, self._work, jobs, dirty)
            except Exception:  # pragma: no cover - _work catches what it can
                self.log(
                    "kpispec lsp: check failed:\n" + traceback.format_exc(), T.MessageType.Error
                )
                continue
            for project, found in results:
                self._publish(project, found)

    def _work(self, jobs: list, dirty: set) -> list:
        """On the worker thread: the jobs (index, reload), then a check of each project
        that changed."""
        for work in jobs:
            try:
                work()
            except Exception:
                self.log("kpispec lsp: " + traceback.format_exc(), T.MessageType.Error)
        results = []
        cost = 0.0
        for project in dirty:
            if not project.indexed:
                continue  # its index job is queued: it touches the project when done
            try:
                started = time.perf_counter()
                results.append((project, project.check()))
                cost += time.perf_counter() - started
                if self.trace:
                    self.log(
                        f"kpispec: checked {project.root} in "
                        f"{(time.perf_counter() - started) * 1000:.0f} ms"
                    )
            except Exception:
                self.log(
                    "kpispec lsp: check failed (the server goes on):\n" + traceback.format_exc(),
                    T.MessageType.Error,
                )
        if results:
            self._cost = cost
        return results

    def ensure_indexed(self, project: Project) -> None:
        if project.indexed or project in self._indexing:
            return
        self._indexing.add(project)

        def index() -> None:
            started = time.perf_counter()
            try:
                count = project.index()
            finally:
                self._indexing.discard(project)
            self.log(
                f"kpispec: indexed {count} catalog files under {project.root} in "
                f"{time.perf_counter() - started:.2f} s"
            )
            # the project was touched with this job: it is checked right after it

        self.job(index)

    # -- publishing ------------------------------------------------------------------

    def _publish(self, project: Project, found: dict[str, list[Finding]]) -> None:
        for key, findings in found.items():
            uri = self.uris.get(key)
            if uri is None or self.where.get(key) is not project:
                continue  # closed meanwhile
            lines = tx.split_lines(project.texts.get(key, ""))
            diagnostics = [self.diagnostic(f, lines, project) for f in findings]
            version = project.versions.get(key)
            self.send(uri, diagnostics, version)

    def send(self, uri: str, diagnostics: list[T.Diagnostic], version: int | None) -> None:
        shape = tuple(
            (
                d.range.start.line,
                d.range.start.character,
                d.range.end.line,
                d.range.end.character,
                d.code,
                d.message,
                d.severity,
            )
            for d in diagnostics
        )
        if self._published.get(uri) == (version, shape):
            return
        self._published[uri] = (version, shape)
        self.text_document_publish_diagnostics(
            T.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def clear(self, uri: str) -> None:
        self._published.pop(uri, None)
        self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def to_client(self, lines: list[str], line: int, column: int) -> T.Position:
        codec = self.workspace.position_codec
        text = lines[line] if 0 <= line < len(lines) else ""
        return T.Position(line=max(line, 0), character=codec.client_num_units(text[:column]))

    def range_of(self, lines: list[str], line: int, start: int, end: int) -> T.Range:
        return T.Range(
            start=self.to_client(lines, line, start), end=self.to_client(lines, line, end)
        )

    def href(self, code: str, project: Project | None = None) -> str | None:
        """The page of the rule ``code`` for a diagnostic's ``codeDescription``, when the
        client shows one (``codeDescriptionSupport``): a built-in rule's page on the
        documentation site, or the ``ruleDocsUrl`` template's; None for a plugin's rule
        without a template, or when links are turned off."""
        key = (project, code)
        if key in self._hrefs:
            return self._hrefs[key]
        href = None
        caps = self.client_capabilities.text_document if self.client_capabilities else None
        publish = caps.publish_diagnostics if caps else None
        if publish is not None and publish.code_description_support:
            if self.rule_docs:
                href = self.rule_docs.replace("{code}", code)
            elif self.rule_docs is None:
                from kpispec.rules import source
                from kpispec.rules.docs import rule_url
                from kpispec.rules.plugins import BUILTIN

                rules = project.rules if project is not None else {}
                rule = rules.get(code)
                if rule is not None and source(rule) == BUILTIN:
                    href = rule_url(code)
        self._hrefs[key] = href
        return href

    def diagnostic(
        self, finding: Finding, lines: list[str], project: Project | None = None
    ) -> T.Diagnostic:
        line = max(finding.line - 1, 0)
        if line < len(lines):
            start, end = tx.token_range(lines[line], max(finding.column - 1, 0))
        else:
            line, start, end = max(len(lines) - 1, 0), 0, 0
        href = self.href(finding.code, project)
        return T.Diagnostic(
            range=self.range_of(lines, line, start, end),
            severity=SEVERITY.get(finding.severity, T.DiagnosticSeverity.Error),
            code=finding.code,
            code_description=T.CodeDescription(href=href) if href else None,
            source="kpispec",
            message=f"{finding.message} ({finding.name})" if finding.name else finding.message,
            data={
                "entry_line": finding.entry_line,
                "line": finding.line,
                "entry": finding.entry,
                "name": finding.name,
            },
        )

    # -- documents -------------------------------------------------------------------

    def opened(self, uri: str, text: str, version: int | None) -> None:
        path = _path(uri)
        if path is None:
            return
        key = real(path)
        project = self.project_for(path)
        old = self.where.get(key)
        if isinstance(old, Project) and old is not project:
            old.close_buffer(path)
            self._dirty.add(old)
        self.where[key], self.uris[key] = project, uri
        if isinstance(project, Broken):
            if _looks_like_kpi(path, text):
                self.send(
                    uri,
                    [
                        T.Diagnostic(
                            range=T.Range(
                                start=T.Position(line=0, character=0),
                                end=T.Position(line=0, character=0),
                            ),
                            severity=T.DiagnosticSeverity.Error,
                            source="kpispec",
                            code="config",
                            message=f"kpispec cannot lint this file: {project.message}",
                        )
                    ],
                    version,
                )
            return
        project.set_buffer(path, text, version)
        self.ensure_indexed(project)
        self.touch(project, now=True)

    def changed(self, uri: str, text: str, version: int | None, now: bool = False) -> None:
        path = _path(uri)
        if path is None:
            return
        project = self.where.get(real(path))
        if project is None or isinstance(project, Broken):
            self.opened(uri, text, version)
            return
        project.set_buffer(path, text, version)
        self.touch(project, now=now)

    def closed(self, uri: str) -> None:
        path = _path(uri)
        if path is None:
            return
        key = real(path)
        project = self.where.pop(key, None)
        self.uris.pop(key, None)
        self.clear(uri)
        if isinstance(project, Project):
            project.close_buffer(path)
            self.job(lambda: project.reload(path))  # the file as saved joins again
            self.touch(project, now=True)

    def watched(self, changes: Sequence[T.FileEvent]) -> None:
        """Files changed on disk (a checkout, a save by another program)."""
        for change in changes:
            path = _path(change.uri)
            if path is None:
                continue
            if path.name in CONFIG_NAMES and self._config_of_open_files(path):
                self.rebuild()
                return
            for project in list(self.projects.values()):
                if Path(os.path.abspath(path)).is_relative_to(project.root):
                    if path.suffix == ".json":
                        project.dbt_changed()
                    elif real(path) not in project.buffers:
                        self.job(partial(project.reload, path))
                    self.touch(project, now=True)

    def _config_of_open_files(self, path: Path) -> bool:
        """Whether ``path`` is, or could become, the config of an open file: a project's
        config file, or a config file in a folder above one of them (a pyproject.toml
        of some other package in the tree is not)."""
        configs = {
            os.path.abspath(p.config.source) for p in self.projects.values() if p.config.source
        }
        if os.path.abspath(path) in configs:
            return True
        folder = Path(os.path.abspath(path.parent))
        return any(Path(key).is_relative_to(folder) for key in self.uris)

    def rebuild(self) -> None:
        """The config changed: every open file's project is set up again."""
        self.projects.clear()
        self._hrefs.clear()
        for key, uri in list(self.uris.items()):
            doc = self.workspace.text_documents.get(uri)
            if doc is not None:
                self.where.pop(key, None)
                self.opened(uri, doc.source, doc.version)

    # -- what is at a position ----------------------------------------------------

    def at(self, uri: str, position: T.Position) -> tuple[Any, list[str], int, int]:
        doc = self.workspace.get_text_document(uri)
        lines = tx.split_lines(doc.source)
        server = self.workspace.position_codec.position_from_client_units(lines, position)
        path = _path(uri)
        project = self.where.get(real(path)) if path is not None else None
        return project, lines, server.line, server.character

    def location(
        self, entry_or_source: Any, line: int, start: int, end: int, lines: list[str]
    ) -> T.Location:
        source = entry_or_source.file if isinstance(entry_or_source, Entry) else entry_or_source
        return T.Location(
            uri=self.uri_of(source.path), range=self.range_of(lines, line, start, end)
        )

    def uri_of(self, path: Path) -> str:
        return self.uris.get(real(path)) or from_fs_path(str(path))

    def definition_of(self, entry: Entry) -> T.Location:
        lines = tx.split_lines(entry.file.loaded.text or "")
        line, column = entry.pos("id")
        line -= 1
        text = lines[line] if 0 <= line < len(lines) else ""
        start, end = tx.value_range(text, column - 1)
        return self.location(entry, line, start, end, lines)

    def reference_location(self, ref: Reference) -> T.Location:
        source = ref.source
        lines = tx.split_lines(source.file.loaded.text or "")
        line, column = source.pos(*ref.keys)
        line -= 1
        text = lines[line] if 0 <= line < len(lines) else ""
        if ref.index is None:
            start, end = tx.value_range(text, column - 1)
        else:
            start, end = tx.token_range(text, column - 1)
            if text[start : start + 1] in "\"'":
                start, end = start + 1, end - 1
        return self.location(source, line, start, end, lines)


class _Writer:
    """stdout as pygls writes to it (its StdoutWriter, kept small)."""

    def __init__(self, stdout: Any):
        self._stdout = stdout

    def close(self) -> None:
        self._stdout.close()

    def write(self, data: bytes) -> None:
        self._stdout.write(data)
        self._stdout.flush()


def _invalid(method: Any, exc: Exception) -> str:
    """Why a message's params were refused, in one line (cattrs says where)."""
    where = ""
    cause = exc.__cause__
    if cause is not None:
        try:
            import cattrs

            where = "; ".join(cattrs.transform_error(cause)[:3])
        except Exception:
            where = type(cause).__name__
    name = method if isinstance(method, str) else "the message"
    return f"invalid params for {shorten(name, 80)}" + (f": {where}" if where else "")


def _mtime(path: Path | None) -> int | None:
    try:
        return os.stat(path).st_mtime_ns if path else None
    except OSError:
        return None


def _path(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


def _looks_like_kpi(path: Path, text: str) -> bool:
    return path.suffix in (".yaml", ".yml") and (
        "kpispec" in text or "kpis" in path.parts or path.name.endswith((".kpi.yaml", ".kpi.yml"))
    )


def guarded(server: KpispecServer, handler: Callable) -> Callable:
    """A handler whose failure is logged to the client (window/logMessage) and answered
    with an empty result: one bad request never stops the server."""

    @wraps(handler)
    def run(params: Any) -> Any:
        try:
            return handler(params)
        except Exception:
            server.log(
                f"kpispec lsp: {handler.__name__} failed (the server goes on):\n"
                + traceback.format_exc(),
                T.MessageType.Error,
            )
            return None

    return run
