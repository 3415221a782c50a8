"""The published schema in a real editor's language server: Red Hat's
``yaml-language-server`` (the engine of VS Code's YAML extension, and of yamlls in
Neovim, Helix, Emacs...), driven over stdio by pytest-lsp's client, validates a KPI file
and completes its keys with the schema's descriptions.

Where the server comes from: ``$KPISPEC_YAML_LS`` (the path of the package's
``bin/yaml-language-server``), else ``.ci-npm/node_modules/yaml-language-server`` in the
checkout (where ``.ci/run`` installs it), else ``npm install yaml-language-server`` into a
folder of the test session when npm exists. Without node (or npm, to install it) the
tests skip saying so; with ``CI=true`` they fail instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
pytest_asyncio = pytest.importorskip("pytest_asyncio")

from conftest import REPO  # noqa: E402
from lsprotocol import types as T  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig  # noqa: E402

# the npm yaml-language-server as a process
pytestmark = pytest.mark.slow

IN_CI = os.environ.get("CI", "").lower() == "true"
BIN = Path("node_modules") / "yaml-language-server" / "bin" / "yaml-language-server"
_INSTALLED: list[Path] = []


def missing(reason: str) -> None:
    """Skip outside CI, fail in CI (CI=true): a tool the test needs is not there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the tools must be installed; see .ci/run)")
    pytest.skip(reason)


def find_server(tmp_path_factory) -> list[str]:
    """The command that starts yaml-language-server on stdio, installing it if need be."""
    node = shutil.which("node")
    if node is None:
        missing("node is not installed: the yaml-language-server tests need it")
    named = os.environ.get("KPISPEC_YAML_LS")
    if named:
        if not Path(named).is_file():
            missing(f"KPISPEC_YAML_LS={named} is not a file")
        return [node, named, "--stdio"]
    for candidate in [REPO / ".ci-npm" / BIN, *(folder / BIN for folder in _INSTALLED)]:
        if candidate.is_file():
            return [node, str(candidate), "--stdio"]
    npm = shutil.which("npm")
    if npm is None:
        missing(
            "yaml-language-server is not installed and npm is not there to install it "
            "(set KPISPEC_YAML_LS to its bin/yaml-language-server)"
        )
    folder = tmp_path_factory.mktemp("yaml-ls")
    done = subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--silent",
            "--prefix",
            str(folder),
            "yaml-language-server@1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0 or not (folder / BIN).is_file():
        missing(f"npm install yaml-language-server failed: {done.stderr.strip()[-500:]}")
    _INSTALLED.append(folder)
    return [node, str(folder / BIN), "--stdio"]


@pytest.fixture(scope="session")
def server_command(tmp_path_factory) -> list[str]:
    return find_server(tmp_path_factory)


