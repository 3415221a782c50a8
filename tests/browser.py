"""Real headless Chromium for the report tests, driven over the DevTools protocol on a
pipe (``--remote-debugging-pipe``: JSON messages ending in NUL on fds 3 and 4), so no
websocket library and no port are needed.

Where the tools come from:
- Chromium: ``$KPISPEC_CHROMIUM``, else ``chromium`` / ``chromium-browser`` /
  ``google-chrome`` on PATH, else ``/usr/bin/chromium`` (Debian's ``chromium`` package;
  ``.ci/run`` installs it).
- Mermaid (the npm package, v11): ``$KPISPEC_MERMAID_DIR`` (the package folder, holding
  ``dist/mermaid.min.js``), else ``.ci-npm/node_modules/mermaid`` in the checkout (where
  ``.ci/run`` installs it), else ``npm install mermaid@11`` into a folder of the test
  session when npm exists.

Absent, a test skips saying what is missing; with ``CI=true`` it fails instead, so CI
cannot pass without having really rendered anything.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
# the flags that keep a headless Chromium off the network on its own account
QUIET_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]
# and these make any request of the page fail: a proxy at a dead port, no DNS
OFFLINE_FLAGS = [
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def missing(reason: str) -> None:
    """Skip outside CI, fail in CI (CI=true): a tool the test needs is not there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the tools must be installed; see .ci/run)")
    pytest.skip(reason)


