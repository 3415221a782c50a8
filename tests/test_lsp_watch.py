"""Files changed on disk while not open (a git pull) refresh the diagnostics of the open
files (issue 25 item 9b), through a real client over stdio (pytest-lsp) that does not
watch files for the server (as Neovim on Linux): the server watches the project itself,
with watchfiles or, without it, by polling stat data. A client that offers to watch
gets the server's watchers registered instead."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest.importorskip("pytest_lsp")
pytest_asyncio = pytest.importorskip("pytest_asyncio")

from conftest import TODAY, write  # noqa: E402
from lsprotocol import types as T  # noqa: E402
from test_lsp import GOALS, SALES, codes, open_file, start, until  # noqa: E402

# the language server as a process, watching files on disk
pytestmark = pytest.mark.slow


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    write(tmp_path / "kpispec.toml", f"today = {TODAY}\n")
    write(tmp_path / "kpis" / "goals.yaml", GOALS)
    write(tmp_path / "kpis" / "sales.yaml", SALES)
    return tmp_path


async def written(path: Path, text: str, seen, timeout: float = 30.0) -> None:
    """Write ``path`` until ``seen()`` (the watcher may start after the first write,
    and a poller's first look may already include it), within ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        write(path, text)
        try:
            await until(seen, timeout=3)
            return
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise


def logged(client, text: str) -> list[str]:
    return [m.message for m in client.log_messages if text in m.message]


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["watchfiles", "polling"])
async def test_a_file_changed_on_disk_refreshes_the_open_files(catalog, mode):
    if mode == "watchfiles":
        pytest.importorskip("watchfiles")
    env = {"KPISPEC_LSP_WATCH": "poll"} if mode == "polling" else {}
    client = await start(env=env)
    try:
        sales_uri = open_file(client, catalog / "kpis" / "sales.yaml")
        await until(lambda: codes(client, sales_uri) == ["KS102", "KS901"])
        assert logged(client, f"watching {catalog}") == [
            f"kpispec: watching {catalog} for files changed on disk ({mode})"
        ]
        # a pull renames the goal in a file that is not open: the link breaks
        goals = catalog / "kpis" / "goals.yaml"
        renamed = GOALS.replace("id: g1", "id: g2")
        await written(goals, renamed, lambda: "KS005" in (codes(client, sales_uri) or []))
        # a new file defines it again; then the goal file is deleted
        more = catalog / "kpis" / "more.yaml"
        await written(more, GOALS, lambda: "KS005" not in (codes(client, sales_uri) or ["KS005"]))
        goals.unlink()
        more.unlink()
        await until(lambda: "KS005" in (codes(client, sales_uri) or []), timeout=30)
    finally:
        await client.shutdown_session()
        await client.stop()


@pytest.mark.asyncio
async def test_a_client_that_watches_gets_the_watchers_and_the_server_does_not(catalog):
    registered: list[T.RegistrationParams] = []
    capabilities = T.ClientCapabilities(
        workspace=T.WorkspaceClientCapabilities(
            did_change_watched_files=T.DidChangeWatchedFilesClientCapabilities(
                dynamic_registration=True
            )
        )
    )
    client = await start(
        capabilities=capabilities,
        handlers={T.CLIENT_REGISTER_CAPABILITY: lambda params: registered.append(params)},
    )
    try:
        sales_uri = open_file(client, catalog / "kpis" / "sales.yaml")
        await until(lambda: codes(client, sales_uri) == ["KS102", "KS901"])
        await until(lambda: registered)
        [registration] = registered[0].registrations
        assert registration.method == "workspace/didChangeWatchedFiles"
        patterns = {w["globPattern"] for w in registration.register_options["watchers"]}
        assert {"**/*.yaml", "**/kpispec.toml"} <= patterns
        assert not logged(client, "watching")
        # the client tells the server what changed
        goals = catalog / "kpis" / "goals.yaml"
        goals.write_text(GOALS.replace("id: g1", "id: g2"), encoding="utf-8")
        client.workspace_did_change_watched_files(
            T.DidChangeWatchedFilesParams(
                changes=[T.FileEvent(uri=goals.as_uri(), type=T.FileChangeType.Changed)]
            )
        )
        await until(lambda: "KS005" in (codes(client, sales_uri) or []), timeout=30)
    finally:
        await client.shutdown_session()
        await client.stop()


@pytest.mark.asyncio
async def test_watch_files_false_turns_it_off(catalog):
    client = await start(options={"watchFiles": False})
    try:
        sales_uri = open_file(client, catalog / "kpis" / "sales.yaml")
        await until(lambda: codes(client, sales_uri) == ["KS102", "KS901"])
        assert not logged(client, "watching")
    finally:
        await client.shutdown_session()
        await client.stop()
