"""``kpispec lsp`` on a hostile stream (contract section 16, issue 23): raw bytes over the
real process's stdin. Every request is answered, with its result or a JSON-RPC error
(InvalidParams for params the method does not take), and the server goes on serving;
when the stream itself cannot be read (an absurd Content-Length) it exits 2 with one
line on stderr, no traceback. Each exchange is bounded in time."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from conftest import TODAY, write  # noqa: E402

from kpispec.lsp import wire  # noqa: E402

# the language server as a process, fed raw bytes
pytestmark = pytest.mark.slow

TIMEOUT = 30.0
BIG = 2**63
LARGEST = 2**31 - 1  # the largest position LSP's uinteger allows


def frame(message: dict | bytes) -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def request(ident: int, method: str, params: object) -> dict:
    return {"jsonrpc": "2.0", "id": ident, "method": method, "params": params}


def notification(method: str, params: object) -> dict:
    return {"jsonrpc": "2.0", "method": method, "params": params}


class Raw:
    """The real server (``python -m kpispec lsp``) fed raw bytes; what it writes is read
    by a parser of its own (Content-Length framing), on a thread, into a queue."""

    def __init__(self, cwd: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kpispec", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env={**os.environ, "KPISPEC_NO_CACHE": "1"},
        )
        self.messages: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            assert length is not None, "the server wrote a message without Content-Length"
            self.messages.put(json.loads(out.read(length)))

    def send(self, data: bytes | dict) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(frame(data) if isinstance(data, dict) else data)
        self.proc.stdin.flush()

    def answer(self, ident: object) -> dict:
        """The response to the request ``ident`` (None: an error about an unreadable one)."""
        deadline = time.monotonic() + TIMEOUT
        for message in self.seen:
            if "method" not in message and message.get("id") == ident:
                self.seen.remove(message)
                return message
        while time.monotonic() < deadline:
            try:
                message = self.messages.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
            if message is None:
                raise AssertionError(f"the server closed its output before answering {ident}")
            if "method" not in message and message.get("id") == ident:
                return message
            self.seen.append(message)
        raise AssertionError(f"no answer to {ident!r} within {TIMEOUT} s")

    def start(self) -> None:
        self.send(request(1, "initialize", {"capabilities": {}, "processId": None}))
        assert "capabilities" in self.answer(1)["result"]
        self.send(notification("initialized", {}))

    def serving(self, ident: int = 900) -> None:
        """It still answers: a request it knows gets its result."""
        self.send(request(ident, "shutdown", None))
        assert self.answer(ident) == {"jsonrpc": "2.0", "id": ident, "result": None}

    def finish(self) -> tuple[int, str]:
        """exit, then the exit code and stderr."""
        try:
            self.send(notification("exit", None))
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        return self.end()

    def end(self) -> tuple[int, str]:
        try:
            code = self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(TIMEOUT)
            raise AssertionError("the server did not exit") from None
        assert self.proc.stderr is not None
        return code, self.proc.stderr.read().decode("utf-8", "replace")


@pytest.fixture
def raw(tmp_path: Path):
    server = Raw(tmp_path)
    yield server
    if server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait(TIMEOUT)
    for stream in (server.proc.stdin, server.proc.stdout, server.proc.stderr):
        if stream is not None:
            stream.close()


def error_of(answer: dict) -> tuple[int, str]:
    assert "result" not in answer, answer
    return answer["error"]["code"], answer["error"]["message"]


def test_an_absurd_content_length_ends_the_stream_with_one_line(raw):
    raw.start()
    raw.send(b"Content-Length: 99999999999999999999\r\n\r\n{}")
    code, stderr = raw.end()
    assert code == 2
    assert stderr == (
        "kpispec lsp: a message says 'Content-Length: 99999999999999999999', more than the "
        "134,217,728 bytes a message may have; the stream cannot be read any further\n"
    )


def test_headers_that_never_end_end_the_stream_with_one_line(raw):
    raw.start()
    raw.send(b"X" * (wire.MAX_HEADER + 10))
    code, stderr = raw.end()
    assert code == 2
    assert stderr.count("\n") == 1 and stderr.startswith("kpispec lsp: more than 65,536 bytes")
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    "header, problem",
    [
        (b"Content-Length: abc\r\n", "the message's Content-Length 'abc' is not a number of bytes"),
        (b"Content-Length: -52\r\n", "the message's Content-Length '-52' is not a number of bytes"),
        (b"Content-Type: application/json\r\n", "the message had no Content-Length header"),
    ],
)
def test_a_request_with_a_bad_content_length_is_answered_and_the_next_ones_too(
    raw, header, problem
):
    raw.start()
    body = json.dumps(request(5, "shutdown", None)).encode()
    raw.send(header + b"\r\n" + body)
    code, message = error_of(raw.answer(5))
    assert code == -32600
    assert message == f"{problem}: not handled"
    raw.serving()
    code, stderr = raw.finish()
    assert (code, stderr) == (0, "")


def test_bytes_that_are_no_message_are_skipped_up_to_the_next_one(raw):
    raw.start()
    raw.send(b"Content-Length: x\r\n\r\n{this is not json")
    raw.serving(6)  # its header follows the garbage: the server finds it
    code, message = error_of(raw.answer(None))
    assert code == -32700
    assert message.startswith("the message's Content-Length 'x' is not a number of bytes")
    code, stderr = raw.finish()
    assert (code, stderr) == (0, "")


@pytest.mark.parametrize(
    "body, code, message",
    [
        (b"{this is not json", -32700, "the message is not JSON (Expecting property name"),
        (b"[1, 2]", -32600, "a message is a JSON object"),
        (b"[" * 100_000, -32700, "the message is not JSON (RecursionError)"),
        (
            json.dumps({"id": 3, "method": "shutdown"}).encode(),
            -32600,
            'a message says "jsonrpc": "2.0"',
        ),
    ],
)
def test_a_malformed_body_is_answered_with_an_error(raw, body, code, message):
    raw.start()
    raw.send(frame(body))
    ident = 3 if b'"id": 3' in body else None
    got_code, got_message = error_of(raw.answer(ident))
    assert got_code == code
    assert got_message.startswith(message)
    raw.serving()
    assert raw.finish() == (0, "")


def test_params_that_do_not_fit_are_invalid_params_and_it_goes_on(raw, tmp_path):
    write(tmp_path / "kpispec.toml", f"today = {TODAY}\n")
    doc = (tmp_path / "kpis" / "a.yaml").as_uri()
    raw.start()
    raw.send(request(10, "textDocument/hover", None))
    raw.send(
        request(
            11,
            "textDocument/hover",
            {"textDocument": {"uri": doc}, "position": {"line": BIG, "character": BIG}},
        )
    )
    raw.send(
        request(
            12,
            "textDocument/completion",
            {"textDocument": {"uri": doc}, "position": {"line": -1, "character": 0}},
        )
    )
    raw.send(request(13, "textDocument/hover", {"bogus": True}))
    raw.send(notification("textDocument/didOpen", None))  # nothing may answer it
    assert error_of(raw.answer(10)) == (
        -32602,
        "invalid params for textDocument/hover: invalid value for type, expected "
        "HoverParams @ $.params",
    )
    assert error_of(raw.answer(11)) == (
        -32602,
        "invalid params for textDocument/hover: invalid value @ $.params.position",
    )
    assert error_of(raw.answer(12))[0] == -32602
    assert error_of(raw.answer(13))[0] == -32602
    raw.serving()
    code, stderr = raw.finish()
    assert (code, stderr) == (0, "")


def test_the_largest_positions_get_a_result(raw, tmp_path):
    """Positions LSP allows but no document has: every request gets a result."""
    write(tmp_path / "kpispec.toml", f"today = {TODAY}\n")
    path = tmp_path / "kpis" / "a.yaml"
    text = "kpispec: 1\ngoals:\n  - id: g1\n    title: Grow\n"
    write(path, text)
    doc = path.as_uri()
    raw.start()
    raw.send(
        notification(
            "textDocument/didOpen",
            {"textDocument": {"uri": doc, "languageId": "yaml", "version": 1, "text": text}},
        )
    )
    far = {"line": LARGEST, "character": LARGEST}
    where = {"textDocument": {"uri": doc}, "position": far}
    span = {"start": far, "end": far}
    asks = [
        ("textDocument/hover", where),
        ("textDocument/completion", where),
        ("textDocument/definition", where),
        ("textDocument/references", {**where, "context": {"includeDeclaration": True}}),
        (
            "textDocument/codeAction",
            {"textDocument": {"uri": doc}, "range": span, "context": {"diagnostics": []}},
        ),
    ]
    for ident, (method, params) in enumerate(asks, 20):
        raw.send(request(ident, method, params))
    for ident, (method, _) in enumerate(asks, 20):
        answer = raw.answer(ident)
        assert "error" not in answer, (method, answer)
        assert "result" in answer
    raw.serving()
    assert raw.finish() == (0, "")


def test_a_request_after_shutdown_is_refused_not_ignored(raw):
    raw.start()
    raw.serving(7)
    raw.send(request(8, "textDocument/hover", {"bogus": True}))
    raw.send(request(9, "shutdown", None))
    for ident in (8, 9):
        assert error_of(raw.answer(ident)) == (
            -32600,
            "the server is shutting down (shutdown came)",
        )
    assert raw.finish() == (0, "")


def test_the_stream_ending_without_exit_ends_the_server(raw):
    raw.start()
    assert raw.proc.stdin is not None
    raw.proc.stdin.close()
    assert raw.end() == (0, "")


def test_reader_frames_what_it_can_and_skips_what_it_cannot():
    """The framing alone, fed in pieces (as a pipe delivers them)."""
    good = json.dumps(request(1, "shutdown", None)).encode()
    data = (
        frame(good)
        + b'Content-Length: 7\r\n\r\n{"a": 1'  # cut short: its body takes the next bytes
        + b"\r\n\r\n"
        + b"content-length:  %d \r\n\r\n" % len(good)
        + good
    )
    pieces = [data[i : i + 5] for i in range(0, len(data), 5)]

    def read(size: int) -> bytes:
        return pieces.pop(0) if pieces else b""

    reader = wire.Reader(read)
    assert reader.next() == wire.Frame(good)
    assert reader.next() == wire.Frame(b'{"a": 1')
    assert reader.next() == wire.Frame(good)  # case and blanks of the header do not matter
    assert reader.next() is None