@pytest.fixture
def schema_file(tmp_path, run_cli) -> Path:
    """The schema as the README has a user write it: ``kpispec schema --output
    .vscode/kpispec-1.schema.json`` at the project root."""
    path = tmp_path / ".vscode" / "kpispec-1.schema.json"
    result = run_cli(["schema", "--output", path.relative_to(tmp_path)], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    return path


CAPABILITIES = T.ClientCapabilities(
    workspace=T.WorkspaceClientCapabilities(configuration=True),
    text_document=T.TextDocumentClientCapabilities(
        completion=T.CompletionClientCapabilities(
            completion_item=T.ClientCompletionItemOptions(
                snippet_support=True,
                documentation_format=[T.MarkupKind.Markdown, T.MarkupKind.PlainText],
            )
        ),
        hover=T.HoverClientCapabilities(
            content_format=[T.MarkupKind.Markdown, T.MarkupKind.PlainText]
        ),
        publish_diagnostics=T.PublishDiagnosticsClientCapabilities(),
    ),
)


async def start(command: list[str], root: Path, schemas: dict[str, list[str]] | None):
    """Start the server; ``schemas``: the ``yaml.schemas`` setting (None: none set)."""
    client = await ClientServerConfig(server_command=command).start()
    client.set_configuration(
        {
            "validate": True,
            "completion": True,
            "hover": True,
            "schemaStore": {"enable": False},
            **({"schemas": schemas} if schemas else {}),
        },
        section="yaml",
    )
    await client.initialize_session(
        T.InitializeParams(
            capabilities=CAPABILITIES,
            root_uri=from_fs_path(str(root)),
            workspace_folders=[T.WorkspaceFolder(uri=from_fs_path(str(root)), name="catalog")],
        )
    )
    # the server pulls the settings (workspace/configuration) when told they changed
    client.workspace_did_change_configuration(T.DidChangeConfigurationParams(settings=None))
    return client


async def stop(client) -> None:
    await client.shutdown_session()
    await client.stop()


def open_file(client, path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    uri = from_fs_path(str(path))
    client.text_document_did_open(
        T.DidOpenTextDocumentParams(
            text_document=T.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        )
    )
    return uri


async def until(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting")


TYPO = """\
kpispec: 1
kpis:
  - id: arr
    name: Annual recurring revenue
    goal: arr-5m-2026
    traget:
      value: 5000000
"""


@pytest.mark.asyncio
async def test_a_misspelt_key_is_flagged_through_the_yaml_schemas_setting(
    server_command, schema_file, tmp_path
):
    """The README's VS Code setup: ``yaml.schemas`` maps the file ``kpispec schema
    --output`` wrote to ``**/*.kpi.yaml`` and ``**/kpis/**/*.yaml``."""
    # as in .vscode/settings.json: a path relative to the workspace folder
    assert schema_file == tmp_path / ".vscode" / "kpispec-1.schema.json"
    schemas = {"./.vscode/kpispec-1.schema.json": ["**/*.kpi.yaml", "**/kpis/**/*.yaml"]}
    client = await start(server_command, tmp_path, schemas)
    try:
        for path in (tmp_path / "sales.kpi.yaml", tmp_path / "kpis" / "team" / "sales.yaml"):
            uri = open_file(client, path, TYPO)
            found = await until(lambda uri=uri: client.diagnostics.get(uri))
            assert [d.range.start.line for d in found] == [5], found
            assert "traget" in found[0].message, found[0].message
            assert "not allowed" in found[0].message.lower(), found[0].message
        # a file the patterns do not match is left alone: the schema is not everywhere
        other = open_file(client, tmp_path / "docker-compose.yaml", "services: {}\n")
        await asyncio.sleep(1.0)
        assert not client.diagnostics.get(other)
    finally:
        await stop(client)


def _documentation(item: T.CompletionItem) -> str:
    doc = item.documentation
    return doc.value if isinstance(doc, T.MarkupContent) else (doc or "")


@pytest.mark.asyncio
async def test_a_kpis_keys_complete_with_their_descriptions_through_the_modeline(
    server_command, schema_file, tmp_path
):
    """The README's other setup: a ``# yaml-language-server: $schema=...`` first line,
    a path relative to the file (no ``yaml.schemas`` setting)."""
    assert schema_file == tmp_path / ".vscode" / "kpispec-1.schema.json"
    text = (
        "# yaml-language-server: $schema=../.vscode/kpispec-1.schema.json\n"
        "kpispec: 1\n"
        "kpis:\n"
        "  - id: arr\n"
        "    name: Annual recurring revenue\n"
        "    \n"
    )
    client = await start(server_command, tmp_path, None)
    try:
        uri = open_file(client, tmp_path / "metrics" / "anywhere.yaml", text)
        result = await client.text_document_completion_async(
            T.CompletionParams(
                text_document=T.TextDocumentIdentifier(uri=uri),
                position=T.Position(line=5, character=4),
            )
        )
        items = result.items if isinstance(result, T.CompletionList) else result
        by_label = {item.label: item for item in items}
        for key in ("target", "timeframe", "goal", "owner", "data_source", "inputs"):
            assert key in by_label, sorted(by_label)
        assert "id" not in by_label and "name" not in by_label  # already there
        assert "merely a metric (KS102)" in _documentation(by_label["target"])
        assert "deadline" in _documentation(by_label["timeframe"])

        # and an enum value completes with its meaning
        text2 = text.replace("    \n", "    target:\n      direction: \n")
        client.text_document_did_change(
            T.DidChangeTextDocumentParams(
                text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[T.TextDocumentContentChangeWholeDocument(text=text2)],
            )
        )
        result = await client.text_document_completion_async(
            T.CompletionParams(
                text_document=T.TextDocumentIdentifier(uri=uri),
                position=T.Position(line=6, character=17),
            )
        )
        items = result.items if isinstance(result, T.CompletionList) else result
        values = {item.label: _documentation(item) for item in items}
        assert set(values) >= {"increase", "decrease", "maintain"}, values
        assert "Lower is better" in values["decrease"]
    finally:
        await stop(client)


@pytest.mark.asyncio
async def test_snippets_for_a_goal_a_kpi_and_a_metric(server_command, schema_file, tmp_path):
    """A new list item offers the schema's snippet (defaultSnippets) for its section."""
    text = f"# yaml-language-server: $schema={schema_file}\nkpispec: 1\ngoals:\n  - \n"
    client = await start(server_command, tmp_path, None)
    try:
        found = {}
        for section, label in (
            ("goals", "new goal"),
            ("kpis", "new KPI"),
            ("metrics", "new metric"),
        ):
            uri = open_file(
                client, tmp_path / f"{section}.yaml", text.replace("goals:", f"{section}:")
            )
            result = await client.text_document_completion_async(
                T.CompletionParams(
                    text_document=T.TextDocumentIdentifier(uri=uri),
                    position=T.Position(line=3, character=4),
                )
            )
            items = result.items if isinstance(result, T.CompletionList) else result
            found[label] = next((item for item in items if item.label == label), None)
            assert found[label] is not None, sorted(item.label for item in items)
            assert found[label].insert_text_format == T.InsertTextFormat.Snippet
        kpi = found["new KPI"].insert_text
        assert kpi.startswith("id: ${1:kpi-id}\n  name: ")
        assert "\n  target:\n    value: ${5:100}\n" in kpi  # a number, not quoted
        assert "direction: ${6|increase,decrease,maintain|}" in kpi
        assert "\n  timeframe:\n    end: ${8:2026-12-31}\n" in kpi
        assert "title: ${2:" in found["new goal"].insert_text
        assert "feeds:\n    - ${5:kpi-id}" in found["new metric"].insert_text
        assert "KPI" in _documentation(found["new KPI"])
    finally:
        await stop(client)
