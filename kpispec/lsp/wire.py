"""The language server's framing on stdin, without pygls: ``Content-Length`` headers,
then the message's bytes (the LSP base protocol), read with bounds (contract section 16).

pygls's own reader trusts the header: ``Content-Length: 99999999999999999999`` made
it crash with a traceback, and a header it could not read (``abc``, ``-5``, none at
all) made it read the message's body as headers, after which no message was ever
answered. :class:`Reader` instead

* refuses a ``Content-Length`` above :data:`MAX_MESSAGE` or a header block longer than
  :data:`MAX_HEADER` with a :class:`StreamError` (one line: the stream cannot be read
  any further, and the server exits saying so);
* reads a message whose length it was not told (a header missing, negative, not a
  number) as the one JSON value that follows the headers, and hands it on with the
  problem named, so the server can answer that request with an error and go on;
* skips bytes that are no message at all up to the next ``Content-Length`` header,
  so one garbled message does not make every later one unreadable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_MESSAGE = 128 * 1024 * 1024  # bytes in one message (an editor sends whole files)
MAX_HEADER = 64 * 1024  # bytes of headers before one message
MAX_UNFRAMED = 4 * 1024 * 1024  # bytes read looking for a message sent without its length
CHUNK = 64 * 1024
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)
_NEXT = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
_DECODER = json.JSONDecoder()


class StreamError(Exception):
    """The stream cannot be read any further (the one line the server prints)."""


@dataclass
class Frame:
    """One message as read: its bytes (None: bytes that were no message, skipped), and
    what was wrong with how it was framed (None: nothing)."""

    body: bytes | None
    problem: str | None = None


def _shown(value: bytes, limit: int = 40) -> str:
    text = value.decode("utf-8", "replace")
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class Reader:
    """Frames from ``read`` (``read(n)`` returns up to ``n`` bytes, at least one, or
    ``b""`` at the end of the stream, as ``os.read`` on a pipe does)."""

    def __init__(self, read: Callable[[int], bytes]):
        self._read = read
        self._buffer = bytearray()
        self._eof = False

    def _fill(self) -> bool:
        """More bytes into the buffer; False at the end of the stream."""
        if self._eof:
            return False
        chunk = self._read(CHUNK)
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def next(self) -> Frame | None:
        """The next message; None at the end of the stream."""
        headers = b""
        while not headers.strip():  # blank lines between messages are skipped
            while True:
                found = _HEADER_END.search(self._buffer)
                if found is not None and found.start() <= MAX_HEADER:
                    break
                if len(self._buffer) > MAX_HEADER:
                    raise StreamError(
                        f"more than {MAX_HEADER:,} bytes arrived without a blank line "
                        "ending a message's headers: this is not the language server protocol"
                    )
                if not self._fill():
                    return None
            headers = bytes(self._buffer[: found.start()])
            del self._buffer[: found.end()]
        values = _LENGTH.findall(headers)
        written = values[-1].strip() if values else None
        if written is not None and written.isdigit() and written.isascii():
            if len(written) > 12 or int(written) > MAX_MESSAGE:
                raise StreamError(
                    f"a message says 'Content-Length: {_shown(written)}', more than the "
                    f"{MAX_MESSAGE:,} bytes a message may have; the stream cannot be read "
                    "any further"
                )
            return Frame(self._exactly(int(written)))
        if written is None:
            problem = "the message had no Content-Length header"
        else:
            problem = f"the message's Content-Length '{_shown(written)}' is not a number of bytes"
        return self._unframed(problem)

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not self._fill():
                break  # the stream ended inside the message: what came
        body = bytes(self._buffer[:size])
        del self._buffer[:size]
        return body

    def _unframed(self, problem: str) -> Frame:
        """The JSON value after headers that gave no length: the message, if it is one,
        else the bytes up to the next header, skipped."""
        while True:
            text = self._buffer.decode("utf-8", "surrogateescape")
            start = len(text) - len(text.lstrip())
            try:
                _, end = _DECODER.raw_decode(text, start)
            except (ValueError, RecursionError):
                following = _NEXT.search(self._buffer)
                if following is not None:  # what came before it was no message
                    del self._buffer[: following.start()]
                    return Frame(None, problem)
                if len(self._buffer) > MAX_UNFRAMED:
                    raise StreamError(
                        f"{problem}, and no message could be read after it; the stream "
                        "cannot be read any further"
                    ) from None
                if not self._fill():  # perhaps cut short: wait for the rest
                    self._buffer.clear()
                    return Frame(None, problem)
                continue
            size = len(text[:end].encode("utf-8", "surrogateescape"))
            body = bytes(self._buffer[:size])
            del self._buffer[:size]
            return Frame(body, problem)