def find_chromium() -> str | None:
    named = os.environ.get("KPISPEC_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


_NPM_DIR: list[Path] = []


def find_mermaid() -> Path | None:
    """The folder of mermaid's ``mermaid.min.js``, installing it with npm if need be."""
    named = os.environ.get("KPISPEC_MERMAID_DIR")
    candidates = [Path(named)] if named else []
    candidates.append(REPO / ".ci-npm" / "node_modules" / "mermaid")
    if _NPM_DIR:
        candidates.append(_NPM_DIR[0])
    for folder in candidates:
        for js in (folder / "dist" / "mermaid.min.js", folder / "mermaid.min.js"):
            if js.is_file():
                return js.parent
    if named:
        return None  # named, and not there: do not go looking elsewhere
    npm = shutil.which("npm")
    if npm is None:
        return None
    target = Path(tempfile.mkdtemp(prefix="kpispec-npm-"))
    proc = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(target), "mermaid@11"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    js = target / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    if proc.returncode != 0 or not js.is_file():
        return None
    _NPM_DIR.append(target / "node_modules" / "mermaid")
    return js.parent


class Browser:
    """One headless Chromium; :meth:`open` a page, :meth:`evaluate` in it."""

    def __init__(self, binary: str, profile: Path, offline: bool = True):
        ours_read, theirs_write = os.pipe()  # Chromium writes fd 4, we read
        theirs_read, ours_write = os.pipe()  # we write, Chromium reads fd 3

        def fds() -> None:  # in the child: the pipe ends on fds 3 and 4, exactly
            low_read, low_write = os.dup(theirs_read), os.dup(theirs_write)
            high_read, high_write = os.dup2(low_read, 100), os.dup2(low_write, 101)
            os.dup2(high_read, 3, inheritable=True)
            os.dup2(high_write, 4, inheritable=True)

        args = [
            binary,
            *QUIET_FLAGS,
            *(OFFLINE_FLAGS if offline else []),
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "--allow-file-access-from-files",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=fds,
            close_fds=False,
        )
        os.close(theirs_read)
        os.close(theirs_write)
        self.reader, self.writer = ours_read, ours_write
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []
        self.session: str | None = None

    def close(self) -> None:
        try:
            self.call("Browser.close", session=False, timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.reader, self.writer):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self.reader], [], [], left)
            if ready:
                chunk = os.read(self.reader, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(
        self, method: str, params: dict | None = None, session: bool = True, timeout: float = 60
    ) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.writer, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        for index, event in enumerate(self.events):
            if event["method"] == method:
                return self.events.pop(index)
        while True:
            reply = self._read(deadline)
            if reply.get("method") == method:
                return reply
            if "method" in reply:
                self.events.append(reply)

    def open(self, url: str, width: int = 1280, height: int = 900) -> None:
        """A new tab on ``url``, its network watched from before the first request."""
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.call(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            session=False,
        )
        self.session = attached["sessionId"]
        self.call("Network.enable")
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.events.clear()
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str, timeout: float = 60) -> object:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 120) -> object:
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"never true in the page: {expression}")
            time.sleep(0.1)

    def requests(self) -> list[str]:
        """The URLs the page asked for (every Network.requestWillBeSent so far)."""
        self.call("Runtime.evaluate", {"expression": "1"})  # drain pending events
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]

    def screenshot(
        self, path: Path, clip: dict | None = None, full: bool = False, scale: float = 1
    ) -> None:
        params: dict = {"format": "png"}
        if full:
            params["captureBeyondViewport"] = True
            size = self.evaluate(
                "[document.documentElement.scrollWidth,document.documentElement.scrollHeight]"
            )
            clip = clip or {"x": 0, "y": 0, "width": size[0], "height": size[1]}
        if clip:
            params["clip"] = {**clip, "scale": scale}
            params["captureBeyondViewport"] = True
        data = self.call("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))


MERMAID_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>mermaid check</title>
<style>body{margin:0;background:#fff} .diagram{display:inline-block;padding:12px}</style>
</head><body><pre id="result">pending</pre><div id="out"></div>
<script src="MERMAID_JS"></script>
<script id="diagrams" type="application/json">DIAGRAMS</script>
<script>
mermaid.initialize({startOnLoad: false, securityLevel: 'strict', maxTextSize: 50000,
                    maxEdges: 500, flowchart: {htmlLabels: true}});
(async () => {
  const diagrams = JSON.parse(document.getElementById('diagrams').textContent);
  const results = [];
  for (let i = 0; i < diagrams.length; i++) {
    try {
      if (await mermaid.parse(diagrams[i]) === false) throw new Error('parse returned false');
      const {svg} = await mermaid.render('diagram' + i, diagrams[i]);
      const div = document.createElement('div');
      div.className = 'diagram'; div.id = 'd' + i; div.innerHTML = svg;
      document.getElementById('out').appendChild(div);
      const error = div.querySelector('.error-text, .error-icon');
      results.push({ok: !error, error: error ? 'mermaid drew its error diagram' : null,
                    nodes: div.querySelectorAll('g.node').length,
                    edges: div.querySelectorAll('path.flowchart-link, .edgePaths path').length,
                    labels: [...div.querySelectorAll('g.node .nodeLabel')].map(e => e.textContent),
                    tasks: [...div.querySelectorAll('text.taskText, text.taskTextOutsideRight, '
                                                    + 'text.taskTextOutsideLeft')].map(e => e.textContent),
                    sections: [...div.querySelectorAll('text.sectionTitle')].map(e => e.textContent),
                    width: div.querySelector('svg').viewBox.baseVal.width,
                    height: div.querySelector('svg').viewBox.baseVal.height});
    } catch (e) {
      results.push({ok: false, error: String((e && e.message) || e).slice(0, 2000)});
    }
  }
  document.getElementById('result').textContent = JSON.stringify(results);
})();
</script></body></html>
"""


def mermaid_page(folder: Path, mermaid_dir: Path, diagrams: list[str]) -> Path:
    data = json.dumps(diagrams).replace("</", "<\\/")
    page = folder / "mermaid-check.html"
    page.write_text(
        MERMAID_PAGE.replace("MERMAID_JS", (mermaid_dir / "mermaid.min.js").as_uri()).replace(
            "DIAGRAMS", data
        ),
        encoding="utf-8",
    )
    return page
